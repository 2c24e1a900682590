// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Security.Cryptography;
using System.Text;
using FrancisBeacon.Sql;
using FrancisBeacon.Storage;
using Npgsql;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>
/// Gives tests PostgreSQL stores on the real server named by <c>FRANCISBEACON_TEST_POSTGRES</c>, each in its own
/// schema <c>beacon_t_&lt;32 hex&gt;</c>, and drops those schemas when disposed. With the variable missing, a test
/// that asks for a store is skipped, or fails when <c>CI=true</c> (a green CI never hides a skip).
/// </summary>
/// <remarks>
/// <see cref="CreateStoreAsync"/> has the semantics of the conformance kit's <c>IHitStoreFixture</c>: the first
/// call for an isolation key gives a store over a fresh, empty, unmigrated schema; later calls with the same key give
/// other store instances over that same schema.
/// </remarks>
public sealed class PostgreSqlFixture : IAsyncLifetime, FrancisBeacon.Testing.IHitStoreFixture
{
    /// <summary>The environment variable holding the test server's Npgsql connection string.</summary>
    public const string VariableName = "FRANCISBEACON_TEST_POSTGRES";

    // Mixed into every schema name, so two runs (or two fixtures) against one server never share a schema.
    private readonly string _runId = Guid.NewGuid().ToString("N");
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Task> _prepared = new(StringComparer.Ordinal);
    private readonly HashSet<string> _schemas = new(StringComparer.Ordinal);
    private NpgsqlDataSource? _dataSource;
    private readonly System.Collections.Concurrent.ConcurrentBag<PostgreSqlHitStore> _stores = [];

    /// <summary>The connection string, or <see langword="null"/> when no test server is configured.</summary>
    public string? ConnectionString { get; } = NullIfEmpty(Environment.GetEnvironmentVariable(VariableName));

    /// <summary>The fixture's shared data source. Skips (or fails on CI) when there is no server.</summary>
    public NpgsqlDataSource DataSource
    {
        get
        {
            RequireServer();
            return _dataSource ??= NpgsqlDataSource.Create(ConnectionString!);
        }
    }

    /// <inheritdoc />
    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <summary>
    /// Skips the calling test when no server is configured, or fails it when <c>CI=true</c>.
    /// </summary>
    public void RequireServer()
    {
        if (ConnectionString is not null)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(
                $"{VariableName} is not set, and CI=true: the PostgreSQL tests must run on CI. " +
                $"Start a throwaway server first with 'source tests/postgres.sh start' (it exports {VariableName}).");
        }

        Assert.Skip(
            $"{VariableName} is not set, so the PostgreSQL tests cannot run. " +
            $"Run 'source tests/postgres.sh start' (or point {VariableName} at a server of your own) and test again.");
    }

    /// <summary>
    /// Returns a store over the schema that belongs to <paramref name="isolationKey"/>: fresh, empty and unmigrated on
    /// the first call for the key, the same schema on later calls (another store instance, as a second app instance).
    /// </summary>
    /// <param name="isolationKey">1 to 32 lower-case ASCII letters and digits, starting with a letter.</param>
    /// <param name="cancellationToken">Cancels creating the schema.</param>
    public async ValueTask<IHitStore> CreateStoreAsync(string isolationKey, CancellationToken cancellationToken) =>
        await CreatePostgreSqlStoreAsync(isolationKey, cancellationToken);

    /// <summary><see cref="CreateStoreAsync"/>, typed.</summary>
    public async ValueTask<PostgreSqlHitStore> CreatePostgreSqlStoreAsync(string isolationKey, CancellationToken cancellationToken)
    {
        var schema = await PrepareSchemaAsync(isolationKey, cancellationToken);
        var store = new PostgreSqlHitStore(DataSource, new PostgreSqlHitStoreOptions { Schema = schema, MaxRollupLag = TimeSpan.Zero });
        _stores.Add(store);
        return store;
    }

    /// <summary>How many days the stores this fixture made brought up to date incrementally, in all.</summary>
    public int IncrementalDays => _stores.Sum(s => s.Rollups.IncrementalDays);

    /// <summary>A store over a fresh schema of its own, already migrated.</summary>
    public async ValueTask<PostgreSqlHitStore> CreateMigratedStoreAsync(CancellationToken cancellationToken)
    {
        var store = await CreatePostgreSqlStoreAsync(NewIsolationKey(), cancellationToken);
        await store.MigrateAsync(cancellationToken);
        return store;
    }

    /// <summary>A new isolation key, unique to the caller.</summary>
    public static string NewIsolationKey() => "k" + Guid.NewGuid().ToString("N")[..31];

    /// <summary>
    /// Makes sure the schema of <paramref name="isolationKey"/> is fresh (dropped if a crashed run left it) the first
    /// time the key is seen, remembers it for <see cref="DisposeAsync"/>, and returns its name.
    /// </summary>
    public async ValueTask<string> PrepareSchemaAsync(string isolationKey, CancellationToken cancellationToken)
    {
        RequireServer();
        var schema = SchemaFor(isolationKey);
        Task preparation;
        lock (_gate)
        {
            if (!_prepared.TryGetValue(schema, out preparation!))
            {
                _schemas.Add(schema);
                preparation = DropSchemaAsync(schema, cancellationToken);
                _prepared[schema] = preparation;
            }
        }

        await preparation;
        return schema;
    }

    /// <summary>The schema name of an isolation key: <c>beacon_t_</c> and 32 hex digits.</summary>
    public string SchemaFor(string isolationKey)
    {
        ArgumentNullException.ThrowIfNull(isolationKey);
        if (isolationKey.Length is < 1 or > 32 || !char.IsAsciiLetterLower(isolationKey[0]) ||
            !isolationKey.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
        {
            throw new ArgumentException(
                $"Isolation key '{isolationKey}' must be 1 to 32 lower-case ASCII letters and digits, starting with a letter.",
                nameof(isolationKey));
        }

        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(_runId + ":" + isolationKey));
        return SqlIdentifier.Validate("beacon_t_" + Convert.ToHexStringLower(hash, 0, 16), "schema");
    }

    /// <summary>Runs one SQL text on the fixture's data source (for tests that inspect or tamper with a schema).</summary>
    public async Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_dataSource is null)
        {
            return;
        }

        string[] schemas;
        lock (_gate)
        {
            schemas = [.. _schemas];
        }

        foreach (var schema in schemas)
        {
            await DropSchemaAsync(schema, CancellationToken.None);
        }

        await _dataSource.DisposeAsync();
    }

    private async Task DropSchemaAsync(string schema, CancellationToken cancellationToken)
    {
        // The name passed SqlIdentifier.Validate in SchemaFor.
        await using var command = DataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}

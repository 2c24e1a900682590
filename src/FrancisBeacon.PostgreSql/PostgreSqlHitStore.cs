// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data;
using System.Globalization;
using System.Runtime.CompilerServices;
using Dapper;
using FrancisBeacon.Querying;
using FrancisBeacon.Sql;
using FrancisBeacon.Sql.Rollups;
using FrancisBeacon.Storage;
using Npgsql;
using NpgsqlTypes;

namespace FrancisBeacon.PostgreSql;

/// <summary>
/// The store for production and for many app instances sharing one database: hits live in
/// <c>&lt;schema&gt;.hits</c>, batches arrive by binary <c>COPY</c> in one transaction, queries are translated by
/// <see cref="HitQuerySql"/>, migrations serialise on an advisory lock, and the daily visitor-id salts live in
/// <c>&lt;schema&gt;.salts</c> so that every instance agrees on them.
/// </summary>
/// <remarks>
/// Strings are stored as <c>text</c>, which cannot hold U+0000; the ingestion pipeline never produces it.
/// Timestamps are stored as <c>timestamptz</c>, truncated to the millisecond.
/// </remarks>
public sealed class PostgreSqlHitStore : IHitStore, IHitStoreSchema, IVisitorSaltStore, IHitStoreRollups, IHitStoreCountedAppend, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly string _schema;
    private readonly PostgreSqlSql _sql;
    private readonly HitQuerySql _query;
    private readonly IReadOnlyList<SqlMigration> _migrations;
    private readonly HitRollups _rollups;

    // The connection kept for hit writes while no batch is using it (AppendAsync), and whether the store was disposed.
    private NpgsqlConnection? _appendConnection;
    private bool _disposed;

    /// <summary>
    /// Creates a store over its own <see cref="NpgsqlDataSource"/>, built from
    /// <see cref="PostgreSqlHitStoreOptions.ConnectionString"/> and disposed with the store. Nothing touches the
    /// database until the first call.
    /// </summary>
    /// <exception cref="ArgumentException">The connection string is missing or the schema name is not allowed.</exception>
    public PostgreSqlHitStore(PostgreSqlHitStoreOptions options)
        : this(CreateDataSource(options), options, ownsDataSource: true)
    {
    }

    /// <summary>
    /// Creates a store over a data source the caller owns (for example one registered with
    /// <c>AddNpgsqlDataSource</c>); <see cref="PostgreSqlHitStoreOptions.ConnectionString"/> is ignored. Nothing
    /// touches the database until the first call.
    /// </summary>
    /// <exception cref="ArgumentException">The schema name is not allowed.</exception>
    public PostgreSqlHitStore(NpgsqlDataSource dataSource, PostgreSqlHitStoreOptions options)
        : this(dataSource, options, ownsDataSource: false)
    {
    }

    private PostgreSqlHitStore(NpgsqlDataSource dataSource, PostgreSqlHitStoreOptions options, bool ownsDataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            _schema = ValidateSchema(options.Schema);
        }
        catch when (ownsDataSource)
        {
            dataSource.Dispose();
            throw;
        }

        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _sql = new PostgreSqlSql(_schema);
        _query = new HitQuerySql(PostgreSqlDialect.Instance, _sql.Hits);
        _migrations = LoadMigrations(_sql.QuotedSchema);
        _rollups = new HitRollups(new RollupTables
        {
            Dialect = PostgreSqlDialect.Instance,
            Hits = _sql.Hits,
            Prefix = _sql.QuotedSchema + ".",
            WriteIsolation = IsolationLevel.ReadCommitted,
            ArrayInsert = true,
            GroupValuesInSql = true,
            TouchedSessionCopies = true,
            InsertRows = PostgreSqlRollupRowWriter.InsertAsync,
            MarkDirtySql = prefix => $"SELECT {prefix}rollup_mark_dirty(@site_id, @hour)",
            SettleDirtySql = prefix => $"SELECT {prefix}rollup_settle_dirty(@site_id, @hour, @ver, @read_since, @since, @read_order, @top)",
            // Incremental upkeep (docs/storage.md): each hit carries its inserting transaction's id, and a pass covers
            // the ids below the oldest transaction still writing to the hits table (PostgreSqlSql.UpkeepTop).
            InsertionOrder = "xid",
            InsertionTopSql = _sql.UpkeepTop,
            DirtyInsertionOrder = "xid",
            OpenAsync = async ct => await _dataSource.OpenConnectionAsync(ct),
            // One maintainer among all instances: a session advisory lock, keyed by the schema.
            TryLock = async (c, ct) => await c.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT pg_try_advisory_lock(hashtext(@key))", new { key = "francisbeacon.rollups." + _schema }, cancellationToken: ct)),
            Unlock = async (c, ct) => await c.ExecuteAsync(new CommandDefinition(
                "SELECT pg_advisory_unlock(hashtext(@key))", new { key = "francisbeacon.rollups." + _schema }, cancellationToken: ct)),
        }) { Enabled = options.EnableRollups, MaxLag = options.MaxRollupLag, Incremental = options.IncrementalRollups };
    }

    /// <summary>The store's rollups (tests read how many days it brought up to date incrementally).</summary>
    internal HitRollups Rollups => _rollups;

    /// <summary>Tests: the server process of the connection kept for the next batch, or 0 when none is kept.</summary>
    internal int KeptAppendProcessId => Volatile.Read(ref _appendConnection)?.ProcessID ?? 0;

    /// <summary>The PostgreSQL schema holding the store's tables.</summary>
    public string Schema => _schema;

    /// <inheritdoc />
    public int LatestVersion => _migrations.Count;

    /// <summary>
    /// Returns <paramref name="schema"/> when it may be used as <see cref="PostgreSqlHitStoreOptions.Schema"/>, or
    /// throws. It must match <c>^[a-z_][a-z0-9_]{0,62}$</c> and not start with <c>pg_</c>, which PostgreSQL keeps for
    /// system schemas.
    /// </summary>
    /// <exception cref="ArgumentException">The name is not allowed.</exception>
    public static string ValidateSchema(string? schema)
    {
        var valid = SqlIdentifier.Validate(schema, "PostgreSqlHitStoreOptions.Schema");
        if (valid.StartsWith("pg_", StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"PostgreSqlHitStoreOptions.Schema '{valid}' is not allowed: PostgreSQL reserves names starting with 'pg_'.",
                nameof(schema));
        }

        return valid;
    }

    /// <inheritdoc />
    public async ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) =>
        _ = await AppendCountedAsync(hits, cancellationToken);

    /// <inheritdoc />
    /// <remarks>The count is what the append's statements report anyway: the whole batch when its COPY went straight in
    /// (any known id makes it fail), else the rows the merge's <c>INSERT … ON CONFLICT DO NOTHING</c> inserted.</remarks>
    public async ValueTask<int> AppendCountedAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hits);
        cancellationToken.ThrowIfCancellationRequested();
        if (hits.Count == 0)
        {
            return 0;
        }

        // One connection is kept open for hit writes between batches: a connection returned to the pool is reset with
        // DISCARD ALL before its next use, which also drops the session's cached plans, so every batch made the server
        // plan the dirty-hour statement again (about 0.1-0.25 ms of server CPU per batch: docs/performance.md,
        // "Round 12"). A batch written while another holds it uses a pooled connection; a failed batch closes its own.
        var connection = Interlocked.Exchange(ref _appendConnection, null);
        if (connection is not null && connection.FullState != ConnectionState.Open)
        {
            await connection.DisposeAsync();
            connection = null;
        }

        connection ??= await _dataSource.OpenConnectionAsync(cancellationToken);
        var keep = false;
        int added;
        try
        {
            added = await AppendAsync(connection, hits, cancellationToken);
            keep = true;
        }
        finally
        {
            if (!keep || Volatile.Read(ref _disposed) || Interlocked.CompareExchange(ref _appendConnection, connection, null) is not null)
            {
                await connection.DisposeAsync();
            }
            else if (Volatile.Read(ref _disposed) && Interlocked.Exchange(ref _appendConnection, null) is { } late)
            {
                await late.DisposeAsync(); // the store was disposed while this batch was being written
            }
        }

        return added;
    }

    // Returns the rows inserted.
    private async ValueTask<int> AppendAsync(NpgsqlConnection connection, IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
    {
        // Fast path: binary COPY straight into the hits table. A batch whose ids are all new (fresh version 7 GUIDs:
        // the normal case) goes in with no temporary table and no merge. When any id is already stored or repeats
        // within the batch (a batch retried after a commit whose answer was lost, a spool replayed after a crash, a
        // client's re-sent id), the unique index refuses the COPY, which rolls back whole, and the batch takes the
        // merge path below, where known ids are skipped. Either way the statement trigger marks only rows added.
        await using (var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken))
        {
            try
            {
                await CopyAsync(connection, _sql.CopyDirect, hits, withOrdinal: false, cancellationToken);

                await transaction.CommitAsync(cancellationToken);
                return hits.Count;
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected)
            {
                await transaction.RollbackAsync(cancellationToken);
            }
        }

        return await MergeAsync(connection, hits, cancellationToken);
    }

    /// <summary>
    /// The duplicate-tolerant path: COPY into a temporary table, then one <c>INSERT … SELECT … ON CONFLICT DO NOTHING</c>
    /// (first occurrence of an id in the batch wins, ids already stored are skipped).
    /// </summary>
    private async ValueTask<int> MergeAsync(NpgsqlConnection connection, IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
        // The hits table's lock before the transaction gets its id (the temporary table gives it one): a rollup pass
        // counts a transaction as still writing hits by that lock (PostgreSqlSql.UpkeepTop).
        await connection.ExecuteAsync(new CommandDefinition(_sql.LockHits, transaction: transaction, cancellationToken: cancellationToken));
        await connection.ExecuteAsync(new CommandDefinition(_sql.CreateIncomingTable, transaction: transaction, cancellationToken: cancellationToken));
        await CopyAsync(connection, PostgreSqlSql.Copy, hits, withOrdinal: true, cancellationToken);

        var inserted = await connection.ExecuteAsync(new CommandDefinition(_sql.Merge, transaction: transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    /// <summary>
    /// One binary COPY of the batch: the rows encoded by <see cref="PostgreSqlHitCopy"/> into a raw COPY stream, which
    /// completes the COPY when disposed (a refused row, such as a known id, throws there). When the encoding fails
    /// (an unpaired surrogate) the COPY is cancelled, so none of the batch's rows stays in the transaction.
    /// </summary>
    private async ValueTask CopyAsync(NpgsqlConnection connection, string copy, IReadOnlyList<Hit> hits, bool withOrdinal, CancellationToken cancellationToken)
    {
        if (UseBinaryImporter)
        {
            await using var writer = await connection.BeginBinaryImportAsync(copy, cancellationToken);
            await WriteRowsAsync(writer, hits, withOrdinal, cancellationToken);
            await writer.CompleteAsync(cancellationToken);
            return;
        }

        await using var stream = await connection.BeginRawBinaryCopyAsync(copy, cancellationToken);
        try
        {
            await PostgreSqlHitCopy.WriteAsync(stream, hits, withOrdinal, cancellationToken);
        }
        catch (ArgumentException)
        {
            // A null hit, or text that is not valid UTF-16 (EncoderFallbackException): nothing was sent for this row.
            await stream.CancelAsync();
            throw;
        }
    }

    /// <summary>Tests and benchmarks: write through Npgsql's <see cref="NpgsqlBinaryImporter"/>, value by value, as before round 11.</summary>
    internal bool UseBinaryImporter { get; set; }

    private static async ValueTask WriteRowsAsync(NpgsqlBinaryImporter writer, IReadOnlyList<Hit> hits, bool withOrdinal, CancellationToken cancellationToken)
    {
        for (var i = 0; i < hits.Count; i++)
        {
            // Cut as PostgreSqlHitCopy cuts (HitText.Truncate), so both ways store the same rows.
            var hit = HitText.Truncate(hits[i] ?? throw new ArgumentException("The batch holds a null hit.", nameof(hits)));
            await writer.StartRowAsync(cancellationToken);
            if (withOrdinal)
            {
                await writer.WriteAsync(i, NpgsqlDbType.Integer, cancellationToken);
            }

            await writer.WriteAsync(hit.Id, NpgsqlDbType.Uuid, cancellationToken);
            await writer.WriteAsync(hit.SiteId, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(PostgreSqlDialect.ToStored(hit.Timestamp), NpgsqlDbType.TimestampTz, cancellationToken);
            await writer.WriteAsync(hit.EventName, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(hit.Hostname, NpgsqlDbType.Text, cancellationToken);
            await writer.WriteAsync(hit.Path, NpgsqlDbType.Text, cancellationToken);
            await WriteTextAsync(writer, hit.Referrer, cancellationToken);
            await WriteTextAsync(writer, hit.ReferrerSource, cancellationToken);
            await WriteTextAsync(writer, hit.UtmSource, cancellationToken);
            await WriteTextAsync(writer, hit.UtmMedium, cancellationToken);
            await WriteTextAsync(writer, hit.UtmCampaign, cancellationToken);
            await WriteTextAsync(writer, hit.UtmTerm, cancellationToken);
            await WriteTextAsync(writer, hit.UtmContent, cancellationToken);
            await writer.WriteAsync(hit.VisitorId, NpgsqlDbType.Bigint, cancellationToken);
            await WriteTextAsync(writer, hit.Browser, cancellationToken);
            await WriteTextAsync(writer, hit.BrowserVersion, cancellationToken);
            await WriteTextAsync(writer, hit.OperatingSystem, cancellationToken);
            await WriteTextAsync(writer, hit.OperatingSystemVersion, cancellationToken);
            await WriteTextAsync(writer, hit.DeviceType, cancellationToken);
            await WriteTextAsync(writer, hit.Country, cancellationToken);
            await WriteTextAsync(writer, hit.Region, cancellationToken);
            await WriteTextAsync(writer, hit.City, cancellationToken);
            if (hit.ScreenWidth is { } width)
            {
                await writer.WriteAsync(width, NpgsqlDbType.Integer, cancellationToken);
            }
            else
            {
                await writer.WriteNullAsync(cancellationToken);
            }

            await WriteTextAsync(writer, hit.Language, cancellationToken);
            if (HitPropertiesJson.Serialize(hit.Properties) is { } json)
            {
                await writer.WriteAsync(json, NpgsqlDbType.Jsonb, cancellationToken);
            }
            else
            {
                await writer.WriteNullAsync(cancellationToken);
            }

            await WriteTextAsync(writer, hit.Channel, cancellationToken);
            if (hit.PreviousVisitorId is { } previous)
            {
                await writer.WriteAsync(previous, NpgsqlDbType.Bigint, cancellationToken);
            }
            else
            {
                await writer.WriteNullAsync(cancellationToken);
            }

            if (hit.RevenueAmount is { } revenue)
            {
                await writer.WriteAsync(decimal.Round(revenue, 6, MidpointRounding.AwayFromZero), NpgsqlDbType.Numeric, cancellationToken);
            }
            else
            {
                await writer.WriteNullAsync(cancellationToken);
            }

            await WriteTextAsync(writer, hit.RevenueCurrency, cancellationToken);
        }
    }

    /// <inheritdoc />
    public async ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        query.Validate();
        if (await CompositeQueries.TryAnswerAsync(this, query, cancellationToken) is { } composite)
        {
            return composite;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await _rollups.TryAnswerAsync(connection, query, cancellationToken) ?? await _query.ExecuteAsync(connection, query, cancellationToken);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(range);
        cancellationToken.ThrowIfCancellationRequested();
        return HitReadOrdering.OrderTiesAsync(ReadByTimestampAsync(range, cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(range);
        cancellationToken.ThrowIfCancellationRequested();
        long purged;
        await using (var connection = await _dataSource.OpenConnectionAsync(cancellationToken))
        {
            // Raw-hit retention keeps the rollups of the days it empties (their horizon moves instead): no marks.
            var keepsRollups = HitRollups.IsRawRetention(range);
            await using var batch = new NpgsqlBatch(connection);
            var command = new NpgsqlBatchCommand(
                keepsRollups ? (range.SiteId is null ? _sql.Purge : _sql.PurgeSite)
                : range.SiteId is null ? _sql.PurgeMarkingDirty : _sql.PurgeSiteMarkingDirty);
            AddRangeParameters(command.Parameters, range);
            batch.BatchCommands.Add(command);
            if (keepsRollups)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
                // Rows is a ulong: exact even past int.MaxValue, unlike the int of ExecuteNonQuery.
                purged = checked((long)command.Rows);
            }
            else
            {
                // With the marks, in one transaction: the incremental upkeep's marks are forgotten (a new epoch), so the
                // next pass rebuilds the marked days whole rather than adding to rows that still count the erased hits.
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                batch.Transaction = transaction;
                purged = (long)(await batch.ExecuteScalarAsync(cancellationToken))!;
                await _rollups.ForgetUpkeepMarksAsync(connection, transaction, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
            }
        }

        if (OnHitsPurged is { } hook)
        {
            await hook();
        }

        await _rollups.OnPurgedAsync(range, cancellationToken);
        return purged;
    }

    /// <summary>Tests: called after a purge deleted the hits, before the rollup rows of their days are deleted.</summary>
    internal Func<ValueTask>? OnHitsPurged { get; set; }

    /// <inheritdoc />
    public ValueTask<int> RefreshRollupsAsync(IReadOnlyDictionary<string, TimeZoneInfo> siteTimeZones, CancellationToken cancellationToken) =>
        _rollups.RefreshAsync(siteTimeZones, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<int> GetVersionAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await CurrentVersionAsync(connection, null, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// An up-to-date database is only read, so an app role without <c>CREATE</c> rights starts fine. Otherwise each
    /// pending script runs in its own transaction together with its history row, after
    /// <c>pg_advisory_xact_lock</c>; the schema and the history table are created under that lock too, so several
    /// instances starting at once queue up and apply each script exactly once.
    /// </remarks>
    public async ValueTask MigrateAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var current = await CurrentVersionAsync(connection, null, cancellationToken);
        EnsureNotNewer(current);
        if (current == LatestVersion)
        {
            return;
        }

        while (true)
        {
            // Read committed: after waiting for the lock, every statement sees what the previous holder committed.
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);
            // No command timeout for the lock and the scripts: another instance may hold the lock while it builds an
            // index over a large table, which takes minutes (the token still cancels).
            await connection.ExecuteAsync(new CommandDefinition(
                PostgreSqlSql.TakeMigrationLock, new { key = PostgreSqlSql.MigrationLockKey }, transaction, commandTimeout: 0, cancellationToken: cancellationToken));
            if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                    PostgreSqlSql.SchemaExists, new { schema = _schema }, transaction, cancellationToken: cancellationToken)))
            {
                await connection.ExecuteAsync(new CommandDefinition(_sql.CreateSchema, transaction: transaction, cancellationToken: cancellationToken));
            }

            await connection.ExecuteAsync(new CommandDefinition(_sql.CreateHistory, transaction: transaction, cancellationToken: cancellationToken));
            var version = await connection.ExecuteScalarAsync<int>(new CommandDefinition(_sql.CurrentVersion, transaction: transaction, cancellationToken: cancellationToken));
            EnsureNotNewer(version);
            if (version == LatestVersion)
            {
                await transaction.CommitAsync(cancellationToken);
                return;
            }

            var migration = _migrations[version];
            await connection.ExecuteAsync(new CommandDefinition(migration.Script, transaction: transaction, commandTimeout: 0, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                _sql.InsertHistory, new { version = migration.Version, name = migration.Name }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The script is one transaction: it takes the same advisory lock as <see cref="MigrateAsync"/>, creates the
    /// schema and the history table when missing, then runs each pending script followed by its history row. It is
    /// empty when <paramref name="fromVersion"/> is at or past <see cref="LatestVersion"/>.
    /// </remarks>
    public string GetMigrationScript(int fromVersion)
    {
        if (fromVersion >= LatestVersion)
        {
            return string.Empty;
        }

        var body = SqlMigrations.Compose(
            _migrations,
            fromVersion,
            m => string.Create(
                CultureInfo.InvariantCulture,
                $"INSERT INTO {_sql.History} (version, name, applied_at) VALUES ({m.Version}, '{m.Name.Replace("'", "''", StringComparison.Ordinal)}', now());"));
        return string.Create(CultureInfo.InvariantCulture, $"""
            -- FrancisBeacon.PostgreSql schema {_schema}: from version {fromVersion} to {LatestVersion}.
            BEGIN;
            SELECT pg_advisory_xact_lock({PostgreSqlSql.MigrationLockKey});
            {_sql.CreateSchema};
            {_sql.CreateHistory};

            """) + body + "COMMIT;\n";
    }

    /// <inheritdoc />
    public async ValueTask<byte[]> GetOrAddSaltAsync(DateOnly day, byte[] candidate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        cancellationToken.ThrowIfCancellationRequested();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        // Two autocommit statements, not one: when racers insert at once, ON CONFLICT DO NOTHING waits for the winner
        // to commit, and only a statement started after that (read committed) is sure to see the winner's row.
        await using (var insert = new NpgsqlCommand(_sql.InsertSalt, connection))
        {
            insert.Parameters.Add(new NpgsqlParameter<DateOnly>("day", NpgsqlDbType.Date) { TypedValue = day });
            insert.Parameters.Add(new NpgsqlParameter<byte[]>("salt", NpgsqlDbType.Bytea) { TypedValue = candidate });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var select = new NpgsqlCommand(_sql.SelectSalt, connection);
        select.Parameters.Add(new NpgsqlParameter<DateOnly>("day", NpgsqlDbType.Date) { TypedValue = day });
        return await select.ExecuteScalarAsync(cancellationToken) as byte[]
            ?? throw new InvalidOperationException($"The salt of {day:yyyy-MM-dd} vanished right after it was stored.");
    }

    /// <inheritdoc />
    public async ValueTask<int> DeleteSaltsBeforeAsync(DateOnly day, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(_sql.DeleteSalts, connection);
        command.Parameters.Add(new NpgsqlParameter<DateOnly>("day", NpgsqlDbType.Date) { TypedValue = day });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposed, true);
        if (Interlocked.Exchange(ref _appendConnection, null) is { } kept)
        {
            await kept.DisposeAsync();
        }

        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Volatile.Write(ref _disposed, true);
        Interlocked.Exchange(ref _appendConnection, null)?.Dispose();
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }

    private static NpgsqlDataSource CreateDataSource(PostgreSqlHitStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new ArgumentException("PostgreSqlHitStoreOptions.ConnectionString is required.", nameof(options));
        }

        // Check the schema before anything is built, so a bad name fails the same way with either constructor.
        ValidateSchema(options.Schema);
        return NpgsqlDataSource.Create(options.ConnectionString);
    }

    private static IReadOnlyList<SqlMigration> LoadMigrations(string quotedSchema) =>
        SqlMigrations.Load(
            typeof(PostgreSqlHitStore).Assembly,
            "FrancisBeacon.PostgreSql.Migrations.",
            new Dictionary<string, string> { ["{schema}"] = quotedSchema });

    private void EnsureNotNewer(int version)
    {
        if (version > LatestVersion)
        {
            throw new InvalidOperationException(
                $"The beacon schema \"{_schema}\" is at version {version}, newer than this code's {LatestVersion}; " +
                "refusing to touch it. Upgrade FrancisBeacon.PostgreSql: an older version must not write to a newer schema.");
        }
    }

    private static ValueTask WriteTextAsync(NpgsqlBinaryImporter writer, string? value, CancellationToken cancellationToken) =>
        value is null
            ? new ValueTask(writer.WriteNullAsync(cancellationToken))
            : new ValueTask(writer.WriteAsync(value, NpgsqlDbType.Text, cancellationToken));

    // One site's hits (an export) are read a page at a time, each page on a pooled connection of its own, so that no
    // connection is held while the caller writes a page to a slow client (about a hundred slowly read exports held every
    // connection of the pool); every site's hits at once (only a BRIN index on ts) in one statement.
    private IAsyncEnumerable<Hit> ReadByTimestampAsync(HitRange range, CancellationToken cancellationToken) =>
        range.SiteId is null
            ? ReadStatementAsync(_sql.Read, range, paged: false, null, cancellationToken)
            : HitReadOrdering.ReadInPagesAsync(range, ReadPageSize, ReadPageAsync, cancellationToken);

    /// <summary>Rows per page of a site's <see cref="ReadAsync"/> (at least 2).</summary>
    internal int ReadPageSize { get; set; } = 1000;

    private ValueTask<List<Hit>> ReadPageAsync(HitRange range, int? limit, CancellationToken cancellationToken) =>
        ReadStatementAsync(_sql.ReadSitePage, range, paged: true, limit, cancellationToken).ToListAsync(cancellationToken);

    // paged: the statement takes @limit (NULL: no limit).
    private async IAsyncEnumerable<Hit> ReadStatementAsync(string sql, HitRange range, bool paged, int? limit, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        AddRangeParameters(command.Parameters, range);
        if (paged)
        {
            command.Parameters.Add(new NpgsqlParameter("limit", NpgsqlDbType.Bigint) { Value = limit is { } rows ? rows : DBNull.Value });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return HitRowReader.Read(reader, static (r, i) => r.GetFieldValue<DateTimeOffset>(i), static (r, i) => r.GetDecimal(i));
        }
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static void AddRangeParameters(NpgsqlParameterCollection parameters, HitRange range)
    {
        if (range.SiteId is not null)
        {
            parameters.Add(new NpgsqlParameter<string>("site_id", NpgsqlDbType.Text) { TypedValue = range.SiteId });
        }

        parameters.Add(new NpgsqlParameter<DateTimeOffset>("from_ts", NpgsqlDbType.TimestampTz) { TypedValue = PostgreSqlDialect.ToBound(range.From) });
        parameters.Add(new NpgsqlParameter<DateTimeOffset>("to_ts", NpgsqlDbType.TimestampTz) { TypedValue = PostgreSqlDialect.ToBound(range.To) });
    }

    private async ValueTask<int> CurrentVersionAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            PostgreSqlSql.HistoryExists, new { schema = _schema }, transaction, cancellationToken: cancellationToken));
        if (!exists)
        {
            return 0;
        }

        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(_sql.CurrentVersion, transaction: transaction, cancellationToken: cancellationToken));
    }
}

using System.Collections.Concurrent;
using FrancisBeacon.Storage;
using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>The SQLite store against the conformance kit: one temporary database file per test.</summary>
public sealed class SqliteHitStoreConformanceTests(SqliteHitStoreFixture fixture)
    : HitStoreRollupConformanceTests<SqliteHitStoreFixture>(fixture);

/// <summary>Gives each isolation key its own SQLite file, deleted when the test class is done.</summary>
public sealed class SqliteHitStoreFixture : IHitStoreFixture, IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "francisbeacon-tests", "kit-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentDictionary<string, string> _files = new(StringComparer.Ordinal);

    public ValueTask<IHitStore> CreateStoreAsync(string isolationKey, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var file = _files.GetOrAdd(isolationKey, key => Path.Combine(_directory, key + ".db"));
        IHitStore store = new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = $"Data Source={file}", MaxRollupLag = TimeSpan.Zero });
        return ValueTask.FromResult(store);
    }

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}

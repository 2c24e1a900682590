// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Tests.Storage;

/// <summary>
/// A fake store with a versioned schema, to run the kit's schema tests: an in-memory "database" shared by every
/// instance of one isolation key, which refuses data work until migrated, as a SQL store without tables would.
/// </summary>
public sealed class MigratingHitStore : IHitStore, IHitStoreSchema, IAsyncDisposable
{
    private readonly Database _database;

    public MigratingHitStore(Database database) => _database = database;

    public int LatestVersion => 2;

    public bool Disposed { get; private set; }

    public async ValueTask<int> GetVersionAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Task.Yield();
        return _database.Version;
    }

    public async ValueTask MigrateAsync(CancellationToken cancellationToken)
    {
        await _database.Lock.WaitAsync(cancellationToken);
        try
        {
            for (var version = _database.Version + 1; version <= LatestVersion; version++)
            {
                // A slow script, so that concurrent migrators really overlap.
                await Task.Delay(20, cancellationToken);
                _database.Version = version;
            }
        }
        finally
        {
            _database.Lock.Release();
        }
    }

    public string GetMigrationScript(int fromVersion) =>
        string.Concat(Enumerable.Range(fromVersion + 1, Math.Max(0, LatestVersion - fromVersion)).Select(v => $"-- migration {v}\n"));

    public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) => Ready().AppendAsync(hits, cancellationToken);

    public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken) => Ready().QueryAsync(query, cancellationToken);

    public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => Ready().ReadAsync(range, cancellationToken);

    public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => Ready().PurgeAsync(range, cancellationToken);

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }

    private InMemoryHitStore Ready()
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        return _database.Version == LatestVersion
            ? _database.Hits
            : throw new InvalidOperationException("The schema is not migrated.");
    }

    public sealed class Database
    {
        private int _version;

        public int Version
        {
            get => Volatile.Read(ref _version);
            set => Volatile.Write(ref _version, value);
        }

        public InMemoryHitStore Hits { get; } = new();

        public SemaphoreSlim Lock { get; } = new(1, 1);
    }
}

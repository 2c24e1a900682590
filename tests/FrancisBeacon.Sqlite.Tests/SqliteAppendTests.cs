using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// The write path marks the rollups' dirty hours itself, once per (site, UTC hour) of the rows a batch really
/// inserted (migration 0008 dropped the per-row trigger).
/// </summary>
public sealed class SqliteAppendTests : IDisposable
{
    private static readonly Dictionary<string, TimeZoneInfo> Sites = new(StringComparer.Ordinal) { [HitBuilder.DefaultSiteId] = TimeZoneInfo.Utc };
    private readonly SqliteTestDatabase _database = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AppendAsync_NewHits_MarksEachSiteHourOnceInTheBatch()
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        await store.AppendAsync(
        [
            HitBuilder.Pageview("/a").At(t0).Build(),
            HitBuilder.Pageview("/b").At(t0.AddMinutes(59)).Build(),
            HitBuilder.Pageview("/c").At(t0.AddHours(1)).Build(),
            HitBuilder.Pageview("/d").At(t0.AddHours(-1)).ForSite("other.example").Build(),
        ], Ct);

        var hour = t0.ToUnixTimeMilliseconds() / 3_600_000;
        Assert.Equal(
            [(HitBuilder.DefaultSiteId, hour, 1L), (HitBuilder.DefaultSiteId, hour + 1, 1L), ("other.example", hour - 1, 1L)],
            await DirtyAsync());
    }

    [Fact]
    public async Task AppendAsync_KnownIdsAfterRefresh_MarkNothing()
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        var hits = Enumerable.Range(0, 5).Select(i => HitBuilder.Pageview("/p" + i).At(new DateTimeOffset(2025, 3, 1, i, 0, 0, TimeSpan.Zero)).Build()).ToList();
        await store.AppendAsync(hits, Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Empty(await DirtyAsync());

        await store.AppendAsync(hits, Ct); // a batch retried after its commit's answer was lost, or a spool replayed

        Assert.Empty(await DirtyAsync());
        Assert.Equal(5L, await ScalarAsync("SELECT count(*) FROM beacon_hits"));
    }

    [Fact]
    public async Task AppendAsync_SomeKnownIds_MarksOnlyTheHoursOfNewRowsAndBumpsTheVersion()
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        var known = HitBuilder.Pageview("/known").At(t0).Build();
        await store.AppendAsync([known], Ct);
        await store.AppendAsync([known, HitBuilder.Pageview("/new").At(t0.AddHours(2)).Build(), HitBuilder.Pageview("/new2").At(t0.AddMinutes(5)).Build()], Ct);

        var hour = t0.ToUnixTimeMilliseconds() / 3_600_000;
        // The hour of t0 was marked by the first batch and again by /new2 (version 2); /known's re-send marked nothing.
        Assert.Equal([(HitBuilder.DefaultSiteId, hour, 2L), (HitBuilder.DefaultSiteId, hour + 2, 1L)], await DirtyAsync());
    }

    [Fact]
    public async Task MigrateAsync_Latest_HasNoPerRowTriggerOnHits()
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);

        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"));
    }

    [Fact]
    public async Task AppendAsync_SeveralBatches_OneKeptConnectionWritesThemAll()
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

        for (var batch = 0; batch < 3; batch++)
        {
            await store.AppendAsync([HitBuilder.Pageview("/b" + batch).At(t0.AddHours(batch)).Build(), HitBuilder.Pageview("/c" + batch).At(t0).Build()], Ct);
        }

        Assert.Equal(3, store.AppendConnection?.Batches);
        Assert.Equal(6L, await ScalarAsync("SELECT count(*) FROM beacon_hits"));
        var hour = t0.ToUnixTimeMilliseconds() / 3_600_000;
        Assert.Equal(
            [(HitBuilder.DefaultSiteId, hour, 3L), (HitBuilder.DefaultSiteId, hour + 1, 1L), (HitBuilder.DefaultSiteId, hour + 2, 1L)],
            await DirtyAsync());
    }

    [Fact]
    public async Task AppendAsync_FailedBatch_StoresNoneOfItAndTheNextBatchGetsAFreshConnection()
    {
        var store = await StoreWithOneHitAsync("/first");
        var kept = store.AppendConnection;
        Assert.NotNull(kept);

        await Assert.ThrowsAsync<ArgumentException>(async () => await store.AppendAsync([HitBuilder.Pageview("/lost").At(T0).Build(), null!], Ct));
        await store.AppendAsync([HitBuilder.Pageview("/after").At(T0).Build()], Ct);

        Assert.NotSame(kept, store.AppendConnection);
        Assert.Equal(1, store.AppendConnection?.Batches);
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM beacon_hits WHERE path = '/lost'"));
        Assert.Equal(2L, await ScalarAsync("SELECT count(*) FROM beacon_hits"));
    }

    [Fact]
    public async Task AppendAsync_BatchesAtTheSameTime_AllStored()
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

        // One batch takes the kept connection, the others open their own and wait for SQLite's write lock.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(b => Task.Run(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await store.AppendAsync(Enumerable.Range(0, 20).Select(k => HitBuilder.Pageview($"/{b}/{i}/{k}").At(t0.AddSeconds(k)).Build()).ToList(), Ct);
            }
        }, Ct)));

        Assert.Equal(800L, await ScalarAsync("SELECT count(*) FROM beacon_hits"));
        Assert.NotNull(store.AppendConnection);
    }

    [Fact]
    public async Task AppendAsync_TableChangedByAnotherConnectionBetweenBatches_KeptStatementsFollowTheSchema()
    {
        var store = await StoreWithOneHitAsync("/before");

        // A later migration, made by another instance: a new index and a new column with a default.
        await ScalarAsync("CREATE INDEX beacon_hits_path_test ON beacon_hits (path); ALTER TABLE beacon_hits ADD COLUMN extra_test INTEGER NOT NULL DEFAULT 7; SELECT 0");
        await store.AppendAsync([HitBuilder.Pageview("/after").At(T0).Build()], Ct);

        Assert.Equal(2, store.AppendConnection?.Batches);
        Assert.Equal(14L, await ScalarAsync("SELECT sum(extra_test) FROM beacon_hits INDEXED BY beacon_hits_path_test WHERE path IN ('/before', '/after')"));
    }

    [Fact]
    public async Task CloseAppendConnection_NextBatchOpensAnother()
    {
        var store = await StoreWithOneHitAsync("/a");

        store.CloseAppendConnection();
        Assert.Null(store.AppendConnection);
        await store.AppendAsync([HitBuilder.Pageview("/b").At(T0).Build()], Ct);

        Assert.Equal(1, store.AppendConnection?.Batches);
        Assert.Equal(2L, await ScalarAsync("SELECT count(*) FROM beacon_hits"));
    }

    [Fact]
    public async Task Dispose_ClosesTheKeptConnection()
    {
        // Pooling is off for the test database: once the kept connection is closed no connection is open on the file,
        // and SQLite checkpoints the WAL and deletes it as the last connection closes.
        var store = await StoreWithOneHitAsync("/a");
        Assert.NotNull(store.AppendConnection);
        Assert.True(File.Exists(_database.Path + "-wal"));

        store.Dispose();

        Assert.Null(store.AppendConnection);
        Assert.False(File.Exists(_database.Path + "-wal"));
        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM beacon_hits"));
    }

    public void Dispose() => _database.Dispose();

    private static readonly DateTimeOffset T0 = new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>A migrated store that has written one batch of one page view (so it keeps its append connection).</summary>
    private async Task<SqliteHitStore> StoreWithOneHitAsync(string path)
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        await store.AppendAsync([HitBuilder.Pageview(path).At(T0).Build()], Ct);
        return store;
    }

    private async Task<List<(string SiteId, long Hour, long Ver)>> DirtyAsync()
    {
        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT site_id, hour, ver FROM beacon_rollup_dirty ORDER BY site_id, hour";
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<(string, long, long)>();
        while (await reader.ReadAsync(Ct))
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return rows;
    }

    private Task<long> ScalarAsync(string sql) => _database.ScalarAsync(sql, Ct);
}

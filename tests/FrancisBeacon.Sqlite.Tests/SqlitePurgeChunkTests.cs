using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using FrancisBeacon.Testing;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// Retention and erasure in bounded transactions (docs/storage.md, "Retention, erasure and export"): a purge deletes
/// hits a chunk at a time, each chunk its own write transaction, and the rollup rows of the purged days in chunks the
/// store may commit separately, so a hit write goes in between them; every query between the chunks equals the raw path,
/// a purge stopped half-way leaves exact answers and is finished by running it again, and the rows end up as a whole
/// build of the hits left gives. Chunks are made small and observed through hooks, not clocks.
/// </summary>
public sealed class SqlitePurgeChunkTests : IDisposable
{
    private static readonly TimeZoneInfo Zone = RollupTableRows.Zone;
    private static readonly DateOnly LastDay = new(2026, 3, 12);
    private static readonly Dictionary<string, TimeZoneInfo> Sites = RollupTableRows.Sites;

    // From the middle of the first day to the middle of the second: both edge days keep part of their hits.
    private static readonly HitRange Erased = new()
    {
        SiteId = HitBuilder.DefaultSiteId,
        From = TimeZoneSegments.StartOfDay(LastDay.AddDays(-1), Zone).AddHours(13),
        To = TimeZoneSegments.StartOfDay(LastDay, Zone).AddHours(11),
        IncludeDerivedData = true,
    };

    private readonly SqliteTestDatabase _database = new();
    private readonly SqliteTestDatabase _whole = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PurgeAsync_ManyChunks_HitWriteGoesInBetweenAndAnswersStayExact()
    {
        var hits = Generate(31);
        var kept = hits.Where(h => !InRange(h)).ToList();
        var late = kept[^20..]; // arrive while the purge runs
        var (store, raw) = await BuiltStoreAsync(hits.Except(late).ToList());
        var expected = hits.Count(InRange);

        var chunks = 0;
        var mismatches = new List<string>();
        var storedAfterFirstChunk = 0L;
        store.OnPurgeChunkCommitted = async () =>
        {
            if (++chunks == 1)
            {
                // The purge's chunk committed: a hit write gets the lock before the next chunk.
                await store.AppendAsync(late, Ct);
                storedAfterFirstChunk = await ScalarAsync("SELECT count(*) FROM beacon_hits");
            }

            mismatches.AddRange(await MismatchesAsync(store, raw));
        };
        store.ForceSplits = true; // the rollup deletes commit at every chunk too
        store.OnSplitCommitted = async () => mismatches.AddRange(await MismatchesAsync(store, raw));

        var deleted = await store.PurgeAsync(Erased, Ct);

        Assert.Equal(expected, deleted);
        Assert.True(chunks > 5, $"{chunks} chunks");
        Assert.True(store.Rollups.PurgeSplits > 0, "the rollup deletes were never split");
        Assert.Equal(hits.Count - store.PurgeChunkRows, storedAfterFirstChunk);
        Assert.Empty(mismatches);
        Assert.Equal(kept.Count, await ScalarAsync("SELECT count(*) FROM beacon_hits"));

        store.ForceSplits = false;
        store.OnSplitCommitted = null;
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Empty(await MismatchesAsync(store, raw));
        await RollupTableRows.AssertSameRowsAsWholeBuildAsync(_whole, _database.ConnectionString, kept, Ct);
    }

    [Fact]
    public async Task PurgeAsync_StopsHalfWay_AnswersStayExactAndRunningItAgainDeletesTheRest()
    {
        var hits = Generate(32);
        var kept = hits.Where(h => !InRange(h)).ToList();
        var (store, raw) = await BuiltStoreAsync(hits);

        var chunks = 0;
        store.OnPurgeChunkCommitted = () => ++chunks == 3 ? throw new InvalidOperationException("the purge stops half-way") : ValueTask.CompletedTask;
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.PurgeAsync(Erased, Ct));
        Assert.Equal("the purge stops half-way", error.Message);

        // Three chunks gone, the rollups of their days not deleted yet: those days are overdue, answered from the raw hits.
        Assert.Equal(hits.Count - (3 * store.PurgeChunkRows), await ScalarAsync("SELECT count(*) FROM beacon_hits"));
        Assert.Empty(await MismatchesAsync(store, raw));
        // A rollup pass in between rebuilds those days from the hits left.
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Empty(await MismatchesAsync(store, raw));

        store.OnPurgeChunkCommitted = null;
        var rest = await store.PurgeAsync(Erased, Ct);

        Assert.Equal(hits.Count(InRange) - (3 * store.PurgeChunkRows), rest);
        Assert.Equal(kept.Count, await ScalarAsync("SELECT count(*) FROM beacon_hits"));
        Assert.Empty(await MismatchesAsync(store, raw));
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Empty(await MismatchesAsync(store, raw));
        await RollupTableRows.AssertSameRowsAsWholeBuildAsync(_whole, _database.ConnectionString, kept, Ct);
    }

    public void Dispose()
    {
        _database.Dispose();
        _whole.Dispose();
    }

    private static bool InRange(Hit hit) => hit.Timestamp >= Erased.From && hit.Timestamp < Erased.To;

    private static List<Hit> Generate(int seed) =>
        new RealisticHitGenerator(400) { SiteId = HitBuilder.DefaultSiteId, TimeZone = Zone, Seed = seed }.Generate(2_400, 2, LastDay).OrderBy(h => h.Timestamp).ToList();

    private async Task<(SqliteHitStore Store, SqliteHitStore Raw)> BuiltStoreAsync(List<Hit> hits)
    {
        var store = new SqliteHitStore(new SqliteHitStoreOptions
        {
            ConnectionString = _database.ConnectionString,
            // Dirty days answered from their stored rows: only the purge's overdue marks keep the erased hits out.
            MaxRollupLag = TimeSpan.FromHours(1),
            BusyTimeout = TimeSpan.FromMinutes(2), // how long a chunk waits for the hit write: not a timing assertion
        })
        {
            PurgeChunkRows = 100,
        };
        store.Rollups.DeleteChunkRows = 50;
        await store.MigrateAsync(Ct);
        await store.AppendAsync(hits, Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        var raw = new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = _database.ConnectionString, EnableRollups = false });
        return (store, raw);
    }

    private static Task<List<string>> MismatchesAsync(SqliteHitStore store, SqliteHitStore raw) =>
        RollupAnswerChecks.MismatchesAsync(store, raw, HitBuilder.DefaultSiteId, Zone, LastDay, Ct);

    private Task<long> ScalarAsync(string sql) => _database.ScalarAsync(sql, Ct);
}

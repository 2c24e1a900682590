using FrancisBeacon.Testing;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// Whole-day rollup rewrites in bounded transactions (docs/storage.md, "Writing while the rollups are kept"): a hit
/// write that waits at a split goes in before the rewrite goes on, every query between the chunks equals the raw path,
/// a pass that dies half-way leaves the day answered from the raw hits and the next pass rebuilds it, and the rows end
/// up as one whole build gives. Splits are forced at every chunk and observed through hooks, not clocks.
/// </summary>
public sealed class SqliteSplitRewriteTests : IDisposable
{
    private static readonly TimeZoneInfo Zone = RollupTableRows.Zone;
    private static readonly DateOnly LastDay = new(2026, 3, 12);
    private static readonly Dictionary<string, TimeZoneInfo> Sites = RollupTableRows.Sites;

    private readonly SqliteTestDatabase _database = new();
    private readonly SqliteTestDatabase _whole = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RefreshAsync_HitWriteWaitingAtASplit_GoesInBeforeTheRewriteGoesOnAndAnswersStayExact()
    {
        var hits = Generate(21);
        var (store, raw) = await BuiltStoreAsync(hits[..(hits.Count * 6 / 10)]);
        await store.AppendAsync(hits[(hits.Count * 6 / 10)..(hits.Count * 9 / 10)], Ct);
        var extra = hits[(hits.Count * 9 / 10)..];

        Task? append = null;
        var storedAtLaterSplits = new List<long>();
        var mismatches = new List<string>();
        store.ForceSplits = true;
        store.OnSplitCommitted = async () =>
        {
            if (append is null)
            {
                mismatches.AddRange(await MismatchesAsync(store, raw));
                // A hit write arriving while the pass rewrites the day: counted in before it waits for the lock.
                append = Task.Run(async () => await store.AppendAsync(extra, Ct), Ct);
                while (!store.HitWritesWaiting && !append.IsCompleted)
                {
                    await Task.Yield();
                }
            }
            else
            {
                storedAtLaterSplits.Add(await ScalarAsync("SELECT count(*) FROM beacon_hits"));
                mismatches.AddRange(await MismatchesAsync(store, raw));
            }
        };

        await store.RefreshRollupsAsync(Sites, Ct);

        Assert.NotNull(append);
        Assert.Empty(mismatches);
        Assert.True(storedAtLaterSplits.Count >= 3, $"{storedAtLaterSplits.Count} later splits");
        Assert.All(storedAtLaterSplits, n => Assert.Equal(hits.Count, n)); // the hit write went in before the rewrite's next chunk
        Assert.Equal(store.Splits, store.Rollups.DaySplits);
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM beacon_rollup_rebuilding"));

        // The hit write's hits are folded in by the next pass.
        store.ForceSplits = false;
        store.OnSplitCommitted = null;
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Empty(await MismatchesAsync(store, raw));
        await AssertSameRowsAsWholeBuildAsync(hits);
    }

    [Fact]
    public async Task RefreshAsync_PassDiesHalfWayThroughADay_DayAnsweredFromRawHitsUntilTheNextPassRebuildsIt()
    {
        var hits = Generate(22);
        var (store, raw) = await BuiltStoreAsync(hits[..(hits.Count * 7 / 10)]);
        await store.AppendAsync(hits[(hits.Count * 7 / 10)..], Ct);

        var splits = 0;
        store.ForceSplits = true;
        store.OnSplitCommitted = () => ++splits == 2 ? throw new InvalidOperationException("the pass dies half-way") : ValueTask.CompletedTask;
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.RefreshRollupsAsync(Sites, Ct));
        Assert.Equal("the pass dies half-way", error.Message);

        Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM beacon_rollup_rebuilding"));
        Assert.Empty(await MismatchesAsync(store, raw));

        store.ForceSplits = false;
        store.OnSplitCommitted = null;
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM beacon_rollup_rebuilding"));
        Assert.Empty(await MismatchesAsync(store, raw));
        await AssertSameRowsAsWholeBuildAsync(hits);
    }

    [Fact]
    public async Task RefreshAsync_NewHitsCheaperToRebuildWithTheDay_RebuildsWholeAndAppliesAFewIncrementally()
    {
        var hits = Generate(23, days: 1);
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        // A young day: a fifth of it stored, then the rest (four times as many new hits as stored ones): whole.
        await store.AppendAsync(hits[..(hits.Count / 5)], Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        await store.AppendAsync(hits[(hits.Count / 5)..^20], Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Equal(0, store.Rollups.IncrementalDays);

        // Then twenty new hits on a day of hundreds: applied.
        await store.AppendAsync(hits[^20..], Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Equal(1, store.Rollups.IncrementalDays);
        await AssertSameRowsAsWholeBuildAsync(hits);
    }

    public void Dispose()
    {
        _database.Dispose();
        _whole.Dispose();
    }

    private static List<Hit> Generate(int seed, int days = 2) =>
        new RealisticHitGenerator(400) { SiteId = HitBuilder.DefaultSiteId, TimeZone = Zone, Seed = seed }.Generate(1_200 * days, days, LastDay).OrderBy(h => h.Timestamp).ToList();

    private async Task<(SqliteHitStore Store, SqliteHitStore Raw)> BuiltStoreAsync(List<Hit> first)
    {
        var store = new SqliteHitStore(new SqliteHitStoreOptions
        {
            ConnectionString = _database.ConnectionString,
            // Dirty days answered from their stored rows: only the rewrite's own record keeps a half-written day out.
            MaxRollupLag = TimeSpan.FromHours(1),
            IncrementalRollups = false, // every pass rewrites the changed days whole
            BusyTimeout = TimeSpan.FromMinutes(2), // how long a split waits for the hit write: not a timing assertion
        });
        await store.MigrateAsync(Ct);
        await store.AppendAsync(first, Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        var raw = new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = _database.ConnectionString, EnableRollups = false });
        return (store, raw);
    }

    private static Task<List<string>> MismatchesAsync(SqliteHitStore store, SqliteHitStore raw) =>
        RollupAnswerChecks.MismatchesAsync(store, raw, HitBuilder.DefaultSiteId, Zone, LastDay, Ct);

    private async Task AssertSameRowsAsWholeBuildAsync(List<Hit> hits)
    {
        var whole = _whole.CreateStore();
        await whole.MigrateAsync(Ct);
        await whole.AppendAsync(hits, Ct);
        await whole.RefreshRollupsAsync(Sites, Ct);
        foreach (var table in RollupTableRows.Tables)
        {
            Assert.Equal(await RollupTableRows.ReadAsync(_whole.ConnectionString, table), await RollupTableRows.ReadAsync(_database.ConnectionString, table));
        }
    }

    private Task<long> ScalarAsync(string sql) => _database.ScalarAsync(sql, Ct);
}

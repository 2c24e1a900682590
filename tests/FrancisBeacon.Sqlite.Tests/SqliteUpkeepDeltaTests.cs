using FrancisBeacon.Sql.Rollups;
using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// The SQLite-specific parts of an incremental pass (SqliteRollupDeltaWriter, the next-day skip): a delta that does not
/// fit the stored rows makes the pass rebuild the day whole, and a pass that applies new hits leaves the day after alone
/// without changing what a later pass over that day gives.
/// </summary>
public sealed class SqliteUpkeepDeltaTests : IDisposable
{
    private static readonly TimeZoneInfo Zone = RollupTableRows.Zone;
    private static readonly DateOnly LastDay = new(2026, 3, 12);
    private static readonly Dictionary<string, TimeZoneInfo> Sites = RollupTableRows.Sites;

    private readonly SqliteTestDatabase _incremental = new();
    private readonly SqliteTestDatabase _whole = new();
    private readonly SqliteTestDatabase _control = new();

    [Fact]
    public async Task RefreshAsync_StoredRowsNotWhatTheDeltaWasTakenAgainst_RebuildsTheDayWhole()
    {
        var ct = TestContext.Current.CancellationToken;
        var hits = Generate(11);
        var lastDay = Day(hits[^1]);
        var onLastDay = hits.FindIndex(h => Day(h) == lastDay);
        var first = hits.Count - ((hits.Count - onLastDay) / 4);
        // A stored session extended by a new page: its old exit page loses a visit (a net subtraction).
        var extended = hits[first - 1];
        hits.Add(extended with { Id = Guid.NewGuid(), Timestamp = extended.Timestamp.AddSeconds(1), Path = "/upkeep-extended", EventName = Hit.PageviewEvent });
        hits = [.. hits.OrderBy(h => h.Timestamp)];

        // Control: untouched rows, the same batches: the day is brought up to date incrementally.
        var control = await TwoPassesAsync(_control, hits, first, tamper: null, ct);
        Assert.Equal(1, control.Rollups.IncrementalDays);

        // Stored visit rows that no longer hold what the sessions say (zero counts): a returning visitor's old exit page
        // or bounce is taken off them, which goes negative.
        var store = await TwoPassesAsync(_incremental, hits, first,
            $"UPDATE beacon_rollup_visits SET visitors = 0, visits = 0, bounces = 0, duration_ms = 0, pageviews = 0, events = 0 WHERE day = {lastDay} AND dim <> 0", ct);
        Assert.Equal(0, store.Rollups.IncrementalDays);
        await AssertSameRowsAsWholeBuildAsync(hits, ct);
    }

    [Fact]
    public async Task RefreshAsync_IncrementalPass_LeavesTheNextDayAloneAndItBuildsLater()
    {
        var ct = TestContext.Current.CancellationToken;
        var hits = Generate(12);
        var lastDay = Day(hits[^1]);
        var onLastDay = hits.FindIndex(h => Day(h) == lastDay);
        var onDayBefore = hits.FindIndex(h => Day(h) == lastDay - 1);
        var first = onLastDay - ((onLastDay - onDayBefore) / 5);
        var store = _incremental.CreateStore();
        await store.MigrateAsync(ct);
        await store.AppendAsync(hits[..first], ct);
        await store.RefreshRollupsAsync(Sites, ct);

        // The rest of the day before: applied incrementally; its next day (empty so far) gets no rows and no mark.
        await store.AppendAsync(hits[first..onLastDay], ct);
        await store.RefreshRollupsAsync(Sites, ct);
        Assert.Equal(1, store.Rollups.IncrementalDays);
        Assert.Equal(0L, await ScalarAsync($"SELECT count(*) FROM beacon_rollup_upkeep WHERE day = {lastDay}"));
        Assert.Equal(0L, await ScalarAsync($"SELECT count(*) FROM beacon_rollup_visits WHERE day = {lastDay}"));

        // Its hits (visits across midnight among them) then build it as a whole build does.
        await store.AppendAsync(hits[onLastDay..], ct);
        await store.RefreshRollupsAsync(Sites, ct);
        Assert.True(await ScalarAsync($"SELECT count(*) FROM beacon_rollup_upkeep WHERE day = {lastDay}") == 1);
        await AssertSameRowsAsWholeBuildAsync(hits, ct);
    }

    public void Dispose()
    {
        _incremental.Dispose();
        _whole.Dispose();
        _control.Dispose();
    }

    private static async Task<SqliteHitStore> TwoPassesAsync(SqliteTestDatabase database, List<Hit> hits, int first, string? tamper, CancellationToken ct)
    {
        var store = database.CreateStore();
        await store.MigrateAsync(ct);
        await store.AppendAsync(hits[..first], ct);
        await store.RefreshRollupsAsync(Sites, ct);
        if (tamper is not null)
        {
            await ExecuteAsync(database.ConnectionString, tamper);
        }

        await store.AppendAsync(hits[first..], ct);
        await store.RefreshRollupsAsync(Sites, ct);
        return store;
    }

    private static List<Hit> Generate(int seed) =>
        new RealisticHitGenerator(150) { SiteId = HitBuilder.DefaultSiteId, TimeZone = Zone, Seed = seed }.Generate(1_500, 3, LastDay).OrderBy(h => h.Timestamp).ToList();

    private static long Day(Hit hit) => HitRollups.DayOf(hit.Timestamp.ToUnixTimeMilliseconds(), Zone);

    private Task AssertSameRowsAsWholeBuildAsync(List<Hit> hits, CancellationToken ct) =>
        RollupTableRows.AssertSameRowsAsWholeBuildAsync(_whole, _incremental.ConnectionString, hits, ct);

    private Task<long> ScalarAsync(string sql) => _incremental.ScalarAsync(sql, TestContext.Current.CancellationToken);

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}

using FrancisBeacon.Querying;
using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// The SQLite store answers segment-filtered totals and lists over whole months, runs of months and weeks from its
/// segment block tables, builds a block only once its days are past, and builds them for existing segment rollups.
/// </summary>
public sealed class SqliteSegmentBlockTests : IDisposable
{
    private static readonly Dictionary<string, TimeZoneInfo> Sites = new(StringComparer.Ordinal) { [HitBuilder.DefaultSiteId] = TimeZoneInfo.Utc };
    private static readonly HitFilter Google = HitFilter.Is(HitDimension.Source, "Google");
    private readonly SqliteTestDatabase _database = new();

    [Fact]
    public async Task QueryAsync_SegmentFilterOverWholeRunOfMonths_ReadsSegmentBlocks()
    {
        var store = await CreateLoadedStoreAsync();
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Equal(61, await PageviewsByPageAsync(store, Days(3, 1, 5, 1)));

        // March and April 2025 are a run of two months; May is not complete (hits until May 10).
        await ExecuteAsync("UPDATE beacon_rollup_segment_block_events SET pageviews = pageviews + 1000 WHERE dim = 1 AND value = '/p1' AND end_day - first_day = 61");

        Assert.Equal(1061, await PageviewsByPageAsync(store, Days(3, 1, 5, 1))); // the run
        Assert.Equal(1062, await PageviewsByPageAsync(store, Days(2, 28, 5, 1))); // an edge day and the run
        Assert.Equal(1072, await PageviewsByPageAsync(store, Days(2, 28, 5, 11))); // and the days of May
        Assert.Equal(60, await PageviewsByPageAsync(store, Days(3, 2, 5, 1))); // April, weeks and days of March
        Assert.Equal(61, await PageviewsAsync(store, Days(3, 1, 5, 1) with { Dimensions = [HitDimension.Day] })); // series read days

        // The top of the list, read by the top-k statement.
        var top = await store.QueryAsync(Days(3, 1, 5, 1) with { Dimensions = [HitDimension.Page], Limit = 2 }, Ct);
        Assert.Equal(["/p1", "/p0"], top.Rows.Select(r => r.Dimensions[0]));
        Assert.Equal(1016, top.Rows[0].Metrics[0]);
    }

    [Fact]
    public async Task QueryAsync_SegmentTotalsOverWholeWeeksAndMonths_ReadSegmentBlocks()
    {
        var store = await CreateLoadedStoreAsync();
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Equal(30, await VisitorsAsync(store, Days(4, 1, 5, 1)));

        // April 2025 (a month) and Monday 2025-04-07 .. Sunday 2025-04-13 (a week): the day totals (dim 0).
        await ExecuteAsync("UPDATE beacon_rollup_segment_block_events SET visitors = visitors + 1000 WHERE dim = 0 AND end_day - first_day = 30");
        await ExecuteAsync("UPDATE beacon_rollup_segment_block_events SET visitors = visitors + 100000 WHERE dim = 0 AND end_day - first_day = 7 AND first_day = 20185");

        Assert.Equal(1030, await VisitorsAsync(store, Days(4, 1, 5, 1))); // the month
        Assert.Equal(100014, await VisitorsAsync(store, Days(4, 3, 4, 17))); // 4 edge days and the week
        Assert.Equal(13, await VisitorsAsync(store, Days(4, 8, 4, 21))); // edge days and the week of Apr 14
    }

    [Fact]
    public async Task RefreshRollupsAsync_SegmentBlocks_BuiltWhenCompleteAndForExistingRollups()
    {
        var store = await CreateLoadedStoreAsync();
        await store.RefreshRollupsAsync(Sites, Ct);
        // Hits until Saturday May 10: March, April and the week of May 5 (until Sunday May 11) are not all past.
        Assert.Equal(1, await CountAsync("SELECT ready FROM beacon_rollup_segment_blocks WHERE first_day = 20148 AND end_day = 20179")); // March
        Assert.Equal(0, await CountAsync("SELECT ready FROM beacon_rollup_segment_blocks WHERE first_day = 20209 AND end_day = 20240")); // May
        Assert.Equal(0, await CountAsync("SELECT ready FROM beacon_rollup_segment_blocks WHERE first_day = 20213 AND end_day = 20220")); // May 5..11
        Assert.Equal(0, await CountAsync("SELECT COUNT(*) FROM beacon_rollup_segment_block_events WHERE first_day = 20209"));
        var ready = await CountAsync("SELECT COUNT(*) FROM beacon_rollup_segment_blocks WHERE ready = 1");
        var rows = await CountAsync("SELECT COUNT(*) FROM beacon_rollup_segment_block_events");
        Assert.True(ready >= 12); // weeks, months and runs of months

        // A database whose segment rollups predate the block tables.
        foreach (var table in new[] { "beacon_rollup_segment_block_events", "beacon_rollup_segment_block_visits", "beacon_rollup_segment_blocks", "beacon_rollup_segment_block_sites" })
        {
            await ExecuteAsync($"DELETE FROM {table}");
        }

        Assert.Equal(61, await PageviewsByPageAsync(store, Days(3, 1, 5, 1))); // day rows answer meanwhile
        Assert.Equal(0, await store.RefreshRollupsAsync(Sites, Ct)); // no day rebuilt ...
        Assert.Equal(ready, await CountAsync("SELECT COUNT(*) FROM beacon_rollup_segment_blocks WHERE ready = 1")); // ... but the blocks built
        Assert.Equal(rows, await CountAsync("SELECT COUNT(*) FROM beacon_rollup_segment_block_events"));

        // A hit on Tuesday May 13: the week of May 5 is past now, and built.
        await store.AppendAsync([GooglePageview("/p2", new DateTimeOffset(2025, 5, 13, 10, 0, 0, TimeSpan.Zero), 500)], Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Equal(1, await CountAsync("SELECT ready FROM beacon_rollup_segment_blocks WHERE first_day = 20213 AND end_day = 20220"));
        Assert.Equal(6, await CountAsync("SELECT visitors FROM beacon_rollup_segment_block_events WHERE first_day = 20213 AND end_day = 20220 AND fdim = 1 AND fvalue = 'Google' AND dim = 0"));
        Assert.Equal(0, await CountAsync("SELECT ready FROM beacon_rollup_segment_blocks WHERE first_day = 20209 AND end_day = 20240")); // May still waits
    }

    public void Dispose() => _database.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HitQuery Days(int fromMonth, int fromDay, int toMonth, int toDay) => new()
    {
        SiteId = HitBuilder.DefaultSiteId,
        From = new DateTimeOffset(2025, fromMonth, fromDay, 0, 0, 0, TimeSpan.Zero),
        To = new DateTimeOffset(2025, toMonth, toDay, 0, 0, 0, TimeSpan.Zero),
        Metrics = [HitMetric.Pageviews],
        Filter = Google,
    };

    private static Hit GooglePageview(string path, DateTimeOffset at, long visitor) =>
        HitBuilder.Pageview(path).At(at).ByVisitor(visitor).Build() with { ReferrerSource = "Google", Channel = "Organic Search" };

    private async Task<SqliteHitStore> CreateLoadedStoreAsync()
    {
        var store = new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = _database.ConnectionString });
        await store.MigrateAsync(Ct);
        // One page view from Google a day from 2025-02-28 to 2025-05-10, and one from Bing.
        var start = new DateTimeOffset(2025, 2, 28, 10, 0, 0, TimeSpan.Zero);
        var hits = Enumerable.Range(0, 72)
            .SelectMany(i => new[]
            {
                GooglePageview("/p" + (i % 4), start.AddDays(i), i + 1),
                HitBuilder.Pageview("/p1").At(start.AddDays(i).AddHours(2)).ByVisitor(1000 + i).Build() with { ReferrerSource = "Bing", Channel = "Organic Search" },
            })
            .ToList();
        await store.AppendAsync(hits, Ct);
        return store;
    }

    private static async Task<double> PageviewsByPageAsync(SqliteHitStore store, HitQuery query) =>
        (await store.QueryAsync(query with { Dimensions = [HitDimension.Page] }, Ct)).Rows.Sum(r => r.Metrics[0]);

    private static async Task<double> PageviewsAsync(SqliteHitStore store, HitQuery query) =>
        (await store.QueryAsync(query, Ct)).Rows.Sum(r => r.Metrics[0]);

    private static async Task<double> VisitorsAsync(SqliteHitStore store, HitQuery query) =>
        (await store.QueryAsync(query with { Metrics = [HitMetric.Visitors, HitMetric.Visits] }, Ct)).Rows.Single().Metrics[0];

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}

using FrancisBeacon.Querying;
using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// Page blocks and the page-row backfill on SQLite (SessionRollups.PageBlocks.cs, SessionRollups.PageBackfill.cs):
/// blocks only where every day has page rows, each the sum of its days (after incremental passes too), and the
/// backfill giving old days the rows a whole build writes, a bounded number of days per pass, then stopping.
/// </summary>
public sealed class SqlitePageBlockTests : IDisposable
{
    private static readonly TimeZoneInfo Zone = RollupTableRows.Zone;
    private static readonly Dictionary<string, TimeZoneInfo> Sites = RollupTableRows.Sites;

    // Monday 2025-03-03 .. Wednesday 2025-03-19: the weeks of Mar 3 and Mar 10 are complete; Mar 12 is quiet.
    private static readonly DateOnly FirstDay = new(2025, 3, 3);
    private static readonly DateOnly LastDay = new(2025, 3, 19);
    private static readonly DateOnly QuietDay = new(2025, 3, 12);

    private readonly SqliteTestDatabase _database = new();

    [Fact]
    public async Task RefreshAsync_WeeksWithAndWithoutQuietDay_BlockOnlyWhereEveryDayHasRowsAndEqualToItsDays()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = _database.CreateStore();
        await store.MigrateAsync(ct);
        await store.AppendAsync(Hits(), ct);
        await store.RefreshRollupsAsync(Sites, ct);

        var week = Day(FirstDay);
        Assert.Equal([$"{week}|{week + 7}|/busy"], await RowsAsync("SELECT first_day, end_day, path FROM beacon_rollup_page_blocks"));
        await AssertBlockIsSumOfDaysAsync(week);

        // A late visitor on the page on Wednesday Mar 5 (the day is rebuilt: the incremental upkeep keeps only a site's
        // last day, which no complete block holds): the block is summed again.
        var totals = $"SELECT visitors FROM beacon_rollup_page_block_visits WHERE dim = 0 AND first_day = {week}";
        var visitors = long.Parse((await RowsAsync(totals)).Single(), System.Globalization.CultureInfo.InvariantCulture);
        var wednesday = TimeZoneSegments.StartOfDay(FirstDay.AddDays(2), Zone).AddHours(22);
        await store.AppendAsync([Pageview(wednesday, 7_000_001, "/busy") with { ReferrerSource = "Bing" }], ct);
        await store.RefreshRollupsAsync(Sites, ct);

        Assert.Equal([$"{week}|{week + 7}|/busy"], await RowsAsync("SELECT first_day, end_day, path FROM beacon_rollup_page_blocks"));
        await AssertBlockIsSumOfDaysAsync(week);
        Assert.Equal([(visitors + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)], await RowsAsync(totals));
    }

    [Fact]
    public async Task RefreshAsync_OldDaysWithoutPageRows_BackfilledNewestFirstBoundedPerPassThenStops()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = _database.CreateStore();
        await store.MigrateAsync(ct);
        await store.AppendAsync(Hits(), ct);
        await store.RefreshRollupsAsync(Sites, ct);
        string[] tables = ["rollup_page_days", "rollup_page_visits", "rollup_page_blocks", "rollup_page_block_visits"];
        var built = new Dictionary<string, List<string>>();
        foreach (var table in tables)
        {
            built[table] = await RollupTableRows.ReadAsync(_database.ConnectionString, table);
            Assert.NotEmpty(built[table]);
        }

        // As a database rolled up before page segments: no page rows, every day with rollups waiting (the migration's marks).
        await ExecuteAsync(string.Concat(tables.Select(t => $"DELETE FROM beacon_{t}; ")) +
            "INSERT INTO beacon_rollup_page_backfill (site_id, day) SELECT DISTINCT site_id, day FROM beacon_rollup_events WHERE dim = 0;");
        var waiting = await RowsAsync("SELECT day FROM beacon_rollup_page_backfill");
        Assert.Equal(LastDay.DayNumber - FirstDay.DayNumber + 2, waiting.Count); // and the day after: the visit continued

        store.Rollups.PageBackfillDaysPerPass = 5;
        var before = store.Rollups.PageDaysBackfilled;
        await store.RefreshRollupsAsync(Sites, ct);
        Assert.Equal(5, store.Rollups.PageDaysBackfilled - before);
        // The newest five days first.
        Assert.Equal(Enumerable.Range(0, waiting.Count - 5).Select(i => (Day(FirstDay) + i).ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal),
            await RowsAsync("SELECT day FROM beacon_rollup_page_backfill"));

        for (var pass = 0; pass < 10 && (await RowsAsync("SELECT day FROM beacon_rollup_page_backfill")).Count > 0; pass++)
        {
            await store.RefreshRollupsAsync(Sites, ct);
        }

        Assert.Empty(await RowsAsync("SELECT day FROM beacon_rollup_page_backfill"));
        Assert.Equal(waiting.Count, store.Rollups.PageDaysBackfilled - before);
        foreach (var table in tables)
        {
            Assert.Equal(built[table], await RollupTableRows.ReadAsync(_database.ConnectionString, table));
        }

        // Nothing left: the next pass backfills nothing and changes nothing.
        await store.RefreshRollupsAsync(Sites, ct);
        Assert.Equal(waiting.Count, store.Rollups.PageDaysBackfilled - before);
        Assert.Equal(built["rollup_page_visits"], await RollupTableRows.ReadAsync(_database.ConnectionString, "rollup_page_visits"));
    }

    public void Dispose() => _database.Dispose();

    private static long Day(DateOnly day) => day.DayNumber - new DateOnly(1970, 1, 1).DayNumber;

    // 104 visitors a day on /busy (60 on the quiet day), from three sources, some bouncing, some with an event on the
    // page, some back later; and a visit on /busy up to each midnight, continued after it (touched visitors).
    private static List<Hit> Hits()
    {
        var hits = new List<Hit>();
        string[] sources = ["Google", "Bing", "Twitter"];
        for (var day = FirstDay; day <= LastDay; day = day.AddDays(1))
        {
            var midnight = TimeZoneSegments.StartOfDay(day, Zone);
            var offset = (day.DayNumber - FirstDay.DayNumber) * 1_000;
            for (var k = 0; k < (day == QuietDay ? 60 : 104); k++)
            {
                var visitor = 1_000_000 + offset + k;
                var at = midnight.AddHours(7).AddMinutes(k * 4);
                var source = sources[(k + day.Day) % 3];
                hits.Add(Pageview(at, visitor, k % 3 == 0 ? "/busy" : "/") with { ReferrerSource = source });
                if (k % 3 == 0 && k % 2 == 0)
                {
                    continue;
                }

                hits.Add(Pageview(at.AddMinutes(1), visitor, "/busy") with { ReferrerSource = source });
                if (k % 5 == 0)
                {
                    hits.Add(HitBuilder.CustomEvent("Download", "/busy").At(at.AddMinutes(2)).ByVisitor(visitor).Build() with { ReferrerSource = source });
                }

                if (k % 7 == 1)
                {
                    hits.Add(Pageview(at.AddHours(4), visitor, "/busy") with { ReferrerSource = source });
                }
            }

            var next = TimeZoneSegments.StartOfDay(day.AddDays(1), Zone);
            hits.Add(Pageview(next.AddMinutes(-7), 1_000_000 + offset + 900, "/busy"));
            hits.Add(Pageview(next.AddMinutes(5), 1_000_000 + offset + 1_901, "/busy") with { PreviousVisitorId = 1_000_000 + offset + 900 });
        }

        return hits;
    }

    private static Hit Pageview(DateTimeOffset at, long visitor, string path) =>
        HitBuilder.Pageview(path).At(at).ByVisitor(visitor).Build() with { Country = "DE", ReferrerSource = "Google", Channel = "Organic Search" };

    // The block's rows are the sums of its days' page rows.
    private async Task AssertBlockIsSumOfDaysAsync(long first)
    {
        var sums = await RowsAsync(
            "SELECT path, dim, value, SUM(visitors), SUM(visits), SUM(bounces), SUM(duration_ms), SUM(pageviews), SUM(events), SUM(session_pv) FROM beacon_rollup_page_visits" +
            $" WHERE day >= {first} AND day < {first + 7} AND path = '/busy' GROUP BY path, dim, value");
        Assert.NotEmpty(sums);
        Assert.Equal(sums, await RowsAsync(
            $"SELECT path, dim, value, visitors, visits, bounces, duration_ms, pageviews, events, session_pv FROM beacon_rollup_page_block_visits WHERE first_day = {first} AND end_day = {first + 7}"));
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    // Every row of a statement as text (columns joined by '|'), sorted.
    private Task<List<string>> RowsAsync(string sql) => RollupTableRows.QueryAsync(_database.ConnectionString, sql);
}

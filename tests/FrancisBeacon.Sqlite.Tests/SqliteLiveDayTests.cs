using FrancisBeacon.Querying;
using FrancisBeacon.Sql.Rollups;
using FrancisBeacon.Testing;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// Live days on SQLite (SessionRollups.LiveDays.cs): the site's latest day keeps no segment and page-segment rows while
/// passes apply its new hits; once a later day has hits, the rows derived from its session rows are exactly those a whole
/// build writes, and the day leaves the list.
/// </summary>
public sealed class SqliteLiveDayTests : IDisposable
{
    private static readonly TimeZoneInfo Zone = RollupTableRows.Zone;
    private static readonly DateOnly Day = new(2026, 3, 12);
    private static readonly Dictionary<string, TimeZoneInfo> Sites = RollupTableRows.Sites;

    private static readonly string[] DayTables = ["rollup_segment_events", "rollup_segment_visits", "rollup_page_days", "rollup_page_visits"];

    private readonly SqliteTestDatabase _live = new();
    private readonly SqliteTestDatabase _whole = new();

    [Fact]
    public async Task RefreshAsync_LiveDayThenNextDayStarts_NoRowsWhileLiveThenSameRowsAsWholeBuild()
    {
        var ct = TestContext.Current.CancellationToken;
        var start = TimeZoneSegments.StartOfDay(Day, Zone).AddHours(6);
        var min = SessionRollups.MinPageSessions;
        string[] sources = ["Google", "Bing", "Twitter"];
        string[] countries = ["DE", "FR", "US"];
        var first = new List<Hit>();
        for (var k = 0; k < min + 20; k++)
        {
            first.Add(Pageview(start.AddMinutes(k * 2), 1_000 + k, k % 3 == 0 ? "/" : "/busy", sources[k % 3], countries[k % 2]));
            first.Add(Pageview(start.AddMinutes((k * 2) + 1), 1_000 + k, "/busy", sources[k % 3], countries[k % 2]));
        }

        List<List<Hit>> batches =
        [
            // New visitors, on the page and not; existing ones extending a session, starting one, running up to midnight.
            [.. Enumerable.Range(0, 10).Select(k => Pageview(start.AddHours(8).AddMinutes(k), 3_000 + k, k % 2 == 0 ? "/busy" : "/other", sources[k % 3], "GB"))],
            [
                Pageview(start.AddMinutes(5), 1_001, "/exit", sources[1], countries[1]),
                Pageview(start.AddHours(9), 1_002, "/busy", sources[2], countries[0]),
                Pageview(TimeZoneSegments.StartOfDay(Day.AddDays(1), Zone).AddMinutes(-2), 1_003, "/busy", sources[0], countries[1]),
                HitBuilder.CustomEvent("Signup", "/busy").At(start.AddMinutes(10)).ByVisitor(1_004).Build() with { ReferrerSource = sources[1], Country = countries[0] },
            ],
        ];

        var live = _live.CreateStore();
        await live.MigrateAsync(ct);
        await live.AppendAsync(first, ct);
        await live.RefreshRollupsAsync(Sites, ct);
        foreach (var batch in batches)
        {
            await live.AppendAsync(batch, ct);
            await live.RefreshRollupsAsync(Sites, ct);
        }

        Assert.True(live.Rollups.IncrementalDays >= 2, $"only {live.Rollups.IncrementalDays} passes applied new hits incrementally");
        var dayNumber = HitRollups.DayOf(TimeZoneSegments.StartOfDay(Day, Zone).ToUnixTimeMilliseconds(), Zone);
        Assert.Equal([dayNumber.ToString(System.Globalization.CultureInfo.InvariantCulture)], await ColumnAsync(_live, "SELECT day FROM beacon_rollup_live_days"));
        foreach (var table in DayTables)
        {
            Assert.Empty(await ColumnAsync(_live, $"SELECT * FROM beacon_{table}"));
        }

        // The next day's first hit: the day is no longer live, and the next pass derives its rows.
        List<Hit> next = [Pageview(TimeZoneSegments.StartOfDay(Day.AddDays(1), Zone).AddHours(5), 9_000, "/busy", "Google", "DE")];
        await live.AppendAsync(next, ct);
        await live.RefreshRollupsAsync(Sites, ct);
        Assert.Equal(1, live.Rollups.LiveDaysSettled);
        Assert.Equal([(dayNumber + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)], await ColumnAsync(_live, "SELECT day FROM beacon_rollup_live_days"));

        var whole = _whole.CreateStore();
        whole.Rollups.LiveSegments = false;
        await whole.MigrateAsync(ct);
        await whole.AppendAsync([.. first, .. batches.SelectMany(b => b), .. next], ct);
        await whole.RefreshRollupsAsync(Sites, ct);
        foreach (var table in DayTables)
        {
            var sql = $"SELECT * FROM beacon_{table} WHERE day = {dayNumber}";
            var expected = await ColumnAsync(_whole, sql);
            Assert.NotEmpty(expected);
            Assert.Equal(expected, await ColumnAsync(_live, sql));
        }
    }

    public void Dispose()
    {
        _live.Dispose();
        _whole.Dispose();
    }

    private static Hit Pageview(DateTimeOffset at, long visitor, string path, string source, string country) =>
        HitBuilder.Pageview(path).At(at).ByVisitor(visitor).Build() with { Country = country, ReferrerSource = source, Channel = "Organic Search" };

    private static Task<List<string>> ColumnAsync(SqliteTestDatabase database, string sql) => RollupTableRows.QueryAsync(database.ConnectionString, sql);
}

using FrancisBeacon.Querying;
using FrancisBeacon.Sql.Rollups;
using FrancisBeacon.Testing;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// Page segments on SQLite (SessionRollups.PageSegments.cs): rows only for the (day, page) pairs with enough untouched
/// sessions, and after incremental passes the same rows as one whole build over the same hits.
/// </summary>
public sealed class SqlitePageSegmentTests : IDisposable
{
    private static readonly TimeZoneInfo Zone = RollupTableRows.Zone;
    private static readonly DateOnly Day = new(2026, 3, 12);
    private static readonly Dictionary<string, TimeZoneInfo> Sites = RollupTableRows.Sites;

    private readonly SqliteTestDatabase _incremental = new();
    private readonly SqliteTestDatabase _whole = new();

    [Fact]
    public async Task RefreshAsync_PagesAtAndBelowThreshold_RowsOnlyForPagesWithEnoughSessions()
    {
        var ct = TestContext.Current.CancellationToken;
        var start = TimeZoneSegments.StartOfDay(Day, Zone).AddHours(6);
        var min = SessionRollups.MinPageSessions;
        var hits = new List<Hit>();
        // /busy: exactly the threshold of sessions (one visitor has two); /quiet: one session short of it; and a visit
        // on /quiet up to midnight (touched: it does not count).
        for (var k = 0; k < min - 1; k++)
        {
            hits.Add(Pageview(start.AddMinutes(k * 4), 1_000 + k, "/busy"));
            if (k == 0)
            {
                hits.Add(Pageview(start.AddMinutes(k * 4).AddHours(3), 1_000 + k, "/busy"));
            }

            hits.Add(Pageview(start.AddMinutes((k * 4) + 1), 1_000 + k, "/quiet"));
        }

        hits.Add(Pageview(TimeZoneSegments.StartOfDay(Day.AddDays(1), Zone).AddMinutes(-3), 5_000, "/quiet"));
        var store = _whole.CreateStore();
        store.Rollups.LiveSegments = false; // the day's rows written with it, not when a later day starts (SqliteLiveDayTests)
        await store.MigrateAsync(ct);
        await store.AppendAsync(hits, ct);
        await store.RefreshRollupsAsync(Sites, ct);

        Assert.Equal(["/busy"], await ColumnAsync(_whole, "SELECT path FROM beacon_rollup_page_days"));
        Assert.Equal(["/busy"], await ColumnAsync(_whole, "SELECT DISTINCT path FROM beacon_rollup_page_visits"));
        // Dim 0: the page's untouched sessions, their pageviews on it and in all.
        Assert.Equal([$"{min - 1}|{min}|{min}|{min}|{(2 * min) - 1}"],
            await ColumnAsync(_whole, "SELECT visitors || '|' || visits || '|' || pageviews || '|' || events || '|' || session_pv FROM beacon_rollup_page_visits WHERE dim = 0"));
    }

    [Fact]
    public async Task RefreshAsync_BatchesOnCoveredDay_SameRowsAsOneWholeBuild()
    {
        var ct = TestContext.Current.CancellationToken;
        var start = TimeZoneSegments.StartOfDay(Day, Zone).AddHours(6);
        var min = SessionRollups.MinPageSessions;
        string[] sources = ["Google", "Bing", "Twitter"];
        var first = new List<Hit>();
        for (var k = 0; k < min + 20; k++)
        {
            first.Add(Pageview(start.AddMinutes(k * 2), 1_000 + k, k % 3 == 0 ? "/" : "/busy") with { ReferrerSource = sources[k % 3] });
            first.Add(Pageview(start.AddMinutes((k * 2) + 1), 1_000 + k, "/busy") with { ReferrerSource = sources[k % 3] });
        }

        List<List<Hit>> batches =
        [
            // New visitors: on the page, and not on it.
            [.. Enumerable.Range(0, 10).Select(k => Pageview(start.AddHours(8).AddMinutes(k), 3_000 + k, k % 2 == 0 ? "/busy" : "/other"))],

            // Existing visitors: one extends its session off the page, one starts a new session on it, one leaves for a
            // visit up to midnight (touched now), one hits the page again in its session.
            [
                Pageview(start.AddMinutes(5), 1_001, "/exit") with { ReferrerSource = sources[1] },
                Pageview(start.AddHours(9), 1_002, "/busy"),
                Pageview(TimeZoneSegments.StartOfDay(Day.AddDays(1), Zone).AddMinutes(-2), 1_003, "/busy"),
                HitBuilder.CustomEvent("Signup", "/busy").At(start.AddMinutes(10)).ByVisitor(1_004).Build() with { ReferrerSource = sources[1] },
            ],
        ];

        var incremental = _incremental.CreateStore();
        incremental.Rollups.LiveSegments = false; // deltas on a day with page rows (a live day has none: SqliteLiveDayTests)
        await incremental.MigrateAsync(ct);
        await incremental.AppendAsync(first, ct);
        await incremental.RefreshRollupsAsync(Sites, ct);
        foreach (var batch in batches)
        {
            await incremental.AppendAsync(batch, ct);
            await incremental.RefreshRollupsAsync(Sites, ct);
        }

        Assert.True(incremental.Rollups.IncrementalDays >= 2, $"only {incremental.Rollups.IncrementalDays} passes applied new hits incrementally");
        var whole = _whole.CreateStore();
        whole.Rollups.LiveSegments = false;
        await whole.MigrateAsync(ct);
        await whole.AppendAsync([.. first, .. batches.SelectMany(b => b)], ct);
        await whole.RefreshRollupsAsync(Sites, ct);
        foreach (var table in new[] { "rollup_page_days", "rollup_page_visits" })
        {
            var expected = await ColumnAsync(_whole, $"SELECT * FROM beacon_{table}");
            Assert.NotEmpty(expected);
            Assert.Equal(expected, await ColumnAsync(_incremental, $"SELECT * FROM beacon_{table}"));
        }
    }

    public void Dispose()
    {
        _incremental.Dispose();
        _whole.Dispose();
    }

    private static Hit Pageview(DateTimeOffset at, long visitor, string path) =>
        HitBuilder.Pageview(path).At(at).ByVisitor(visitor).Build() with { Country = "DE", ReferrerSource = "Google", Channel = "Organic Search" };

    // Every row of a statement as text (columns joined by '|'), sorted.
    private static Task<List<string>> ColumnAsync(SqliteTestDatabase database, string sql) => RollupTableRows.QueryAsync(database.ConnectionString, sql);
}

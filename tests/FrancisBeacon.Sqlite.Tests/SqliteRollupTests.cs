using FrancisBeacon.Querying;
using FrancisBeacon.Sql.Rollups;
using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>The SQLite store answers day-aligned queries from its rollup tables, and others from the raw hits.</summary>
public sealed class SqliteRollupTests : IDisposable
{
    private static readonly Dictionary<string, TimeZoneInfo> Sites = new(StringComparer.Ordinal) { [HitBuilder.DefaultSiteId] = TimeZoneInfo.Utc };
    private readonly SqliteTestDatabase _database = new();

    [Fact]
    public async Task QueryAsync_DayAlignedAfterRefresh_ReadsRollupTables()
    {
        var store = await CreateLoadedStoreAsync(enableRollups: true);
        await store.RefreshRollupsAsync(Sites, TestContext.Current.CancellationToken);
        Assert.Equal(6, await PageviewsAsync(store, DayAligned()));

        await TamperAsync(); // only a read of the rollup tables can see this

        Assert.Equal(1006, await PageviewsAsync(store, DayAligned()));
        Assert.Equal(6, await PageviewsAsync(store, DayAligned() with { To = DayAligned().To.AddHours(-1) }));
    }

    [Fact]
    public async Task QueryAsync_RollupsDisabled_ReadsRawHits()
    {
        var store = await CreateLoadedStoreAsync(enableRollups: true);
        await store.RefreshRollupsAsync(Sites, TestContext.Current.CancellationToken);
        await TamperAsync();
        var disabled = new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = _database.ConnectionString, EnableRollups = false });

        Assert.Equal(6, await PageviewsAsync(disabled, DayAligned()));
        Assert.Equal(0, await disabled.RefreshRollupsAsync(Sites, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task QueryAsync_NewHitAfterRefresh_CountsAtOnce()
    {
        var store = await CreateLoadedStoreAsync(enableRollups: true);
        await store.RefreshRollupsAsync(Sites, TestContext.Current.CancellationToken);
        await store.AppendAsync([HitBuilder.Pageview("/new").At(new DateTimeOffset(2025, 3, 2, 23, 0, 0, TimeSpan.Zero)).ByVisitor(99).Build()], TestContext.Current.CancellationToken);

        Assert.Equal(7, await PageviewsAsync(store, DayAligned()));
    }

    [Fact]
    public async Task QueryAsync_VisitFilterAfterRefresh_ReadsSessionRollups()
    {
        var store = await CreateLoadedStoreAsync(enableRollups: true);
        await store.RefreshRollupsAsync(Sites, TestContext.Current.CancellationToken);
        // Region is no segment dimension (RollupDimensions.Segment): every session is read from rollup_sessions.
        var filtered = DayAligned() with { Filter = HitFilter.Is(HitDimension.Region, HitDimension.NotSet) };
        Assert.Equal(6, await PageviewsAsync(store, filtered));

        await using (var connection = new SqliteConnection(_database.ConnectionString))
        {
            await connection.OpenAsync(TestContext.Current.CancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = "UPDATE beacon_rollup_sessions SET pv = pv + 1000 WHERE vid = 1";
            Assert.Equal(1, await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
        }

        Assert.Equal(1006, await PageviewsAsync(store, filtered));
        Assert.Equal(6, await PageviewsAsync(store, filtered with { To = DayAligned().To.AddHours(-1) }));
    }

    [Fact]
    public async Task QueryAsync_SegmentFilterAfterRefresh_ReadsSegmentRowsAndTouchedSessions()
    {
        var store = await CreateLoadedStoreAsync(enableRollups: true);
        store.Rollups.LiveSegments = false; // every day with segment rows (the live day's are SqliteLiveDayTests')
        // A visit ending ten minutes before midnight: its visitor is touched (a visit of the next day could continue it).
        await store.AppendAsync([HitBuilder.Pageview("/late").At(new DateTimeOffset(2025, 3, 2, 23, 50, 0, TimeSpan.Zero)).ByVisitor(50).Build()], TestContext.Current.CancellationToken);
        await store.RefreshRollupsAsync(Sites, TestContext.Current.CancellationToken);
        var filtered = DayAligned() with { Filter = HitFilter.Is(HitDimension.Country, HitDimension.NotSet) };
        Assert.Equal(7, await PageviewsAsync(store, filtered));

        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        async Task<long> ExecuteAsync(string sql)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            return sql.StartsWith("SELECT", StringComparison.Ordinal)
                ? (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!
                : await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, await ExecuteAsync("SELECT COUNT(*) FROM beacon_rollup_sessions WHERE touched = 1"));
        // The untouched visitors' sessions count from the segment rows: the session rows no longer matter for them.
        Assert.Equal(6, await ExecuteAsync("UPDATE beacon_rollup_sessions SET pv = pv + 1000 WHERE touched = 0"));
        Assert.Equal(7, await PageviewsAsync(store, filtered));
        Assert.Equal(1, await ExecuteAsync("UPDATE beacon_rollup_segment_events SET pageviews = pageviews + 1000 WHERE fdim = 3 AND dim = 0 AND day = (SELECT MIN(day) FROM beacon_rollup_segment_events)"));
        Assert.Equal(1007, await PageviewsAsync(store, filtered));
        // The touched visitor's session is read from its session row.
        Assert.Equal(1, await ExecuteAsync("UPDATE beacon_rollup_sessions SET pv = pv + 100 WHERE touched = 1"));
        Assert.Equal(1107, await PageviewsAsync(store, filtered));
        // Another segment dimension's rows are untouched by the first change.
        Assert.Equal(107, await PageviewsAsync(store, DayAligned() with { Filter = HitFilter.Is(HitDimension.Source, HitDimension.NotSet) }));
    }

    [Fact]
    public async Task RefreshRollupsAsync_HitsOfYearOneAndNineThousand_AreSettledAndTheNextSiteRefreshed()
    {
        // An import (or any direct caller) stores hits of any age. Year 1 in UTC-12 has a local day before DateOnly's
        // first, and its month blocks start in year 0: the pass threw at the first such site, every pass, so no site
        // after it in the list had its rollups refreshed again.
        var store = await CreateLoadedStoreAsync(enableRollups: true);
        var sites = new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal)
        {
            ["early.example"] = TimeZoneInfo.FindSystemTimeZoneById("Etc/GMT+12"),
            [HitBuilder.DefaultSiteId] = TimeZoneInfo.Utc,
        };
        await store.RefreshRollupsAsync(sites, TestContext.Current.CancellationToken);
        await store.AppendAsync(
            [
                HitBuilder.Pageview("/year-one").ForSite("early.example").At(new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero)).Build(),
                HitBuilder.Pageview("/year-9999").ForSite("early.example").At(new DateTimeOffset(9999, 12, 31, 23, 0, 0, TimeSpan.Zero)).Build(),
                HitBuilder.Pageview("/new").At(new DateTimeOffset(2025, 3, 3, 12, 0, 0, TimeSpan.Zero)).ByVisitor(99).Build(),
            ],
            TestContext.Current.CancellationToken);

        await store.RefreshRollupsAsync(sites, TestContext.Current.CancellationToken);

        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM beacon_rollup_dirty";
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!);
        await TamperAsync(); // the default site's days are read from its (refreshed) rollups
        Assert.Equal(1007, await PageviewsAsync(store, DayAligned()));
    }

    [Fact]
    public async Task RefreshRollupsAsync_OneSiteFails_TheSitesAfterItAreRefreshed_AndThePassNamesTheFailedSite()
    {
        // A site whose refresh threw (a bug, data no pass can take) ended the pass there: every site after it in the list
        // kept its dirty marks pass after pass, and its queries read those days from raw hits for good.
        var store = await CreateLoadedStoreAsync(enableRollups: true);
        var sites = new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal)
        {
            ["broken.example"] = TimeZoneInfo.Utc,
            [HitBuilder.DefaultSiteId] = TimeZoneInfo.Utc,
        };
        await store.RefreshRollupsAsync(sites, TestContext.Current.CancellationToken);
        await store.AppendAsync(
            [
                HitBuilder.Pageview("/b").ForSite("broken.example").At(new DateTimeOffset(2025, 3, 3, 12, 0, 0, TimeSpan.Zero)).Build(),
                HitBuilder.Pageview("/new").At(new DateTimeOffset(2025, 3, 3, 12, 0, 0, TimeSpan.Zero)).ByVisitor(99).Build(),
            ],
            TestContext.Current.CancellationToken);
        store.Rollups.OnRefreshSite = site => site == "broken.example" ? throw new InvalidOperationException("no pass can take this site") : ValueTask.CompletedTask;

        var error = await Assert.ThrowsAsync<AggregateException>(() => store.RefreshRollupsAsync(sites, TestContext.Current.CancellationToken).AsTask());

        Assert.Contains("'broken.example'", error.Message, StringComparison.Ordinal);
        Assert.IsType<InvalidOperationException>(Assert.Single(error.InnerExceptions));
        Assert.Equal(0L, await DirtyMarksAsync(HitBuilder.DefaultSiteId));
        Assert.True(await DirtyMarksAsync("broken.example") > 0);

        store.Rollups.OnRefreshSite = null;
        await store.RefreshRollupsAsync(sites, TestContext.Current.CancellationToken);
        Assert.Equal(0L, await DirtyMarksAsync("broken.example"));
    }

    private async Task<long> DirtyMarksAsync(string site)
    {
        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM beacon_rollup_dirty WHERE site_id = $site";
        command.Parameters.AddWithValue("$site", site);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    [Fact]
    public void SessionRollupPlan_KitQueries_TakeTheSessionRoute()
    {
        // The conformance kit's random filtered session queries must reach the session rollups, or its
        // differential checks would only test the raw path.
        // (An event-only query with one plain condition is the per-day rollups' instead: also not the raw path.)
        var random = new Random(5);
        var hits = new RealisticHitGenerator(50) { Seed = 3 }.Generate(500, 5, new DateOnly(2025, 3, 5)).ToList();
        var sessionRoute = 0;
        var eventOnly = 0;
        for (var i = 0; i < 500; i++)
        {
            var query = SessionRollupQueries.Next(random, DayAligned(), hits);
            query.Validate();
            var session = SessionRollupPlan.Create(query) is not null;
            Assert.True(session || RollupPlan.Create(query) is not null, $"Query #{i} would take the raw path: {query.Filter} by [{string.Join(", ", query.Dimensions)}]");
            sessionRoute += session ? 1 : 0;
            eventOnly += session && !query.NeedsSessions ? 1 : 0;
        }

        Assert.True(sessionRoute >= 450, $"Only {sessionRoute} of 500 took the session route.");
        Assert.True(eventOnly >= 20, $"Only {eventOnly} of 500 were event metrics under event conditions alone on the session route.");
    }

    /// <summary>
    /// A page goal's filter (a page view of a page or pattern) with event metrics only: the per-day rollups cannot take
    /// two conditions, and the raw path read every hit of the range; the session-hit rows answer it.
    /// </summary>
    [Fact]
    public void SessionRollupPlan_PageGoalEventMetrics_TakeTheSessionRoute()
    {
        foreach (var goal in new[] { HitGoal.Page("/pricing"), HitGoal.Page("/blog/*") })
        {
            var query = DayAligned() with { Metrics = [HitMetric.Visitors, HitMetric.Events], Filter = goal.Filter };
            query.Validate();

            Assert.False(query.NeedsSessions);
            Assert.Null(RollupPlan.Create(query));
            Assert.NotNull(SessionRollupPlan.Create(query));
        }
    }

    public void Dispose() => _database.Dispose();

    private static HitQuery DayAligned() => new()
    {
        SiteId = HitBuilder.DefaultSiteId,
        From = new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero),
        To = new DateTimeOffset(2025, 3, 4, 0, 0, 0, TimeSpan.Zero),
        Metrics = [HitMetric.Pageviews],
    };

    private async Task<SqliteHitStore> CreateLoadedStoreAsync(bool enableRollups)
    {
        var store = new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = _database.ConnectionString, EnableRollups = enableRollups, MaxRollupLag = TimeSpan.Zero });
        await store.MigrateAsync(TestContext.Current.CancellationToken);
        var hits = Enumerable.Range(0, 6)
            .Select(i => HitBuilder.Pageview("/p" + i).At(new DateTimeOffset(2025, 3, 1 + (i / 2), 10, i, 0, TimeSpan.Zero)).ByVisitor(i + 1).Build())
            .ToList();
        await store.AppendAsync(hits, TestContext.Current.CancellationToken);
        return store;
    }

    private static async Task<double> PageviewsAsync(SqliteHitStore store, HitQuery query) =>
        (await store.QueryAsync(query, TestContext.Current.CancellationToken)).Rows.Single().Metrics[0];

    private async Task TamperAsync()
    {
        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "UPDATE beacon_rollup_events SET pageviews = pageviews + 1000 WHERE dim = 0 AND day = (SELECT MIN(day) FROM beacon_rollup_events)";
        Assert.Equal(1, await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
    }
}

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// <see cref="SqliteHitStoreOptions.MaxRollupLag"/>: a day with hits not rolled up yet is answered from its stored rows
/// while the change is younger than the lag, cut from the raw hits once it is older, and never after a purge; a rollup
/// pass that a new hit overtakes leaves the hour marked with the pass's start.
/// </summary>
public sealed class SqliteRollupLagTests : IDisposable
{
    private static readonly Dictionary<string, TimeZoneInfo> Sites = new(StringComparer.Ordinal) { [HitBuilder.DefaultSiteId] = TimeZoneInfo.Utc };
    private static readonly DateTimeOffset Late = new(2025, 3, 2, 23, 0, 0, TimeSpan.Zero);
    private const string Now = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
    private readonly SqliteTestDatabase _database = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QueryAsync_ChangeYoungerThanTheLag_AnsweredFromStoredRowsUntilThePass()
    {
        var store = await CreateLoadedStoreAsync(TimeSpan.FromHours(1));
        await store.AppendAsync([HitBuilder.Pageview("/new").At(Late).ByVisitor(99).Build()], Ct);

        Assert.Equal(6, await PageviewsAsync(store, DayAligned()));
        Assert.Equal(6, await PageviewsAsync(store, DayAligned() with { Filter = HitFilter.Is(HitDimension.Region, HitDimension.NotSet) })); // session route
        Assert.Equal(6, await PageviewsAsync(store, DayAligned() with { Filter = HitFilter.Is(HitDimension.Country, HitDimension.NotSet) })); // segment rows
        Assert.Equal(0, await PageviewsAsync(store, DayAligned() with { Filter = HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/new")) })); // session route
        // The same with the site's goals set on the query, as the HTTP API sets them for a site with goals.
        Assert.Equal(6, await PageviewsAsync(store, DayAligned() with { Filter = HitFilter.Is(HitDimension.Region, HitDimension.NotSet), Goals = [HitGoal.Event("Signup"), HitGoal.Page("/p*")] }));
        Assert.Equal(5, await PageviewsAsync(store, DayAligned() with { Filter = HitFilter.HasNotDone(HitFilter.Is(HitDimension.Page, "/p0")) }));
        Assert.Equal(7, await PageviewsAsync(Store(TimeSpan.Zero), DayAligned())); // the same database without a lag
        Assert.Equal(1, await PageviewsAsync(Store(TimeSpan.Zero), DayAligned() with { Filter = HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/new")) }));

        await store.RefreshRollupsAsync(Sites, Ct);

        Assert.Equal(7, await PageviewsAsync(store, DayAligned()));
        Assert.Equal(7, await PageviewsAsync(store, DayAligned() with { Filter = HitFilter.Is(HitDimension.Region, HitDimension.NotSet) }));
        Assert.Equal(1, await PageviewsAsync(store, DayAligned() with { Filter = HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/new")) }));
        Assert.Equal(6, await PageviewsAsync(store, DayAligned() with { Filter = HitFilter.HasNotDone(HitFilter.Is(HitDimension.Page, "/p0")) }));
    }

    [Fact]
    public async Task QueryAsync_ChangeOlderThanTheLag_CountsWithoutAPass()
    {
        var store = await CreateLoadedStoreAsync(TimeSpan.FromMilliseconds(300));
        await store.AppendAsync([HitBuilder.Pageview("/new").At(Late).ByVisitor(99).Build()], Ct);

        var answers = new List<double>();
        for (var attempt = 0; attempt < 300 && (answers.Count == 0 || answers[^1] != 7); attempt++)
        {
            answers.Add(await PageviewsAsync(store, DayAligned()));
            await Task.Delay(100, Ct);
        }

        Assert.Equal(7, answers[^1]);
        Assert.Equal(1, await ScalarAsync("SELECT count(*) FROM beacon_rollup_dirty")); // no pass ran: the query cut the day
    }

    [Fact]
    public async Task QueryAsync_AfterAPurge_NeverWaitsForThePass()
    {
        var store = await CreateLoadedStoreAsync(TimeSpan.FromHours(1));
        var removed = await store.PurgeAsync(new HitRange
        {
            SiteId = HitBuilder.DefaultSiteId,
            From = new DateTimeOffset(2025, 3, 2, 10, 0, 0, TimeSpan.Zero),
            To = new DateTimeOffset(2025, 3, 2, 10, 3, 0, TimeSpan.Zero),
            IncludeDerivedData = true,
        }, Ct);

        Assert.Equal(1, removed);
        Assert.Equal(5, await PageviewsAsync(store, DayAligned()));
        Assert.Equal(5, await PageviewsAsync(store, DayAligned() with { Filter = HitFilter.Is(HitDimension.Region, HitDimension.NotSet) }));
    }

    [Fact]
    public async Task RefreshRollupsAsync_HitDuringThePass_LeavesTheHourMarkedWithThePassStart()
    {
        var store = await CreateLoadedStoreAsync(TimeSpan.FromHours(1));
        await store.AppendAsync([HitBuilder.Pageview("/new").At(Late).ByVisitor(99).Build()], Ct);
        await ExecuteAsync("UPDATE beacon_rollup_dirty SET since = 1"); // an old change
        // A hit arriving while the pass writes the day: it bumps the hour's version, as AppendAsync does.
        await ExecuteAsync("CREATE TRIGGER bump AFTER INSERT ON beacon_rollup_events BEGIN UPDATE beacon_rollup_dirty SET ver = ver + 1; END");
        var before = await ScalarAsync(Now);

        await store.RefreshRollupsAsync(Sites, Ct);

        var since = await ScalarAsync("SELECT since FROM beacon_rollup_dirty");
        Assert.InRange(since, before, await ScalarAsync(Now));
        Assert.Equal(7, await PageviewsAsync(store, DayAligned())); // the pass's rows, no longer overdue
    }

    [Fact]
    public async Task RefreshRollupsAsync_PurgeDuringThePass_LeavesTheHourOverdue()
    {
        var store = await CreateLoadedStoreAsync(TimeSpan.FromHours(1));
        await store.AppendAsync([HitBuilder.Pageview("/new").At(Late).ByVisitor(99).Build()], Ct);
        // A purge's mark arriving while the pass writes the day.
        await ExecuteAsync("CREATE TRIGGER purge AFTER INSERT ON beacon_rollup_events BEGIN UPDATE beacon_rollup_dirty SET ver = ver + 1, since = min(since, 0) - 1; END");

        await store.RefreshRollupsAsync(Sites, Ct);

        Assert.True(await ScalarAsync("SELECT since FROM beacon_rollup_dirty") < 0);
    }

    public void Dispose() => _database.Dispose();

    private static HitQuery DayAligned() => new()
    {
        SiteId = HitBuilder.DefaultSiteId,
        From = new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero),
        To = new DateTimeOffset(2025, 3, 4, 0, 0, 0, TimeSpan.Zero),
        Metrics = [HitMetric.Pageviews],
    };

    private SqliteHitStore Store(TimeSpan lag) =>
        new(new SqliteHitStoreOptions { ConnectionString = _database.ConnectionString, MaxRollupLag = lag });

    private async Task<SqliteHitStore> CreateLoadedStoreAsync(TimeSpan lag)
    {
        var store = Store(lag);
        await store.MigrateAsync(Ct);
        var hits = Enumerable.Range(0, 6)
            .Select(i => HitBuilder.Pageview("/p" + i).At(new DateTimeOffset(2025, 3, 1 + (i / 2), 10, i, 0, TimeSpan.Zero)).ByVisitor(i + 1).Build())
            .ToList();
        await store.AppendAsync(hits, Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        return store;
    }

    private static async Task<double> PageviewsAsync(SqliteHitStore store, HitQuery query) =>
        (await store.QueryAsync(query, Ct)).Rows.Single().Metrics[0];

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql.StartsWith("SELECT", StringComparison.Ordinal) ? sql : "SELECT " + sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
    }
}

using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// What an incremental step writes and reads (docs/performance.md, "Upkeep, round 10"): a returning visitor's stored
/// sessions that its new hits leave as they are stay in place (only changed and new session rows are written), the rows
/// still equal a whole build's, and the day's new hits are read by a range of the rowid rather than through the
/// (site_id, ts) index, which walks every hit of the day.
/// </summary>
public sealed class SqliteUpkeepSessionRowsTests : IDisposable
{
    private static readonly TimeZoneInfo Zone = RollupTableRows.Zone;
    private static readonly Dictionary<string, TimeZoneInfo> Sites = RollupTableRows.Sites;

    // 2026-03-12 00:00 in Europe/Berlin (UTC+1).
    private static readonly DateTimeOffset Midnight = new(2026, 3, 11, 23, 0, 0, TimeSpan.Zero);

    private readonly SqliteTestDatabase _incremental = new();
    private readonly SqliteTestDatabase _whole = new();

    [Fact]
    public async Task RefreshAsync_ReturningVisitorStartsNewSession_WritesOnlyChangedAndNewSessionRows()
    {
        var ct = TestContext.Current.CancellationToken;
        List<Hit> stored =
        [
            Pageview(1, 10, 0, "/a"), Pageview(1, 10, 5, "/b"), Pageview(1, 13, 0, "/c"), // visitor 1: two sessions
            Pageview(2, 10, 0, "/c"), Pageview(3, 11, 0, "/d"), Pageview(3, 11, 2, "/a"),
        ];
        List<Hit> added =
        [
            Pageview(1, 16, 0, "/e"), // a third session: its two stored ones stay as they are
            Pageview(2, 10, 10, "/x"), // extends visitor 2's only session: rewritten
            Pageview(4, 16, 0, "/f"), // a new visitor
        ];

        var store = await TwoPassesAsync(stored, added, ct);

        Assert.Equal(1, store.Rollups.IncrementalDays);
        // Visitor 1's new session, visitor 2's extended session, visitor 4's session (visitor 1's stored two are kept).
        Assert.Equal(3, store.Rollups.SessionRowsWritten);
        await AssertSameRowsAsWholeBuildAsync([.. stored, .. added], ct);
    }

    [Fact]
    public async Task RefreshAsync_ReturningVisitorsLateSessionTouchesTheNextDay_RewritesAllItsSessionRows()
    {
        var ct = TestContext.Current.CancellationToken;
        List<Hit> stored = [Pageview(1, 10, 0, "/a"), Pageview(1, 10, 5, "/b"), Pageview(2, 10, 0, "/c"), Pageview(3, 11, 0, "/d"), Pageview(3, 12, 0, "/e")];
        // A session ending within 30 minutes of midnight marks the visitor touched, which each of its session rows holds.
        List<Hit> added = [Pageview(1, 23, 45, "/late")];

        var store = await TwoPassesAsync(stored, added, ct);

        Assert.Equal(1, store.Rollups.IncrementalDays);
        Assert.Equal(2, store.Rollups.SessionRowsWritten);
        await AssertSameRowsAsWholeBuildAsync([.. stored, .. added], ct);
    }

    [Fact]
    public async Task NewHitsSql_ByOrder_SeeksTheRowidRange()
    {
        var ct = TestContext.Current.CancellationToken;
        var store = _incremental.CreateStore();
        await store.MigrateAsync(ct);

        Assert.Contains("INTEGER PRIMARY KEY", await PlanAsync(store.Rollups.NewHitsSql(byOrder: true)), StringComparison.Ordinal);
        // The other form (a range holding more hits than the day): the day's hits through the (site_id, ts) index.
        Assert.Contains("hits_site_ts", await PlanAsync(store.Rollups.NewHitsSql(byOrder: false)), StringComparison.Ordinal);
    }

    [Fact]
    public void NewHitsPerTransaction_SqliteStore_AsManyAsTheStepBudgetAllows()
    {
        var store = _incremental.CreateStore();

        // 450 ms of CPU at 44 µs per new hit (capped at 10,000); twice the cost per hit halves the step.
        Assert.Equal(10_000, store.Rollups.NewHitsPerTransaction);
        store.Rollups.IncrementalCostPerHit = 90;
        Assert.Equal(5_000, store.Rollups.NewHitsPerTransaction);
    }

    public void Dispose()
    {
        _incremental.Dispose();
        _whole.Dispose();
    }

    private static Hit Pageview(long visitor, int hour, int minute, string path) =>
        HitBuilder.Pageview(path).At(Midnight.AddHours(hour).AddMinutes(minute)).Build() with { VisitorId = visitor, Id = Guid.NewGuid() };

    private async Task<SqliteHitStore> TwoPassesAsync(List<Hit> stored, List<Hit> added, CancellationToken ct)
    {
        var store = _incremental.CreateStore();
        await store.MigrateAsync(ct);
        await store.AppendAsync(stored, ct);
        await store.RefreshRollupsAsync(Sites, ct);
        Assert.Equal(0, store.Rollups.IncrementalDays);
        await store.AppendAsync(added, ct);
        await store.RefreshRollupsAsync(Sites, ct);
        return store;
    }

    private Task AssertSameRowsAsWholeBuildAsync(List<Hit> hits, CancellationToken ct) =>
        RollupTableRows.AssertSameRowsAsWholeBuildAsync(_whole, _incremental.ConnectionString, hits, ct);

    private async Task<string> PlanAsync(string sql)
    {
        await using var connection = new SqliteConnection(_incremental.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in new[] { "@site_id", "@from_ts", "@to_ts", "@not_set", "@lo", "@hi" })
        {
            command.Parameters.AddWithValue(name, name == "@site_id" || name == "@not_set" ? "x" : 1L);
        }

        var plan = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            plan.Add(reader.GetString(3));
        }

        return string.Join("; ", plan);
    }
}

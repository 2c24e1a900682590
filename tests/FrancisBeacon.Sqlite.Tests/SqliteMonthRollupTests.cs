// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>The SQLite store answers whole site-local months from its month rollup tables and builds them for existing day rollups.</summary>
public sealed class SqliteMonthRollupTests : IDisposable
{
    private static readonly Dictionary<string, TimeZoneInfo> Sites = new(StringComparer.Ordinal) { [HitBuilder.DefaultSiteId] = TimeZoneInfo.Utc };
    private readonly SqliteTestDatabase _database = new();

    [Fact]
    public async Task QueryAsync_WholeMonthAfterRefresh_ReadsMonthTables()
    {
        var store = await CreateLoadedStoreAsync();
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Equal(31, await PageviewsAsync(store, Days(3, 1, 4, 1)));

        await ExecuteAsync("UPDATE beacon_rollup_month_events SET pageviews = pageviews + 1000 WHERE dim = 0 AND month = (SELECT month FROM beacon_rollup_months WHERE end_day - month = 31)");

        Assert.Equal(1031, await PageviewsAsync(store, Days(3, 1, 4, 1))); // March alone
        Assert.Equal(1033, await PageviewsAsync(store, Days(2, 28, 4, 2))); // March and an edge day on each side
        Assert.Equal(30, await PageviewsAsync(store, Days(3, 2, 4, 1))); // not a whole month: day rows only
    }

    [Fact]
    public async Task QueryAsync_MonthWithNewHits_ReadsDaysUntilRefreshed()
    {
        var store = await CreateLoadedStoreAsync();
        await store.RefreshRollupsAsync(Sites, Ct);
        await ExecuteAsync("UPDATE beacon_rollup_month_events SET pageviews = pageviews + 1000 WHERE dim = 0");
        await store.AppendAsync([HitBuilder.Pageview("/late").At(new DateTimeOffset(2025, 3, 15, 20, 0, 0, TimeSpan.Zero)).ByVisitor(500).Build()], Ct);

        Assert.Equal(32, await PageviewsAsync(store, Days(3, 1, 4, 1))); // the month is dirty: its days are read

        await store.RefreshRollupsAsync(Sites, Ct);

        Assert.Equal(32, await PageviewsAsync(store, Days(3, 1, 4, 1))); // rebuilt: the tampering is gone
    }

    [Fact]
    public async Task RefreshRollupsAsync_DayRollupsWithoutMonths_BuildsMonths()
    {
        var store = await CreateLoadedStoreAsync();
        await store.RefreshRollupsAsync(Sites, Ct);
        // A database whose day rollups predate migration 0007: no month rows, no month state.
        foreach (var table in new[] { "beacon_rollup_month_events", "beacon_rollup_month_visits", "beacon_rollup_months", "beacon_rollup_month_sites" })
        {
            await ExecuteAsync($"DELETE FROM {table}");
        }

        Assert.Equal(31, await PageviewsAsync(store, Days(3, 1, 4, 1))); // day rows answer meanwhile

        Assert.Equal(0, await store.RefreshRollupsAsync(Sites, Ct)); // no day rebuilt ...
        Assert.Equal(3, await CountAsync("SELECT COUNT(*) FROM beacon_rollup_months")); // ... but February, March and April built
        await ExecuteAsync("UPDATE beacon_rollup_month_events SET pageviews = pageviews + 1000 WHERE dim = 0 AND month = (SELECT month FROM beacon_rollup_months WHERE end_day - month = 31)");
        Assert.Equal(1031, await PageviewsAsync(store, Days(3, 1, 4, 1)));
        Assert.Equal(0, await store.RefreshRollupsAsync(Sites, Ct));
        Assert.Equal(3, await CountAsync("SELECT COUNT(*) FROM beacon_rollup_months"));
    }

    public void Dispose() => _database.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static HitQuery Days(int fromMonth, int fromDay, int toMonth, int toDay) => new()
    {
        SiteId = HitBuilder.DefaultSiteId,
        From = new DateTimeOffset(2025, fromMonth, fromDay, 0, 0, 0, TimeSpan.Zero),
        To = new DateTimeOffset(2025, toMonth, toDay, 0, 0, 0, TimeSpan.Zero),
        Metrics = [HitMetric.Pageviews],
    };

    private async Task<SqliteHitStore> CreateLoadedStoreAsync()
    {
        var store = new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = _database.ConnectionString, MaxRollupLag = TimeSpan.Zero });
        await store.MigrateAsync(Ct);
        // One page view a day from 2025-02-28 to 2025-04-01.
        var hits = Enumerable.Range(0, 33)
            .Select(i => HitBuilder.Pageview("/p" + (i % 4)).At(new DateTimeOffset(2025, 2, 28, 10, 0, 0, TimeSpan.Zero).AddDays(i)).ByVisitor(i + 1).Build())
            .ToList();
        await store.AppendAsync(hits, Ct);
        return store;
    }

    private static async Task<double> PageviewsAsync(SqliteHitStore store, HitQuery query) =>
        (await store.QueryAsync(query, Ct)).Rows.Single().Metrics[0];

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

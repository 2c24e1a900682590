// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>The SQLite store answers whole weeks and runs of months of a list from its block rollup tables and builds them for existing rollups.</summary>
public sealed class SqliteBlockRollupTests : IDisposable
{
    private static readonly Dictionary<string, TimeZoneInfo> Sites = new(StringComparer.Ordinal) { [HitBuilder.DefaultSiteId] = TimeZoneInfo.Utc };
    private readonly SqliteTestDatabase _database = new();

    [Fact]
    public async Task QueryAsync_WholeWeeksOfAList_ReadsBlockTables()
    {
        var store = await CreateLoadedStoreAsync();
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Equal(14, await PageviewsByPageAsync(store, Days(3, 3, 3, 17)));

        // Monday 2025-03-03 .. Sunday 2025-03-09 is a week.
        await ExecuteAsync("UPDATE beacon_rollup_block_events SET pageviews = pageviews + 1000 WHERE dim = 1 AND value = '/p1' AND end_day - first_day = 7 AND first_day = (SELECT MIN(first_day) FROM beacon_rollup_blocks WHERE end_day - first_day = 7 AND first_day > 20148)");

        Assert.Equal(1014, await PageviewsByPageAsync(store, Days(3, 3, 3, 17))); // two weeks
        Assert.Equal(1015, await PageviewsByPageAsync(store, Days(3, 2, 3, 17))); // an edge day and two weeks
        Assert.Equal(13, await PageviewsByPageAsync(store, Days(3, 4, 3, 17))); // the first week is not whole
        Assert.Equal(14, await PageviewsAsync(store, Days(3, 3, 3, 17) with { Dimensions = [HitDimension.Day] })); // series read days
    }

    [Fact]
    public async Task QueryAsync_WholeRunOfMonthsOfAList_ReadsBlockTables()
    {
        var store = await CreateLoadedStoreAsync();
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Equal(32, await PageviewsByPageAsync(store, Days(3, 1, 5, 1)));

        // March and April 2025 are a run of two months (month number 24302).
        await ExecuteAsync("UPDATE beacon_rollup_block_events SET pageviews = pageviews + 1000 WHERE dim = 1 AND value = '/p1' AND end_day - first_day = 61");

        Assert.Equal(1032, await PageviewsByPageAsync(store, Days(3, 1, 5, 1))); // the run
        Assert.Equal(1033, await PageviewsByPageAsync(store, Days(2, 28, 5, 1))); // an edge day and the run
        Assert.Equal(32, await PageviewsAsync(store, Days(3, 1, 5, 1) with { Dimensions = [HitDimension.Month] })); // series read months
    }

    [Fact]
    public async Task RefreshRollupsAsync_RollupsWithoutBlocks_BuildsBlocks()
    {
        var store = await CreateLoadedStoreAsync();
        await store.RefreshRollupsAsync(Sites, Ct);
        var blocks = await CountAsync("SELECT COUNT(*) FROM beacon_rollup_blocks");
        Assert.True(blocks >= 5); // five weeks and the runs of months holding them
        // A database whose rollups predate the block tables.
        foreach (var table in new[] { "beacon_rollup_block_events", "beacon_rollup_block_visits", "beacon_rollup_blocks", "beacon_rollup_block_sites" })
        {
            await ExecuteAsync($"DELETE FROM {table}");
        }

        Assert.Equal(14, await PageviewsByPageAsync(store, Days(3, 3, 3, 17))); // day rows answer meanwhile
        Assert.Equal(0, await store.RefreshRollupsAsync(Sites, Ct)); // no day rebuilt ...
        Assert.Equal(blocks, await CountAsync("SELECT COUNT(*) FROM beacon_rollup_blocks")); // ... but the blocks built
        Assert.Equal(14, await PageviewsByPageAsync(store, Days(3, 3, 3, 17)));
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

    private static async Task<double> PageviewsByPageAsync(SqliteHitStore store, HitQuery query) =>
        (await store.QueryAsync(query with { Dimensions = [HitDimension.Page] }, Ct)).Rows.Sum(r => r.Metrics[0]);

    private static async Task<double> PageviewsAsync(SqliteHitStore store, HitQuery query) =>
        (await store.QueryAsync(query, Ct)).Rows.Sum(r => r.Metrics[0]);

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

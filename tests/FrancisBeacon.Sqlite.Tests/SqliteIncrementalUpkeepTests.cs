using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// Incremental rollup upkeep on SQLite: after passes that applied only new hits, every rollup table holds exactly the
/// rows that one whole build over the same hits gives.
/// </summary>
public sealed class SqliteIncrementalUpkeepTests : IDisposable
{
    private static readonly TimeZoneInfo Zone = RollupTableRows.Zone;
    private static readonly DateOnly LastDay = new(2026, 3, 12);
    private static readonly Dictionary<string, TimeZoneInfo> Sites = RollupTableRows.Sites;
    private static readonly string[] Tables = RollupTableRows.Tables;

    private readonly SqliteTestDatabase _incremental = new();
    private readonly SqliteTestDatabase _whole = new();

    [Fact]
    public Task RefreshAsync_BatchesAfterFirstBuild_SameRowsAsOneWholeBuild() => BatchesAfterFirstBuildAsync(newHitsPerTransaction: null);

    [Fact]
    public Task RefreshAsync_MoreNewHitsThanOneTransactionTakes_SameRowsAsOneWholeBuild() => BatchesAfterFirstBuildAsync(newHitsPerTransaction: 7);

    [Fact]
    public Task RefreshAsync_StepsLongerThanTheWallBudget_NextStepsSmallerAndSameRowsAsOneWholeBuild() => BatchesAfterFirstBuildAsync(newHitsPerTransaction: null, overWallBudget: true);

    private async Task BatchesAfterFirstBuildAsync(int? newHitsPerTransaction, bool overWallBudget = false)
    {
        var ct = TestContext.Current.CancellationToken;
        var hits = new RealisticHitGenerator(300) { SiteId = HitBuilder.DefaultSiteId, TimeZone = Zone, Seed = 5 }.Generate(2_000, 3, LastDay).OrderBy(h => h.Timestamp).ToList();
        // The first 60 % build the rollups; the rest arrive in ten batches, in time order, a pass after each.
        var first = hits.Count * 6 / 10;
        var incremental = _incremental.CreateStore();
        if (newHitsPerTransaction is { } limit)
        {
            incremental.Rollups.NewHitsPerTransaction = limit;
        }

        if (overWallBudget)
        {
            // Round 12: every step takes longer than a zero budget by the clock (a pass starved of CPU while it holds the
            // lock), so after the first step the next ones shrink to the least size.
            incremental.Rollups.StepWallBudget = TimeSpan.Zero;
            incremental.Rollups.MinNewHitsPerTransaction = 7;
        }

        await incremental.MigrateAsync(ct);
        await incremental.AppendAsync(hits[..first], ct);
        Assert.True(await incremental.RefreshRollupsAsync(Sites, ct) > 0);
        var batch = (hits.Count - first + 9) / 10;
        for (var at = first; at < hits.Count; at += batch)
        {
            await incremental.AppendAsync(hits[at..Math.Min(hits.Count, at + batch)], ct);
            await incremental.RefreshRollupsAsync(Sites, ct);
        }

        Assert.True(incremental.Rollups.IncrementalDays >= 5, $"only {incremental.Rollups.IncrementalDays} passes applied new hits incrementally");
        if (newHitsPerTransaction is not null || overWallBudget)
        {
            // A batch of ~80 hits in steps of 7: most passes took several transactions.
            Assert.True(incremental.Rollups.IncrementalSteps >= 3 * incremental.Rollups.IncrementalDays, $"{incremental.Rollups.IncrementalSteps} steps for {incremental.Rollups.IncrementalDays} days");
        }

        var whole = _whole.CreateStore();
        await whole.MigrateAsync(ct);
        await whole.AppendAsync(hits, ct);
        await whole.RefreshRollupsAsync(Sites, ct);
        Assert.Equal(0, whole.Rollups.IncrementalDays);
        foreach (var table in Tables)
        {
            var expected = await RollupTableRows.ReadAsync(_whole.ConnectionString, table);
            Assert.True(expected.Count > 0 || table.Contains("month", StringComparison.Ordinal) || table.Contains("links", StringComparison.Ordinal), table);
            Assert.Equal(expected, await RollupTableRows.ReadAsync(_incremental.ConnectionString, table));
        }
    }

    [Fact]
    public async Task PurgeAsync_AfterIncrementalPasses_ForgetsMarksAndRebuildsWhole()
    {
        var ct = TestContext.Current.CancellationToken;
        var hits = new RealisticHitGenerator(100) { SiteId = HitBuilder.DefaultSiteId, TimeZone = Zone, Seed = 9 }.Generate(800, 2, LastDay).OrderBy(h => h.Timestamp).ToList();
        var store = _incremental.CreateStore();
        await store.MigrateAsync(ct);
        await store.AppendAsync(hits[..500], ct);
        await store.RefreshRollupsAsync(Sites, ct);
        await store.AppendAsync(hits[500..560], ct);
        await store.RefreshRollupsAsync(Sites, ct);
        Assert.True(await MarksAsync() > 0);

        // Purging the newest hits frees the top rowids, which the next hits are given again.
        var purgeFrom = hits[530].Timestamp;
        await store.PurgeAsync(new() { From = purgeFrom, To = DateTimeOffset.MaxValue }, ct);
        Assert.Equal(0, await MarksAsync());
        var rest = hits[560..].Where(h => h.Timestamp >= purgeFrom).ToList();
        await store.AppendAsync(rest, ct);
        await store.RefreshRollupsAsync(Sites, ct);

        var whole = _whole.CreateStore();
        await whole.MigrateAsync(ct);
        await whole.AppendAsync([.. hits[..560].Where(h => h.Timestamp < purgeFrom), .. rest], ct);
        await whole.RefreshRollupsAsync(Sites, ct);
        foreach (var table in Tables)
        {
            Assert.Equal(await RollupTableRows.ReadAsync(_whole.ConnectionString, table), await RollupTableRows.ReadAsync(_incremental.ConnectionString, table));
        }
    }

    public void Dispose()
    {
        _incremental.Dispose();
        _whole.Dispose();
    }

    private async Task<long> MarksAsync()
    {
        await using var connection = new SqliteConnection(_incremental.ConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM beacon_rollup_upkeep WHERE site_id <> ''";
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}

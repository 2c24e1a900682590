using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// The write path marks the rollups' dirty hours itself, once per (site, UTC hour) of the rows a batch really
/// inserted (migration 0008 dropped the per-row trigger).
/// </summary>
public sealed class SqliteAppendTests : IDisposable
{
    private static readonly Dictionary<string, TimeZoneInfo> Sites = new(StringComparer.Ordinal) { [HitBuilder.DefaultSiteId] = TimeZoneInfo.Utc };
    private readonly SqliteTestDatabase _database = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AppendAsync_NewHits_MarksEachSiteHourOnceInTheBatch()
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        await store.AppendAsync(
        [
            HitBuilder.Pageview("/a").At(t0).Build(),
            HitBuilder.Pageview("/b").At(t0.AddMinutes(59)).Build(),
            HitBuilder.Pageview("/c").At(t0.AddHours(1)).Build(),
            HitBuilder.Pageview("/d").At(t0.AddHours(-1)).ForSite("other.example").Build(),
        ], Ct);

        var hour = t0.ToUnixTimeMilliseconds() / 3_600_000;
        Assert.Equal(
            [(HitBuilder.DefaultSiteId, hour, 1L), (HitBuilder.DefaultSiteId, hour + 1, 1L), ("other.example", hour - 1, 1L)],
            await DirtyAsync());
    }

    [Fact]
    public async Task AppendAsync_KnownIdsAfterRefresh_MarkNothing()
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        var hits = Enumerable.Range(0, 5).Select(i => HitBuilder.Pageview("/p" + i).At(new DateTimeOffset(2025, 3, 1, i, 0, 0, TimeSpan.Zero)).Build()).ToList();
        await store.AppendAsync(hits, Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Empty(await DirtyAsync());

        await store.AppendAsync(hits, Ct); // a batch retried after its commit's answer was lost, or a spool replayed

        Assert.Empty(await DirtyAsync());
        Assert.Equal(5L, await ScalarAsync("SELECT count(*) FROM beacon_hits"));
    }

    [Fact]
    public async Task AppendAsync_SomeKnownIds_MarksOnlyTheHoursOfNewRowsAndBumpsTheVersion()
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        var known = HitBuilder.Pageview("/known").At(t0).Build();
        await store.AppendAsync([known], Ct);
        await store.AppendAsync([known, HitBuilder.Pageview("/new").At(t0.AddHours(2)).Build(), HitBuilder.Pageview("/new2").At(t0.AddMinutes(5)).Build()], Ct);

        var hour = t0.ToUnixTimeMilliseconds() / 3_600_000;
        // The hour of t0 was marked by the first batch and again by /new2 (version 2); /known's re-send marked nothing.
        Assert.Equal([(HitBuilder.DefaultSiteId, hour, 2L), (HitBuilder.DefaultSiteId, hour + 2, 1L)], await DirtyAsync());
    }

    [Fact]
    public async Task MigrateAsync_Latest_HasNoPerRowTriggerOnHits()
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);

        Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"));
    }

    public void Dispose() => _database.Dispose();

    private async Task<List<(string SiteId, long Hour, long Ver)>> DirtyAsync()
    {
        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT site_id, hour, ver FROM beacon_rollup_dirty ORDER BY site_id, hour";
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<(string, long, long)>();
        while (await reader.ReadAsync(Ct))
        {
            rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return rows;
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync(Ct))!;
    }
}

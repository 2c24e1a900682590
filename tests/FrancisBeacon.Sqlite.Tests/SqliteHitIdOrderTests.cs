using Dapper;
using FrancisBeacon.Storage;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// Hit ids are stored in RFC 9562 (big-endian) byte order, so that time-ordered version 7 ids go in at the end of the
/// unique id index; the migration that introduced it turned the ids stored before round the same way.
/// </summary>
public sealed class SqliteHitIdOrderTests : IDisposable
{
    private const string IdMigration = "hit_ids_big_endian";
    private readonly SqliteTestDatabase _database = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AppendAsync_StoresTheIdsBigEndian_SoLaterHitsSortLast()
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        var t0 = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        // Default ids (version 7) a few milliseconds to minutes apart: the low timestamp bytes differ, the high ones not.
        var hits = Enumerable.Range(0, 40).Select(i => t0.AddMilliseconds(i * 997L * (i + 1)))
            .Select(t => new Hit { Id = Guid.CreateVersion7(t), SiteId = "s", Path = "/", Timestamp = t }).ToList();
        await store.AppendAsync([.. hits.AsEnumerable().Reverse()], Ct);

        await using var connection = new SqliteConnection(_database.ConnectionString);
        var stored = (await connection.QueryAsync<byte[]>("SELECT id FROM beacon_hits ORDER BY id")).ToList();
        Assert.Equal(hits.Select(h => h.Id.ToByteArray(bigEndian: true)), stored);
        Assert.Equal(hits.Select(h => h.Id).Order(), (await ReadAllAsync(store)).Select(h => h.Id).Order());
    }

    [Fact]
    public async Task Migration_TurnsLegacyIdsRound_TheSameIdsReadBackAndResentHitsStayOnce()
    {
        var store = _database.CreateStore();
        var script = store.GetMigrationScript(0);
        var cut = script.IndexOf($": {IdMigration}\n", StringComparison.Ordinal);
        Assert.True(cut > 0, "the id migration is in the script");
        cut = script.LastIndexOf("-- FrancisBeacon migration ", cut, StringComparison.Ordinal);
        var legacy = new[]
        {
            new Guid("0190c3a1-7b2e-7c4d-8e5f-0123456789ab"),
            new Guid("ffffffff-0000-0000-0000-000000000001"),
            new Guid("00000000-0000-0000-0000-0000000000ff"),
        };
        await using (var connection = new SqliteConnection(_database.ConnectionString))
        {
            await connection.ExecuteAsync(script[..cut]);
            for (var i = 0; i < legacy.Length; i++)
            {
                // As the writer stored ids before: Guid.ToByteArray's little-endian order.
                await connection.ExecuteAsync(
                    "INSERT INTO beacon_hits (id, site_id, ts, event_name, hostname, path, visitor_id) VALUES (@id, 's', @ts, 'pageview', 'h', '/', 7)",
                    new { id = legacy[i].ToByteArray(), ts = 1_772_000_000_000L + i });
            }
        }

        await store.MigrateAsync(Ct);

        Assert.Equal(store.LatestVersion, await store.GetVersionAsync(Ct));
        Assert.Equal(legacy.Order(), (await ReadAllAsync(store)).Select(h => h.Id).Order());
        // A hit stored before the upgrade and sent again after it (a retried batch, a replayed spool) is still a duplicate.
        await store.AppendAsync([new Hit { Id = legacy[0], SiteId = "s", Path = "/", Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1_772_000_000_000L) }], Ct);
        Assert.Equal(legacy.Length, (await ReadAllAsync(store)).Count);
    }

    public void Dispose() => _database.Dispose();

    private static async Task<List<Hit>> ReadAllAsync(SqliteHitStore store)
    {
        var list = new List<Hit>();
        await foreach (var hit in store.ReadAsync(HitRange.All, Ct))
        {
            list.Add(hit);
        }

        return list;
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Storage;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// A site's <see cref="SqliteHitStore.ReadAsync"/> (the export) reads a page at a time on a connection of its own, so
/// that no read transaction stays open while the caller writes a page to a slow client; pages never split the hits of
/// one millisecond. Small pages here, so that every edge case is hit: runs of ties longer than a page, a page ending
/// inside a run, ranges starting and ending inside runs.
/// </summary>
public sealed class SqliteReadPagingTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task ReadAsync_OneSiteInSmallPages_ReadsEveryHitOnceInTheReferenceOrder(int pageSize)
    {
        var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        store.ReadPageSize = pageSize;
        var random = new Random(pageSize);
        var start = new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
        var hits = new List<Hit>();
        var at = start;
        while (hits.Count < 300)
        {
            foreach (var site in new[] { "a.example", "b.example" })
            {
                var run = random.Next(1, 3 * pageSize);
                for (var i = 0; i < run; i++)
                {
                    hits.Add(new Hit { Id = Guid.NewGuid(), SiteId = site, Path = "/" + hits.Count, Timestamp = at, VisitorId = random.Next(10) });
                }
            }

            at = at.AddMilliseconds(random.Next(1, 3));
        }

        await store.AppendAsync(hits, Ct);
        var reference = new InMemoryHitStore();
        await reference.AppendAsync(hits, Ct);
        var inside = hits[150].Timestamp;
        HitRange[] ranges =
        [
            new() { SiteId = "a.example" },
            new() { SiteId = "b.example", From = start.AddMilliseconds(1), To = inside },
            new() { SiteId = "a.example", From = inside, To = inside.AddMilliseconds(1) },
            new() { SiteId = "a.example", From = inside.AddTicks(-1), To = at.AddTicks(-1) },
            new() { SiteId = "nobody.example" },
        ];
        foreach (var range in ranges)
        {
            Assert.Equal((await ReadAllAsync(reference, range)).Select(h => h.Id), (await ReadAllAsync(store, range)).Select(h => h.Id));
        }
    }

    public void Dispose() => _database.Dispose();

    private static async Task<List<Hit>> ReadAllAsync(IHitStore store, HitRange range)
    {
        var hits = new List<Hit>();
        await foreach (var hit in store.ReadAsync(range, Ct))
        {
            hits.Add(hit);
        }

        return hits;
    }
}

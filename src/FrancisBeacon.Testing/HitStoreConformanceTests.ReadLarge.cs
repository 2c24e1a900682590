// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Reading one site's hits when there are many, with many sharing a timestamp: a store may read them in pages (the SQL
/// stores do, so that an export written to a slow client holds no connection), and then must neither split, repeat
/// nor drop the hits of a millisecond at a page's edge, nor stop at a millisecond holding more hits than a page.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// 1 100 hits in one millisecond, then 1 505 more in runs of 1–8 per millisecond, for one site among another site's
    /// hits at the same instants: every hit of the site read once, in the reference order, for the whole site and for
    /// ranges that start and end inside a run.
    /// </summary>
    [Fact]
    public virtual async Task ReadAsync_ManyHitsSharingTimestamps_ReadsEachOnceInOrder()
    {
        var random = new Random(2026_11_30);
        var start = Utc(2025, 6, 1, 12);
        var hits = new List<Hit>();
        for (var i = 0; i < 1_100; i++)
        {
            hits.Add(HitBuilder.Pageview("/bulk").ByVisitor(i).At(start).WithId(RealisticHitGenerator.NextGuid(random)).Build());
        }

        var at = start.AddMilliseconds(1);
        while (hits.Count < 2_605)
        {
            var run = random.Next(1, 9);
            for (var i = 0; i < run; i++)
            {
                hits.Add(HitBuilder.Pageview($"/p{hits.Count}").ByVisitor(random.Next(50)).At(at).WithId(RealisticHitGenerator.NextGuid(random)).Build());
            }

            at = at.AddMilliseconds(random.Next(1, 3));
        }

        var others = hits.Where((_, i) => i % 5 == 0).Select(h => h with { Id = RealisticHitGenerator.NextGuid(random), SiteId = "other.example" }).ToList();
        List<Hit> all = [.. hits, .. others];
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(all));
        var store = await CreateStoreWithAsync(all);
        var reference = await CreateReferenceAsync(all);

        var middle = hits[1_800].Timestamp;
        HitRange[] ranges =
        [
            new() { SiteId = SiteId },
            new() { SiteId = SiteId, From = start, To = at },
            new() { SiteId = SiteId, From = start.AddMilliseconds(1), To = middle },
            new() { SiteId = SiteId, From = middle, To = middle.AddMilliseconds(1) },
            new() { SiteId = SiteId, From = start.AddTicks(-1), To = start.AddTicks(1) },
        ];
        foreach (var range in ranges)
        {
            var expected = await ReadAllAsync(reference, range);
            var actual = await ReadAllAsync(store, range);
            Assert.True(expected.Count > 0, $"the range {range.From:O}–{range.To:O} should hold hits");
            Assert.Equal(expected.Select(h => h.Id), actual.Select(h => h.Id));
        }

        Assert.Equal(hits.Count, (await ReadAllAsync(store, new HitRange { SiteId = SiteId })).Count);
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>Purging by site and half-open range (retention and erasure requests).</content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>Purging one site's range deletes exactly its hits in <c>[From, To)</c>, returns how many, and leaves the rest.</summary>
    [Fact]
    public virtual async Task PurgeAsync_SiteRange_DeletesThatSitesHitsHalfOpen()
    {
        var from = Utc(2025, 1, 10, 10);
        var to = Utc(2025, 1, 11, 8);
        var hits = HitScenario.SmallSite();
        var store = await CreateStoreWithAsync(hits);
        var range = new HitRange { SiteId = SiteId, From = from, To = to };

        var deleted = await store.PurgeAsync(range, TestCancellationToken);

        Assert.Equal(3, deleted);
        var left = hits.Where(h => !range.Contains(h)).OrderBy(h => h.Timestamp).ToList();
        HitAssert.Equal(left, await ReadAllAsync(store, HitRange.All));
        AssertRows([Row([], 4, 4)], await store.QueryAsync(Query(SmallSiteFrom, SmallSiteTo), TestCancellationToken));
    }

    /// <summary>Purging a range without a site deletes every site's hits in it, and only those.</summary>
    [Fact]
    public virtual async Task PurgeAsync_AllSitesRange_DeletesEverySitesHitsInRange()
    {
        var hits = HitScenario.SmallSite();
        var store = await CreateStoreWithAsync(hits);
        var range = new HitRange { From = Utc(2025, 1, 10, 9), To = Utc(2025, 1, 10, 12, 0, 0, 1) };

        var deleted = await store.PurgeAsync(range, TestCancellationToken);

        Assert.Equal(5, deleted);
        var left = hits.Where(h => !range.Contains(h)).OrderBy(h => h.Timestamp).ToList();
        HitAssert.Equal(left, await ReadAllAsync(store, HitRange.All));
    }

    /// <summary>Purging <see cref="HitRange.All"/> deletes everything, and a second purge deletes nothing.</summary>
    [Fact]
    public virtual async Task PurgeAsync_Everything_EmptiesTheStore()
    {
        var hits = HitScenario.SmallSite();
        var store = await CreateStoreWithAsync(hits);

        var deleted = await store.PurgeAsync(HitRange.All, TestCancellationToken);
        var again = await store.PurgeAsync(HitRange.All, TestCancellationToken);

        Assert.Equal(hits.Count, deleted);
        Assert.Equal(0, again);
        Assert.Empty(await ReadAllAsync(store, HitRange.All));
        AssertRows([Row([], 0, 0)], await store.QueryAsync(Query(SmallSiteFrom, SmallSiteTo), TestCancellationToken));
    }

    /// <summary>A purged hit's id may be appended again (erasure is not a tombstone).</summary>
    [Fact]
    public virtual async Task PurgeAsync_ThenAppendSameId_StoresItAgain()
    {
        var hit = HitBuilder.Pageview("/").At(Utc(2025, 1, 1, 1)).Build();
        var store = await CreateStoreWithAsync([hit]);

        await store.PurgeAsync(HitRange.All, TestCancellationToken);
        await store.AppendAsync([hit], TestCancellationToken);

        HitAssert.Equal([hit], await ReadAllAsync(store, HitRange.All));
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>Half-open ranges and the empty store.</content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>A hit exactly at <see cref="HitQuery.From"/> is in the range; one a millisecond before is not.</summary>
    [Fact]
    public virtual async Task QueryAsync_HitExactlyAtFrom_IsIncluded()
    {
        var from = Utc(2025, 5, 1, 10);
        var store = await CreateStoreWithAsync([Visit(1, from.AddMilliseconds(-1)), Visit(2, from)]);

        var result = await store.QueryAsync(Query(from, from.AddHours(1)), TestCancellationToken);

        AssertRows([Row([], 1, 1)], result);
    }

    /// <summary>A hit exactly at <see cref="HitQuery.To"/> is not in the range; one a millisecond before is.</summary>
    [Fact]
    public virtual async Task QueryAsync_HitExactlyAtTo_IsExcluded()
    {
        var to = Utc(2025, 5, 1, 10);
        var store = await CreateStoreWithAsync([Visit(1, to.AddMilliseconds(-1)), Visit(2, to), Visit(3, to.AddMilliseconds(1))]);

        var result = await store.QueryAsync(Query(to.AddHours(-1), to, HitDimension.Day), TestCancellationToken);
        var read = await ReadAllAsync(store, new HitRange { SiteId = SiteId, From = to.AddHours(-1), To = to });

        AssertRows([Row(["2025-05-01"], 1, 1)], result);
        Assert.Equal(1, Assert.Single(read).VisitorId);
    }

    /// <summary>An empty range (<c>From == To</c>) on a hit matches nothing: one row of zeros, or no rows when grouped.</summary>
    [Fact]
    public virtual async Task QueryAsync_EmptyRangeOnAHit_MatchesNothing()
    {
        var at = Utc(2025, 5, 1, 10);
        var store = await CreateStoreWithAsync([Visit(1, at)]);

        var total = await store.QueryAsync(Query(at, at), TestCancellationToken);
        var byPage = await store.QueryAsync(Query(at, at, HitDimension.Page), TestCancellationToken);
        var read = await ReadAllAsync(store, new HitRange { From = at, To = at });

        AssertRows([Row([], 0, 0)], total);
        AssertRows([], byPage);
        Assert.Empty(read);
    }

    /// <summary>A one-millisecond range holds exactly the hits of that millisecond.</summary>
    [Fact]
    public virtual async Task QueryAsync_OneMillisecondRange_HoldsThatMillisecond()
    {
        var at = Utc(2025, 5, 1, 10, 0, 0, 500);
        var store = await CreateStoreWithAsync([Visit(1, at.AddMilliseconds(-1)), Visit(2, at), Visit(3, at), Visit(4, at.AddMilliseconds(1))]);

        var result = await store.QueryAsync(Query(at, at.AddMilliseconds(1)), TestCancellationToken);

        AssertRows([Row([], 2, 2)], result);
    }

    /// <summary>
    /// The widest possible range (<see cref="DateTimeOffset.MinValue"/> to <see cref="DateTimeOffset.MaxValue"/>)
    /// works and holds every hit.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_WidestRange_HoldsEveryHit()
    {
        var store = await CreateStoreWithAsync(HitScenario.SmallSite());

        var result = await store.QueryAsync(Query(DateTimeOffset.MinValue, DateTimeOffset.MaxValue), TestCancellationToken);

        AssertRows([Row([], 5, 6)], result);
    }

    /// <summary>An empty store answers a query without dimensions with exactly one row of zeros, one per metric.</summary>
    [Fact]
    public virtual async Task QueryAsync_EmptyStoreWithoutDimensions_ReturnsOneRowOfZeros()
    {
        var store = await CreateStoreAsync();

        var both = await store.QueryAsync(Query(Utc(2025, 1, 1), Utc(2026, 1, 1)), TestCancellationToken);
        var one = await store.QueryAsync(Query(Utc(2025, 1, 1), Utc(2026, 1, 1)) with { Metrics = [HitMetric.Pageviews] }, TestCancellationToken);

        AssertRows([Row([], 0, 0)], both);
        AssertRows([Row([], 0)], one);
    }

    /// <summary>An empty store answers a grouped query with no rows (an empty list, never null).</summary>
    [Fact]
    public virtual async Task QueryAsync_EmptyStoreWithDimensions_ReturnsNoRows()
    {
        var store = await CreateStoreAsync();
        HitDimension[][] groupings = [[HitDimension.Page], [HitDimension.Day], [HitDimension.Page, HitDimension.Day], [HitDimension.Day, HitDimension.Page]];

        foreach (var dimensions in groupings)
        {
            var result = await store.QueryAsync(Query(Utc(2025, 1, 1), Utc(2026, 1, 1), dimensions), TestCancellationToken);

            AssertRows([], result, "Dimensions: " + string.Join(", ", dimensions.Select(d => d.Name)));
        }
    }

    /// <summary>An empty store's ReadAsync yields nothing.</summary>
    [Fact]
    public virtual async Task ReadAsync_EmptyStore_YieldsNothing()
    {
        var store = await CreateStoreAsync();

        var read = await ReadAllAsync(store, HitRange.All);

        Assert.Empty(read);
    }

    /// <summary>An empty store's PurgeAsync deletes nothing and says so.</summary>
    [Fact]
    public virtual async Task PurgeAsync_EmptyStore_ReturnsZero()
    {
        var store = await CreateStoreAsync();

        var deleted = await store.PurgeAsync(HitRange.All, TestCancellationToken);

        Assert.Equal(0, deleted);
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>Cancellation and invalid queries.</content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>A pre-cancelled token makes AppendAsync throw <see cref="OperationCanceledException"/> and store nothing.</summary>
    [Fact]
    public virtual async Task AppendAsync_CancelledToken_ThrowsAndStoresNothing()
    {
        var store = await CreateStoreAsync();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.AppendAsync(HitScenario.SmallSite(), cancelled.Token));

        Assert.Empty(await ReadAllAsync(store, HitRange.All));
    }

    /// <summary>A pre-cancelled token makes QueryAsync throw <see cref="OperationCanceledException"/>.</summary>
    [Fact]
    public virtual async Task QueryAsync_CancelledToken_Throws()
    {
        var store = await CreateStoreWithAsync(HitScenario.SmallSite());
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.QueryAsync(Query(SmallSiteFrom, SmallSiteTo), cancelled.Token));
    }

    /// <summary>A pre-cancelled token makes PurgeAsync throw <see cref="OperationCanceledException"/> and delete nothing.</summary>
    [Fact]
    public virtual async Task PurgeAsync_CancelledToken_ThrowsAndDeletesNothing()
    {
        var hits = HitScenario.SmallSite();
        var store = await CreateStoreWithAsync(hits);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.PurgeAsync(HitRange.All, cancelled.Token));

        Assert.Equal(hits.Count, (await ReadAllAsync(store, HitRange.All)).Count);
    }

    /// <summary>Enumerating ReadAsync with a pre-cancelled token throws <see cref="OperationCanceledException"/>.</summary>
    [Fact]
    public virtual async Task ReadAsync_CancelledToken_ThrowsWhenEnumerated()
    {
        var store = await CreateStoreWithAsync(HitScenario.SmallSite());
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var hit in store.ReadAsync(HitRange.All, cancelled.Token))
            {
                Assert.NotNull(hit);
            }
        });
    }

    /// <summary>Enumerating ReadAsync with a token passed to <c>WithCancellation</c> that is cancelled throws <see cref="OperationCanceledException"/>.</summary>
    [Fact]
    public virtual async Task ReadAsync_CancelledWithCancellation_ThrowsWhenEnumerated()
    {
        var store = await CreateStoreWithAsync(HitScenario.SmallSite());
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var hit in store.ReadAsync(HitRange.All, CancellationToken.None).WithCancellation(cancelled.Token))
            {
                Assert.NotNull(hit);
            }
        });
    }

    /// <summary>A query without metrics throws <see cref="HitQueryException"/> naming <c>metrics</c>.</summary>
    [Fact]
    public virtual async Task QueryAsync_EmptyMetrics_ThrowsHitQueryException()
    {
        var store = await CreateStoreAsync();

        var error = await Assert.ThrowsAsync<HitQueryException>(async () =>
            await store.QueryAsync(Query(Utc(2025, 1, 1), Utc(2025, 1, 2)) with { Metrics = [] }, TestCancellationToken));

        Assert.Equal("metrics", error.Field);
    }

    /// <summary>Other invalid queries throw <see cref="HitQueryException"/> naming the offending field, as <see cref="HitQuery.Validate"/> does.</summary>
    [Fact]
    public virtual async Task QueryAsync_InvalidQueries_ThrowHitQueryExceptionNamingTheField()
    {
        var store = await CreateStoreAsync();
        var valid = Query(Utc(2025, 1, 1), Utc(2025, 1, 2));
        (HitQuery Query, string Field)[] cases =
        [
            (valid with { To = Utc(2024, 12, 31) }, "date_range"),
            (valid with { SiteId = string.Empty }, "site_id"),
            (valid with { Metrics = [HitMetric.Visitors, HitMetric.Visitors] }, "metrics"),
            (valid with { Metrics = [(HitMetric)999] }, "metrics"),
            (valid with { Dimensions = [HitDimension.Page, HitDimension.Page] }, "dimensions"),
            (valid with { Limit = -1 }, "limit"),
            (valid with { Offset = -1 }, "offset"),
        ];

        foreach (var (query, field) in cases)
        {
            var error = await Assert.ThrowsAsync<HitQueryException>(async () => await store.QueryAsync(query, TestCancellationToken));

            Assert.Equal(field, error.Field);
        }
    }
}

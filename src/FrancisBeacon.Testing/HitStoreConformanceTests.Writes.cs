// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>Appending: big batches, concurrent writers, duplicate ids.</content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>One batch of 10 000 hits is stored whole, and answers match the reference.</summary>
    [Fact]
    public virtual async Task AppendAsync_BatchOf10000_StoresEveryHit()
    {
        var hits = HitScenario.Many(10_000, Utc(2025, 1, 1), TimeSpan.FromSeconds(37));
        var store = await CreateStoreAsync();

        await store.AppendAsync(hits, TestCancellationToken);

        var reference = await CreateReferenceAsync(hits);
        var read = await ReadAllAsync(store, HitRange.All);
        Assert.Equal(10_000, read.Count);
        Assert.Equal(hits.Select(h => h.Id).Order(), read.Select(h => h.Id).Order());
        var query = Query(Utc(2025, 1, 1), Utc(2025, 2, 1));
        await AssertSameAnswerAsync(reference, store, query);
        await AssertSameAnswerAsync(reference, store, query with { Dimensions = [HitDimension.Day] });
        await AssertSameAnswerAsync(reference, store, query with { Dimensions = [HitDimension.Page] });
    }

    /// <summary>Eight writers appending 500 hits each (in batches of 50) at the same time lose nothing.</summary>
    [Fact]
    public virtual async Task AppendAsync_EightConcurrentWriters_StoresEveryHit()
    {
        const int Writers = 8;
        const int PerWriter = 500;
        var store = await CreateStoreAsync();
        var batches = Enumerable.Range(0, Writers)
            .Select(w => HitScenario.Many(PerWriter, Utc(2025, 1, 1).AddMinutes(w), TimeSpan.FromSeconds(61)).Chunk(50).ToList())
            .ToList();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var writers = batches.Select(writerBatches => Task.Run(async () =>
        {
            await start.Task;
            foreach (var batch in writerBatches)
            {
                await store.AppendAsync(batch, TestCancellationToken);
            }
        })).ToList();
        start.SetResult();
        await Task.WhenAll(writers);

        var expected = batches.SelectMany(w => w.SelectMany(b => b)).ToList();
        var read = await ReadAllAsync(store, HitRange.All);
        Assert.Equal(Writers * PerWriter, read.Count);
        Assert.Equal(expected.Select(h => h.Id).Order(), read.Select(h => h.Id).Order());
        var result = await store.QueryAsync(Query(Utc(2025, 1, 1), Utc(2025, 2, 1)) with { Metrics = [HitMetric.Pageviews] }, TestCancellationToken);
        AssertRows([Row([], Writers * PerWriter)], result);
    }

    /// <summary>Appending a hit whose id is already stored is a no-op, even when its other fields differ: the first one stays.</summary>
    [Fact]
    public virtual async Task AppendAsync_SameIdAgain_IsNoOp()
    {
        var first = HitBuilder.Pageview("/first").ByVisitor(1).At(Utc(2025, 2, 1, 9)).Build();
        var again = first with { Path = "/second", VisitorId = 2, Timestamp = Utc(2025, 2, 1, 10), EventName = "Other" };
        var store = await CreateStoreWithAsync([first]);

        await store.AppendAsync([first], TestCancellationToken);
        await store.AppendAsync([again], TestCancellationToken);

        HitAssert.Equal([first], await ReadAllAsync(store, HitRange.All));
        var result = await store.QueryAsync(Query(Utc(2025, 2, 1), Utc(2025, 2, 2)), TestCancellationToken);
        AssertRows([Row([], 1, 1)], result);
    }

    /// <summary>A batch that holds the same id twice stores it once (the first occurrence), along with the rest of the batch.</summary>
    [Fact]
    public virtual async Task AppendAsync_DuplicateIdWithinBatch_StoresItOnce()
    {
        var store = await CreateStoreAsync();
        var first = HitBuilder.Pageview("/dup").ByVisitor(1).At(Utc(2025, 2, 1, 9)).Build();
        var other = HitBuilder.Pageview("/other").ByVisitor(2).At(Utc(2025, 2, 1, 9, 30)).Build();
        var copy = first with { Path = "/dup-copy" };

        await store.AppendAsync([first, other, first, copy], TestCancellationToken);

        HitAssert.Equal([first, other], await ReadAllAsync(store, HitRange.All));
    }

    /// <summary>A batch mixing new hits and already stored ones stores the new ones and leaves the old ones alone.</summary>
    [Fact]
    public virtual async Task AppendAsync_BatchWithSomeKnownIds_StoresOnlyTheNewOnes()
    {
        var hits = HitScenario.SmallSite();
        var store = await CreateStoreWithAsync(hits.Take(5).ToList());

        await store.AppendAsync(hits, TestCancellationToken);

        HitAssert.Equal(hits.OrderBy(h => h.Timestamp).ToList(), await ReadAllAsync(store, HitRange.All));
    }

    /// <summary>Appending an empty batch succeeds and stores nothing.</summary>
    [Fact]
    public virtual async Task AppendAsync_EmptyBatch_StoresNothing()
    {
        var store = await CreateStoreAsync();

        await store.AppendAsync([], TestCancellationToken);

        Assert.Empty(await ReadAllAsync(store, HitRange.All));
    }
}

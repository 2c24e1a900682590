using System.Collections.Concurrent;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// How the writer waits for hits (docs/performance.md, round 6): asleep until a batch is full or its flush interval
/// ends, on a thread of its own, and everything queued is written at a graceful stop.
/// </summary>
public sealed class HitWriterBatchingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task WaitForHits_FewerThanAsked_SleepsUntilTheCountArrives()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new BeaconMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var options = Options.Create(new BeaconOptions());
        using var spool = new HitSpool(options, TimeProvider.System, NullLogger<HitSpool>.Instance);
        using var queue = new HitQueue(options, metrics, spool, NullLogger<HitQueue>.Instance);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(NewHit()));
        }

        Assert.False(queue.WaitForHits(5, TimeSpan.FromMilliseconds(100), Ct));
        Assert.True(queue.WaitForHits(3, TimeSpan.FromMinutes(1), Ct));

        var waiting = Task.Run(() => queue.WaitForHits(5, TimeSpan.FromMinutes(1), Ct), Ct);
        await Task.Delay(100, Ct);
        queue.TryEnqueue(NewHit());
        await Task.Delay(100, Ct);
        Assert.False(waiting.IsCompleted); // four of five: still asleep
        queue.TryEnqueue(NewHit());
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(10), Ct));

        // Taken hits no longer count towards the next wait.
        var taken = new List<QueuedHit>();
        Assert.Equal(5, queue.Take(taken, 100));
        Assert.False(queue.WaitForHits(1, TimeSpan.FromMilliseconds(50), Ct));
    }

    [Fact]
    public async Task WaitForHits_QueueCompleted_WakesTheWriter()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new BeaconMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var options = Options.Create(new BeaconOptions());
        using var spool = new HitSpool(options, TimeProvider.System, NullLogger<HitSpool>.Instance);
        using var queue = new HitQueue(options, metrics, spool, NullLogger<HitQueue>.Instance);

        var waiting = Task.Run(() => queue.WaitForHits(1, Timeout.InfiniteTimeSpan, Ct), Ct);
        await Task.Delay(100, Ct);
        Assert.False(waiting.IsCompleted);
        queue.Complete();

        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }

    [Fact]
    public async Task Writer_FullBatches_WrittenAtOnceOnItsOwnThreadAndTheRestAtStop()
    {
        var store = new RecordingHitStore();
        var host = await BeaconTestHost.StartAsync(
            o =>
            {
                o.MaxBatchSize = 50;
                // No backlog batches: a writer thread scheduled late (a busy CI machine) finds all 120 hits waiting and
                // would otherwise take them in one write (Writer_Backlog_… covers that); this test is about full batches.
                o.MaxBacklogBatchSize = 50;
                o.FlushInterval = TimeSpan.FromMinutes(1);
            },
            store: b => b.UseStore(_ => store));
        try
        {
            for (var i = 0; i < 120; i++)
            {
                using var response = await host.Client.GetAsync($"/beacon/hit.gif?u=https%3A%2F%2Fexample.com%2Fp{i}", Ct);
                response.EnsureSuccessStatusCode();
            }

            // Two full batches go out long before the one-minute flush interval; the last 20 hits wait for it.
            await WaitUntilAsync(() => store.Batches.Count >= 2);
            await Task.Delay(200, Ct);
            Assert.Equal([50, 50], store.Batches.Select(b => b.Size));
            Assert.All(store.Batches, b => Assert.Equal("FrancisBeacon writer", b.Thread));
            Assert.All(store.Batches, b => Assert.False(b.PoolThread));
        }
        finally
        {
            await host.DisposeAsync();
        }

        // A graceful stop writes what was still queued.
        Assert.Equal([50, 50, 20], store.Batches.Select(b => b.Size));
        Assert.Equal(120, store.Inner.Count);
    }

    [Fact]
    public async Task Writer_PartialBatch_WrittenWhenTheFlushIntervalEnds()
    {
        var store = new RecordingHitStore();
        await using var host = await BeaconTestHost.StartAsync(
            o =>
            {
                o.MaxBatchSize = 1_000;
                o.FlushInterval = TimeSpan.FromMilliseconds(300);
            },
            store: b => b.UseStore(_ => store));
        for (var i = 0; i < 3; i++)
        {
            using var response = await host.Client.GetAsync($"/beacon/hit.gif?u=https%3A%2F%2Fexample.com%2Fq{i}", Ct);
            response.EnsureSuccessStatusCode();
        }

        await WaitUntilAsync(() => store.Inner.Count >= 3);
        Assert.Equal(3, store.Batches.Sum(b => b.Size));
        Assert.InRange(store.Batches.Count, 1, 3);
    }

    [Fact]
    public async Task Writer_DefaultFlushInterval_WritesASteadyTrickleInSeveralBatches()
    {
        // The default interval (20 ms, round 11): hits arriving over 150 ms go out in several small batches, not in one
        // after a second (the 1 s default before), so the writer's bursts stay short under a steady load.
        var store = new RecordingHitStore();
        var host = await BeaconTestHost.StartAsync(o => o.FlushInterval = new BeaconOptions().FlushInterval, store: b => b.UseStore(_ => store));
        try
        {
            for (var i = 0; i < 30; i++)
            {
                using var response = await host.Client.GetAsync($"/beacon/hit.gif?u=https%3A%2F%2Fexample.com%2Ft{i}", Ct);
                response.EnsureSuccessStatusCode();
                await Task.Delay(5, Ct);
            }

            await WaitUntilAsync(() => store.Inner.Count >= 30);
            Assert.True(store.Batches.Count >= 2, $"{store.Batches.Count} batch(es)");
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Theory]
    // The store holds the first batch (SQLite's write lock held by a rollup pass) while more hits arrive: the writer then
    // takes the backlog in batches of up to MaxBacklogBatchSize, not MaxBatchSize at a time (round 12); with the two equal,
    // one MaxBatchSize batch at a time as before (the last 5 wait for the flush at the host's stop).
    [InlineData(100, 260, 260, new[] { 10, 100, 100, 50 })]
    [InlineData(10, 35, 30, new[] { 10, 10, 10, 5 })]
    public async Task Writer_Backlog_WrittenInBatchesOfUpToMaxBacklogBatchSize(int maxBacklogBatchSize, int hits, int writtenBeforeStop, int[] expected)
    {
        var store = new RecordingHitStore();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.Hold = held.Task;
        var host = await BeaconTestHost.StartAsync(
            o =>
            {
                o.MaxBatchSize = 10;
                o.MaxBacklogBatchSize = maxBacklogBatchSize;
                o.FlushInterval = TimeSpan.FromMinutes(1);
            },
            store: b => b.UseStore(_ => store));
        try
        {
            for (var i = 0; i < hits; i++)
            {
                using var response = await host.Client.GetAsync($"/beacon/hit.gif?u=https%3A%2F%2Fexample.com%2Fb{i}", Ct);
                response.EnsureSuccessStatusCode();
                if (i == 9)
                {
                    await WaitUntilAsync(() => !store.Batches.IsEmpty); // the first batch of 10 is in the store, held
                }
            }

            held.SetResult();
            await WaitUntilAsync(() => store.Inner.Count >= writtenBeforeStop);
        }
        finally
        {
            await host.DisposeAsync();
        }

        Assert.Equal(expected, store.Batches.Select(b => b.Size));
    }

    private static Hit NewHit() => new() { Id = Guid.CreateVersion7(), SiteId = "localhost", Timestamp = DateTimeOffset.UnixEpoch, Path = "/" };

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.True(condition());
    }

    private sealed class RecordingHitStore : IHitStore
    {
        public ConcurrentQueue<(int Size, string? Thread, bool PoolThread)> Batches { get; } = new();

        public InMemoryHitStore Inner { get; } = new();

        /// <summary>When set, the first batch waits for it before it is stored (a store held by someone else).</summary>
        public Task? Hold { get; set; }

        public async ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
        {
            Batches.Enqueue((hits.Count, Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));
            if (Hold is { } hold)
            {
                Hold = null;
                await hold.WaitAsync(cancellationToken);
            }

            await Inner.AppendAsync(hits, cancellationToken);
        }

        public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken) => Inner.QueryAsync(query, cancellationToken);

        public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => Inner.ReadAsync(range, cancellationToken);

        public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => Inner.PurgeAsync(range, cancellationToken);
    }
}

using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>The write queue's bounds and overflow policy, with the store stalled.</summary>
public sealed class HitQueueTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void TryEnqueue_ByteBoundReached_DropsWithReasonQueueBytesAndStaysUnderIt()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new BeaconMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var options = Options.Create(new BeaconOptions { QueueCapacity = 1_000_000, QueueMaxBytes = 1024 * 1024 });
        using var spool = new HitSpool(options, TimeProvider.System, NullLogger<HitSpool>.Instance);
        var queue = new HitQueue(options, metrics, spool, NullLogger<HitQueue>.Instance);
        var big = BigHit();
        var size = HitSize.Estimate(big);
        Assert.InRange(size, 100_000, 300_000);

        var results = Enumerable.Range(0, 40).Select(_ => queue.TryEnqueue(big with { Id = Guid.NewGuid() })).ToList();

        var queued = results.Count(r => r == EnqueueResult.Queued);
        Assert.Equal(1024 * 1024 / size, queued);
        Assert.All(results.Skip(queued), r => Assert.Equal(EnqueueResult.Dropped, r));
        Assert.Equal(40 - queued, metrics.DroppedBy(DropReasons.QueueBytes));
        Assert.Equal(0, metrics.DroppedQueueFull);
        Assert.InRange(queue.Bytes, 1, queue.MaxBytes);
        Assert.True(queue.Overflowing);

        // The writer stores (and releases) one hit: there is room for one more, but the queue is still at its bound, so
        // the overflow episode goes on; it ends once the queue has drained to three quarters of its bounds.
        Assert.True(queue.Reader.TryRead(out var first));
        queue.Release(1, first.Bytes);
        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(big with { Id = Guid.NewGuid() }));
        Assert.True(queue.Overflowing);
        while (queue.Bytes > queue.MaxBytes / 2 && queue.Reader.TryRead(out var stored))
        {
            queue.Release(1, stored.Bytes);
        }

        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(big with { Id = Guid.NewGuid() }));
        Assert.False(queue.Overflowing);
    }

    [Fact]
    public void TryEnqueueFlush_FullQueue_MarkerTakesNoPlaceAndComesAfterEveryEarlierHit()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new BeaconMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var options = Options.Create(new BeaconOptions { QueueCapacity = 3 });
        using var spool = new HitSpool(options, TimeProvider.System, NullLogger<HitSpool>.Instance);
        using var queue = new HitQueue(options, metrics, spool, NullLogger<HitQueue>.Instance);
        var hits = Enumerable.Range(0, 3).Select(i => new Hit { SiteId = "example.com", Path = "/" + i, Timestamp = DateTimeOffset.UnixEpoch }).ToList();
        Assert.All(hits, h => Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(h)));
        var flushed = new TaskCompletionSource();

        Assert.True(queue.TryEnqueueFlush(flushed)); // a full queue still takes the marker: it holds no place
        Assert.Equal(3, queue.Count);
        Assert.Equal(EnqueueResult.Dropped, queue.TryEnqueue(hits[0] with { Id = Guid.NewGuid() }));
        var taken = new List<QueuedHit>();
        Assert.Equal(4, queue.Take(taken, 10));
        Assert.Equal(["/0", "/1", "/2"], taken.Take(3).Select(q => q.Hit.Path));
        Assert.Same(flushed, taken[3].Flushed);
        Assert.Equal(0, queue.Unread);

        queue.Complete();
        Assert.False(queue.TryEnqueueFlush(new TaskCompletionSource()));
    }

    [Fact]
    public void TryEnqueue_QueueHoveringAtItsBound_LogsOneEpisode()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var metrics = new BeaconMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var options = Options.Create(new BeaconOptions { QueueCapacity = 8 });
        using var spool = new HitSpool(options, TimeProvider.System, NullLogger<HitSpool>.Instance);
        using var logs = new LogCapture();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Information));
        var queue = new HitQueue(options, metrics, spool, factory.CreateLogger<HitQueue>());
        var hit = new Hit { SiteId = "example.com", Timestamp = DateTimeOffset.UnixEpoch, Path = "/" };
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(hit with { Id = Guid.NewGuid() }));
        }

        // A writer that frees one place at a time while hits keep coming: one in, the next dropped, twenty times.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(EnqueueResult.Dropped, queue.TryEnqueue(hit with { Id = Guid.NewGuid() }));
            Assert.True(queue.Reader.TryRead(out var stored));
            queue.Release(1, stored.Bytes);
            Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(hit with { Id = Guid.NewGuid() }));
        }

        Assert.Equal(1, logs.Count(210));
        Assert.Equal(0, logs.Count(211));

        while (queue.Reader.TryRead(out var stored))
        {
            queue.Release(1, stored.Bytes);
        }

        Assert.Equal(EnqueueResult.Queued, queue.TryEnqueue(hit with { Id = Guid.NewGuid() }));
        var recovered = Assert.Single(logs.Entries, e => e.EventId.Id == 211);
        Assert.Contains("20 hits", recovered.Message, StringComparison.Ordinal);
        Assert.Equal(20, metrics.DroppedQueueFull);
    }

    [Fact]
    public void HitSize_LongerStrings_EstimateMore()
    {
        var small = new Hit { SiteId = "example.com", Timestamp = DateTimeOffset.UnixEpoch, Path = "/" };
        var longer = small with { Path = "/" + new string('a', 1000), Referrer = "https://example.org/" };

        Assert.True(HitSize.Estimate(longer) >= HitSize.Estimate(small) + 2000);
    }

    [Fact]
    public async Task Flood_StoreStalled_AnswersEveryRequestDropsPastCapacityAndWritesBacklogWhenStoreReturns()
    {
        var gate = new BlockingHitStore();
        var logs = new LogCapture();
        await using var host = await StartStalledAsync(gate, logs);

        var statuses = await Task.WhenAll(Enumerable.Range(0, 300).Select(async i =>
        {
            using var response = await host.Client.GetAsync(PixelUrl(i), Ct);
            return response.StatusCode;
        }));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var metrics = host.Services.GetRequiredService<BeaconMetrics>();
        Assert.Equal(250, metrics.DroppedQueueFull);
        Assert.Equal(1, logs.Count(210)); // once per episode, not per hit
        using (var health = await host.Client.GetAsync("/healthz", Ct))
        {
            Assert.Equal("Degraded", await health.Content.ReadAsStringAsync(Ct));
        }

        gate.Release();
        await WaitUntilAsync(() => gate.Inner.Count == 50);
        using (var after = await host.Client.GetAsync(PixelUrl(1000), Ct))
        {
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }

        await WaitUntilAsync(() => gate.Inner.Count == 51);
        Assert.Equal(51, gate.Inner.Count);
        Assert.Equal(1, logs.Count(210));
        var recovered = Assert.Single(logs.Entries, e => e.EventId.Id == 211);
        Assert.Contains("250 hits", recovered.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flood_StopsWhileStoreStalled_EpisodeEndsAndHealthyOnceBacklogWrittenWithoutAnotherHit()
    {
        // The flood is over before the store returns, and no hit comes after it (a quiet night, a stopped load
        // test): once the backlog is written the health check is Healthy again and the episode's end is logged,
        // without waiting for the next hit.
        var gate = new BlockingHitStore();
        var logs = new LogCapture();
        await using var host = await StartStalledAsync(gate, logs);

        await Task.WhenAll(Enumerable.Range(0, 120).Select(async i =>
        {
            using var response = await host.Client.GetAsync(PixelUrl(i), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }));
        using (var during = await host.Client.GetAsync("/healthz", Ct))
        {
            Assert.Equal("Degraded", await during.Content.ReadAsStringAsync(Ct));
        }

        gate.Release();
        await WaitUntilAsync(() => gate.Inner.Count == 50);
        await WaitUntilAsync(() => logs.Count(211) == 1);
        var recovered = Assert.Single(logs.Entries, e => e.EventId.Id == 211);
        Assert.Contains("70 hits", recovered.Message, StringComparison.Ordinal);
        using (var after = await host.Client.GetAsync("/healthz", Ct))
        {
            Assert.Equal("Healthy", await after.Content.ReadAsStringAsync(Ct));
        }

        Assert.Equal(50, gate.Inner.Count);
    }

    [Fact]
    public async Task Refuse_QueueFull_Answers503WithRetryAfterAndCountsTheDrop()
    {
        var gate = new BlockingHitStore();
        await using var host = await BeaconTestHost.StartAsync(
            o =>
            {
                o.QueueCapacity = 2;
                o.QueueFullMode = BeaconQueueFullMode.Refuse;
                o.QueueFullRetryAfter = TimeSpan.FromSeconds(7);
            },
            store: b => b.UseStore(_ => gate));

        var pixels = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await host.Client.GetAsync(PixelUrl(i), Ct);
            pixels.Add(response.StatusCode);
        }

        using var refusedEvent = await host.Client.PostAsync(
            "/beacon/event",
            new StringContent("""{"name":"pageview","url":"https://example.com/x"}""", System.Text.Encoding.UTF8, "application/json"),
            Ct);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, HttpStatusCode.ServiceUnavailable], pixels);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refusedEvent.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), refusedEvent.Headers.RetryAfter?.Delta);
        Assert.Equal(3, host.Services.GetRequiredService<BeaconMetrics>().DroppedQueueFull);
        gate.Release();
        await WaitUntilAsync(() => gate.Inner.Count == 2);
        using var accepted = await host.Client.GetAsync(PixelUrl(9), Ct);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task Options_QueueMaxBytesTooSmall_FailsAtStart()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => BeaconTestHost.StartAsync(o => o.QueueMaxBytes = 1000, store: b => b.UseInMemory()));

        Assert.Contains(ex.Failures, f => f.StartsWith("QueueMaxBytes", StringComparison.Ordinal));
    }

    internal static Hit BigHit()
    {
        var props = Enumerable.Range(0, HitLimits.MaxProperties)
            .ToDictionary(i => $"key{i}", i => new string((char)('a' + (i % 26)), HitLimits.MaxPropertyValueLength), StringComparer.Ordinal);
        return new Hit { SiteId = "example.com", Timestamp = DateTimeOffset.UnixEpoch, Path = "/big", Properties = props };
    }

    /// <summary>A beacon with a queue of 50 in batches of 10 in front of <paramref name="gate"/>, its logs and /healthz.</summary>
    private static Task<BeaconTestHost> StartStalledAsync(BlockingHitStore gate, LogCapture logs) =>
        BeaconTestHost.StartAsync(
            o =>
            {
                o.QueueCapacity = 50;
                o.MaxBatchSize = 10;
            },
            store: b => b.UseStore(_ => gate),
            services: s =>
            {
                s.AddSingleton<ILoggerProvider>(logs);
                s.Configure<LoggerFilterOptions>(o => o.MinLevel = LogLevel.Information);
                s.AddHealthChecks().AddBeacon();
            },
            map: app => { app.UseBeacon(); app.MapHealthChecks("/healthz"); });

    private static string PixelUrl(int i) => "/beacon/hit.gif?u=" + Uri.EscapeDataString($"https://example.com/p{i}");

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(20, Ct);
        }
    }
}

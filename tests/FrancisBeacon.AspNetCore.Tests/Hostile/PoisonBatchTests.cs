using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.AspNetCore.Tests.Hostile;

/// <summary>
/// The writer's last line of defence (docs/storage.md, "Hits a store refuses"): a hit the store refuses for what it
/// holds is dropped, counted and logged, and the rest of its batch and every later batch are written; a store that is
/// down loses nothing, a refused hit included, until it takes writes again.
/// </summary>
public sealed class PoisonBatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RefusedHits_TwoFirstOneMiddleOneLast_DroppedCountedLoggedOnceAndEveryOtherHitWritten()
    {
        var store = new RefusingHitStore();
        var logs = new LogCapture();
        await using var host = await StartAsync(store, logs);

        // One full batch of 20 with refused hits first (two), in the middle and last, then a second batch.
        await SendAsync(host, Enumerable.Range(0, 20).Select(i => i is 0 or 1 or 11 or 19 ? $"poison-{i}" : $"p{i}"));
        await SendAsync(host, Enumerable.Range(20, 20).Select(i => $"p{i}"));

        var stored = await WaitForStoredAsync(store, 36);
        Assert.Equal(36, stored.Count);
        Assert.DoesNotContain(stored, h => h.Path.Contains("poison", StringComparison.Ordinal));
        var metrics = host.Services.GetRequiredService<BeaconMetrics>();
        Assert.Equal(4, metrics.DroppedByReason.GetValueOrDefault(DropReasons.StoreRefused));
        Assert.Equal(36, metrics.WrittenTotal); // the re-writes that proved the store up are not counted
        Assert.Equal(1, logs.Count(206));
        Assert.Equal(3, logs.Count(207));
    }

    [Fact]
    public async Task StoreDown_EveryPartFails_NothingDroppedAndEverythingWrittenWhenItReturns()
    {
        var store = new RefusingHitStore { Down = true };
        var logs = new LogCapture();
        await using var host = await StartAsync(store, logs);

        await SendAsync(host, Enumerable.Range(0, 20).Select(i => i == 7 ? "poison-7" : $"p{i}"));
        await WaitForAttemptsAsync(store, 20); // the writer split the batch, more than once
        var metrics = host.Services.GetRequiredService<BeaconMetrics>();

        Assert.Equal(0, metrics.DroppedByReason.GetValueOrDefault(DropReasons.StoreRefused));
        Assert.Empty(await BeaconTestHost.ReadAllAsync(store.Inner));
        store.Down = false;
        Assert.Equal(19, (await WaitForStoredAsync(store, 19)).Count);
        // Only once the store takes writes again is the hit it refuses dropped.
        await WaitForDropAsync(metrics);
        Assert.Equal(1, metrics.DroppedByReason.GetValueOrDefault(DropReasons.StoreRefused));
        Assert.Equal(0, logs.Count(207));
    }

    [Fact]
    public async Task StoreGoesDownWhileTheBatchIsSplit_TheRefusedHitIsKeptUntilTheStoreReturns()
    {
        // The store takes the first half of the batch, then goes down: the refused hit in the second half fails like
        // everything else, and the re-write of a stored hit fails too, so it must not be taken for a refused one.
        var store = new RefusingHitStore { DownAfterAccepted = 1 };
        var logs = new LogCapture();
        await using var host = await StartAsync(store, logs);

        await SendAsync(host, Enumerable.Range(0, 20).Select(i => i == 15 ? "poison-15" : $"p{i}"));
        Assert.Equal(10, (await WaitForStoredAsync(store, 10)).Count);
        await WaitForAttemptsAsync(store, store.Attempts + 4);
        var metrics = host.Services.GetRequiredService<BeaconMetrics>();

        Assert.Equal(0, metrics.DroppedByReason.GetValueOrDefault(DropReasons.StoreRefused));
        store.Down = false;
        Assert.Equal(19, (await WaitForStoredAsync(store, 19)).Count);
        await WaitForDropAsync(metrics);
        Assert.Equal(1, metrics.DroppedByReason.GetValueOrDefault(DropReasons.StoreRefused));
    }

    private static Task<BeaconTestHost> StartAsync(RefusingHitStore store, LogCapture logs) =>
        BeaconTestHost.StartAsync(
            o =>
            {
                o.MaxBatchSize = 20;
                o.FlushInterval = TimeSpan.FromSeconds(30); // full batches only
            },
            store: b => b.UseStore(_ => store),
            services: s =>
            {
                s.AddSingleton<ILoggerProvider>(logs);
                s.Configure<LoggerFilterOptions>(o => o.MinLevel = LogLevel.Debug);
            });

    private static async Task SendAsync(BeaconTestHost host, IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            using var response = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://example.com/" + path), Ct);
            Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        }
    }

    private static async Task<List<Hit>> WaitForStoredAsync(RefusingHitStore store, int count)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var hits = await BeaconTestHost.ReadAllAsync(store.Inner);
            if (hits.Count >= count || clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                return hits;
            }

            await Task.Delay(25, Ct);
        }
    }

    private static async Task WaitForAttemptsAsync(RefusingHitStore store, int attempts)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (store.Attempts < attempts && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(25, Ct);
        }

        Assert.True(store.Attempts >= attempts, $"only {store.Attempts} write attempts");
    }

    private static async Task WaitForDropAsync(BeaconMetrics metrics)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (metrics.DroppedByReason.GetValueOrDefault(DropReasons.StoreRefused) == 0 && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(25, Ct);
        }
    }

    /// <summary>
    /// A store that refuses every batch holding a hit whose path contains <c>poison</c> (as PostgreSQL refused a NUL),
    /// and that is down (refuses everything) while <see cref="Down"/> is set.
    /// </summary>
    private sealed class RefusingHitStore : IHitStore
    {
        private int _attempts;
        private int _accepted;

        public InMemoryHitStore Inner { get; } = new();

        public volatile bool Down;

        /// <summary>Goes down after this many accepted writes (0: never).</summary>
        public int DownAfterAccepted { get; init; }

        public int Attempts => Volatile.Read(ref _attempts);

        public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _attempts);
            if (Down)
            {
                throw new InvalidOperationException("The store is down.");
            }

            if (hits.Any(h => h.Path.Contains("poison", StringComparison.Ordinal)))
            {
                throw new InvalidOperationException("A value this store cannot hold.");
            }

            if (Interlocked.Increment(ref _accepted) == DownAfterAccepted)
            {
                Down = true;
            }

            return Inner.AppendAsync(hits, cancellationToken);
        }

        public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken) => Inner.QueryAsync(query, cancellationToken);

        public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => Inner.ReadAsync(range, cancellationToken);

        public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => Inner.PurgeAsync(range, cancellationToken);
    }
}

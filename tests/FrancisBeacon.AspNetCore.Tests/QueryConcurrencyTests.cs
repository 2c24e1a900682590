using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// <see cref="BeaconQueryConcurrencyOptions"/>: at most <c>Limit</c> query API requests run at once, the rest wait in
/// order up to <c>QueueLimit</c> and <c>QueueTimeout</c>, then get a 503 with <c>Retry-After</c>; exports take a slot
/// per chunk of rows.
/// </summary>
public sealed class QueryConcurrencyTests
{
    private const string QueryPath = "/beacon/api/v2/query";
    private const string QueryBody = """{"site_id":"localhost","metrics":["visitors"],"date_range":"7d"}""";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<BeaconTestHost> HostAsync(BlockingQueryHitStore store, int limit, int queueLimit, TimeSpan? queueTimeout = null, Action<IServiceCollection>? services = null) =>
        BeaconTestHost.StartAsync(
            o =>
            {
                o.QueryConcurrency.Limit = limit;
                o.QueryConcurrency.QueueLimit = queueLimit;
                o.QueryConcurrency.QueueTimeout = queueTimeout ?? TimeSpan.FromMinutes(1);
            },
            store: b => b.UseStore(_ => store),
            services: services);

    /// <summary>Bounded, so a request that should have been refused but reached the blocked store fails the test.</summary>
    private static readonly TimeSpan AnswerWithin = TimeSpan.FromSeconds(20);

    private static async Task<HttpResponseMessage> QueryAsync(BeaconTestHost host)
    {
        using var content = new StringContent(QueryBody);
        return await host.Client.PostAsync(new Uri(QueryPath, UriKind.Relative), content, Ct).WaitAsync(AnswerWithin, Ct);
    }

    private static Task<HttpResponseMessage> GetAsync(BeaconTestHost host, string path) =>
        host.Client.GetAsync(new Uri(path, UriKind.Relative), Ct).WaitAsync(AnswerWithin, Ct);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 1_000 && !condition(); i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(condition(), "The condition did not come true within 10 s.");
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(QueryConcurrencyGate.RetryAfterSeconds), response.Headers.RetryAfter?.Delta);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("store", json.RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public async Task SlotTaken_NoQueue_RefusedWith503AndCounted_WithoutReachingTheStore()
    {
        var store = new BlockingQueryHitStore();
        await using var host = await HostAsync(store, limit: 1, queueLimit: 0);
        using var release = new ReleaseOnDispose(store); // disposed before the host
        using var listener = RejectedReasons(host, out var rejected);

        var first = QueryAsync(host);
        await WaitUntilAsync(() => store.Entered == 1);
        using (var second = await GetAsync(host, "/beacon/api/stats?site_id=localhost&period=day"))
        {
            await AssertRefusedAsync(second);
        }

        using (var third = await QueryAsync(host))
        {
            await AssertRefusedAsync(third);
        }

        Assert.Equal(1, store.Entered);
        store.Release();
        using (var answered = await first)
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }

        // The slot is free again once the first request is answered.
        using (var after = await QueryAsync(host))
        {
            Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        }

        lock (rejected)
        {
            Assert.Equal(["queue_full", "queue_full"], rejected);
        }
    }

    [Fact]
    public async Task SlotTaken_WithQueue_WaitsThenRuns_NeverTwoInTheStoreAtOnce()
    {
        var store = new BlockingQueryHitStore();
        await using var host = await HostAsync(store, limit: 1, queueLimit: 10);
        using var release = new ReleaseOnDispose(store); // disposed before the host
        var gate = host.Services.GetRequiredService<QueryConcurrencyGate>();

        var first = QueryAsync(host);
        await WaitUntilAsync(() => store.Entered == 1);
        var waiting = Enumerable.Range(0, 3).Select(_ => QueryAsync(host)).ToArray();
        await WaitUntilAsync(() => gate.Queued == 3);
        Assert.Equal(1, store.Entered);
        Assert.All(waiting, t => Assert.False(t.IsCompleted));

        store.Release();
        foreach (var response in await Task.WhenAll([first, .. waiting]))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        Assert.Equal(4, store.Entered);
        Assert.Equal(1, store.MostAtOnce);
    }

    [Fact]
    public async Task WaitedPastQueueTimeout_RefusedWith503()
    {
        var store = new BlockingQueryHitStore();
        await using var host = await HostAsync(store, limit: 1, queueLimit: 10, queueTimeout: TimeSpan.FromMilliseconds(200));
        using var release = new ReleaseOnDispose(store); // disposed before the host
        using var listener = RejectedReasons(host, out var rejected);

        var first = QueryAsync(host);
        await WaitUntilAsync(() => store.Entered == 1);
        using (var second = await QueryAsync(host))
        {
            await AssertRefusedAsync(second);
        }

        store.Release();
        using (var answered = await first)
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }

        Assert.Equal(1, store.Entered);
        lock (rejected)
        {
            Assert.Equal(["queue_timeout"], rejected);
        }
    }

    [Fact]
    public async Task LimitZero_NoBound_QueriesRunTogether()
    {
        var store = new BlockingQueryHitStore();
        await using var host = await HostAsync(store, limit: 0, queueLimit: 0);
        using var release = new ReleaseOnDispose(store); // disposed before the host

        var queries = Enumerable.Range(0, 3).Select(_ => QueryAsync(host)).ToArray();
        await WaitUntilAsync(() => store.Entered == 3);
        store.Release();
        foreach (var response in await Task.WhenAll(queries))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }

        Assert.Equal(3, store.MostAtOnce);
    }

    [Theory]
    [InlineData("/beacon/api/stats?site_id=localhost&period=day", true)]
    [InlineData("/beacon/api/realtime?site_id=localhost", true)]
    [InlineData("/beacon/api/export?site_id=localhost&period=day", true)]
    [InlineData("/beacon/api/sites", false)]
    public async Task SlotHeld_GatedEndpointsRefused_SitesStillAnswered(string path, bool gated)
    {
        var store = new BlockingQueryHitStore();
        store.Release();
        await using var host = await HostAsync(store, limit: 1, queueLimit: 0);
        var gate = host.Services.GetRequiredService<QueryConcurrencyGate>();

        var (lease, refused) = await gate.EnterAsync(Ct);
        Assert.Null(refused);
        using (lease)
        {
            using var response = await GetAsync(host, path);
            if (gated)
            {
                await AssertRefusedAsync(response);
            }
            else
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        using var afterwards = await GetAsync(host, path);
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }

    /// <summary>
    /// An export reads its rows a chunk at a time, each under a slot taken in turn with the queries: a query sent
    /// while the first chunk is read waits for that chunk only, not for the whole export, and runs before the next.
    /// </summary>
    [Fact]
    public async Task Export_TakesTurnsWithQueries_ChunkByChunk()
    {
        var store = new ExportProbeStore(3 * ExportEndpoint.ChunkRows);
        await using var host = await BeaconTestHost.StartAsync(
            o =>
            {
                o.QueryConcurrency.Limit = 1;
                o.QueryConcurrency.QueueLimit = 10;
                o.QueryConcurrency.QueueTimeout = TimeSpan.FromMinutes(1);
            },
            store: b => b.UseStore(_ => store));
        Task<HttpResponseMessage>? query = null;
        bool? queryRanInsideTheChunk = null, queryRanBeforeTheNextChunk = null;
        store.OnRow = async row =>
        {
            if (row == 100)
            {
                query = QueryAsync(host);
                await Task.Delay(300, Ct);
                queryRanInsideTheChunk = store.QueriesEntered > 0;
            }
            else if (row == ExportEndpoint.ChunkRows)
            {
                queryRanBeforeTheNextChunk = store.QueriesEntered > 0;
            }
        };

        using var export = await GetAsync(host, "/beacon/api/export?site_id=localhost&period=all");

        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        var lines = (await export.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3 * ExportEndpoint.ChunkRows, lines.Length);
        Assert.False(queryRanInsideTheChunk, "a query ran while the export held the only slot");
        Assert.True(queryRanBeforeTheNextChunk, "the export kept its slot past its chunk");
        using var answered = await query!;
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    /// <summary>
    /// An export holds a database connection from its first row to its last: past <c>QueryConcurrency.Exports</c> at
    /// once, one more is a 503 with <c>Retry-After</c> before anything is read, and the place is free again once the
    /// export ends. (An outside-style probe held every PostgreSQL connection with ~100 slowly read exports.)
    /// </summary>
    [Fact]
    public async Task Exports_PastTheirBound_Answer503UntilOneEnds()
    {
        var store = new ExportProbeStore(3);
        await using var host = await BeaconTestHost.StartAsync(
            o =>
            {
                o.QueryConcurrency.Exports = 1;
                o.QueryConcurrency.Limit = 0; // the query slots are another bound (Export_TakesTurnsWithQueries_ChunkByChunk)
            },
            store: b => b.UseStore(_ => store));
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.OnRow = async row =>
        {
            if (row == 0 && reading.TrySetResult())
            {
                await release.Task;
            }
        };

        var first = GetAsync(host, "/beacon/api/export?site_id=localhost&period=all");
        await reading.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        using (var second = await GetAsync(host, "/beacon/api/export?site_id=localhost&period=all"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(QueryConcurrencyGate.RetryAfterSeconds), second.Headers.RetryAfter?.Delta);
        }

        using (var query = await QueryAsync(host))
        {
            Assert.Equal(HttpStatusCode.OK, query.StatusCode); // queries are not exports
        }

        release.SetResult();
        using (var answered = await first)
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
            Assert.Equal(3, (await answered.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }

        using var third = await GetAsync(host, "/beacon/api/export?site_id=localhost&period=all");
        Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    /// <summary>
    /// The slot is taken after the body is read: a client that sends its query slowly (or never finishes it) holds
    /// nothing, so one slow sender cannot lock everyone out of a one-slot server.
    /// </summary>
    [Fact]
    public async Task SlowBody_HoldsNoSlot()
    {
        var store = new BlockingQueryHitStore();
        store.Release();
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = await HostAsync(store, limit: 1, queueLimit: 0, services: s => s.AddSingleton<IStartupFilter>(new SignalOnSlowRequest(arrived)));
        var gate = host.Services.GetRequiredService<QueryConcurrencyGate>();
        var pipe = new System.IO.Pipelines.Pipe();
        using var stalled = new CancellationTokenSource();
        using var slowContent = new StreamContent(pipe.Reader.AsStream());
        slowContent.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var slowRequest = new HttpRequestMessage(HttpMethod.Post, new Uri(QueryPath, UriKind.Relative)) { Content = slowContent };
        slowRequest.Headers.Add(SignalOnSlowRequest.Header, "1");
        var slow = host.Client.SendAsync(slowRequest, stalled.Token);
        await pipe.Writer.WriteAsync("{\"site_id\":\"localhost\","u8.ToArray(), Ct); // and then nothing more

        // The slow request is in the endpoint's pipeline (a slot taken before the body is read would be taken by now).
        await arrived.Task.WaitAsync(AnswerWithin, Ct);
        await Task.Delay(200, Ct);
        Assert.False(slow.IsCompleted);
        using (var other = await QueryAsync(host))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        Assert.Equal(0, gate.Queued);
        await stalled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow);
    }

    [Fact]
    public void Default_IsHalfTheProcessors_AtLeastOne()
    {
        Assert.Equal(Math.Max(1, Environment.ProcessorCount / 2), new BeaconOptions().QueryConcurrency.Limit);
        Assert.Equal(100, new BeaconOptions().QueryConcurrency.QueueLimit);
        Assert.Equal(TimeSpan.FromSeconds(10), new BeaconOptions().QueryConcurrency.QueueTimeout);
        Assert.Equal(4, new BeaconOptions().QueryConcurrency.Exports);
    }

    [Theory]
    [InlineData(-1, 100, 1000, "QueryConcurrency.Limit")]
    [InlineData(1025, 100, 1000, "QueryConcurrency.Limit")]
    [InlineData(1, -1, 1000, "QueryConcurrency.QueueLimit")]
    [InlineData(1, 100_001, 1000, "QueryConcurrency.QueueLimit")]
    [InlineData(1, 100, 0, "QueryConcurrency.QueueTimeout")]
    [InlineData(1, 100, 600_001, "QueryConcurrency.QueueTimeout")]
    [InlineData(1, 100, 1000, "QueryConcurrency.Exports", -1)]
    [InlineData(1, 100, 1000, "QueryConcurrency.Exports", 1025)]
    public void Validation_RefusesOutOfRange(int limit, int queueLimit, int timeoutMilliseconds, string named, int exports = 4)
    {
        var options = new BeaconOptions();
        options.QueryConcurrency.Exports = exports;
        options.QueryConcurrency.Limit = limit;
        options.QueryConcurrency.QueueLimit = queueLimit;
        options.QueryConcurrency.QueueTimeout = TimeSpan.FromMilliseconds(timeoutMilliseconds);

        var result = new BeaconOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(named, result.FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>The reasons of <c>beacon.query.rejected</c> measured on this host's meter.</summary>
    private static MeterListener RejectedReasons(BeaconTestHost host, out List<string> rejected)
    {
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var reasons = new List<string>();
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "FrancisBeacon" && instrument.Meter.Scope == factory && instrument.Name == BeaconQueryMetrics.RejectedInstrumentName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "reason")
                {
                    lock (reasons)
                    {
                        reasons.Add((string)tag.Value!);
                    }
                }
            }
        });
        listener.Start();
        rejected = reasons;
        return listener;
    }

    /// <summary>Signals when a request carrying <see cref="Header"/> has reached the app's middleware.</summary>
    private sealed class SignalOnSlowRequest(TaskCompletionSource arrived) : IStartupFilter
    {
        public const string Header = "X-Slow-Sender";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers.ContainsKey(Header))
                {
                    arrived.TrySetResult();
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }

    /// <summary>A store whose export yields <c>rows</c> made-up hits, awaiting <see cref="OnRow"/> before each; queries are counted.</summary>
    private sealed class ExportProbeStore(int rows) : IHitStore
    {
        private readonly InMemoryHitStore _inner = new();
        private int _queries;

        public Func<int, Task>? OnRow { get; set; }

        public int QueriesEntered => Volatile.Read(ref _queries);

        public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) => _inner.AppendAsync(hits, cancellationToken);

        public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _queries);
            return _inner.QueryAsync(query, cancellationToken);
        }

        public async IAsyncEnumerable<Hit> ReadAsync(HitRange range, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (var i = 0; i < rows; i++)
            {
                if (OnRow is { } onRow)
                {
                    await onRow(i);
                }

                yield return new Hit { SiteId = range.SiteId ?? "localhost", Path = "/p" + i, Timestamp = DateTimeOffset.UnixEpoch.AddSeconds(i) };
            }
        }

        public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => _inner.PurgeAsync(range, cancellationToken);
    }

    /// <summary>Releases the store's queries when a test ends, passed or failed, so the host can stop.</summary>
    private sealed class ReleaseOnDispose(BlockingQueryHitStore store) : IDisposable
    {
        public void Dispose() => store.Release();
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Threading.Channels;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FrancisBeacon.Tests.Storage;

/// <summary>The rollup worker runs its passes on a thread of its own at a lowered OS priority (docs/performance.md, round 9).</summary>
public sealed class HitStoreRollupWorkerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Pass_RunsOnTheWorkersThread_AtTheConfiguredNice()
    {
        var store = new RecordingStore();
        var outside = ThreadNice.ReadCurrentThread();
        using var worker = Worker(store, nice: 7);

        await worker.StartAsync(TestContext.Current.CancellationToken);
        var pass = await store.Passes.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Wait, TestContext.Current.CancellationToken);
        await worker.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HitStoreRollupWorker.ThreadName, pass.ThreadName);
        Assert.Equal(["localhost"], pass.Sites);
        if (OperatingSystem.IsLinux())
        {
            // Raising one's own nice value needs no privilege; the caller's thread keeps its own.
            Assert.Equal(Math.Max(7, outside ?? 0), pass.Nice);
            Assert.Equal(outside, ThreadNice.ReadCurrentThread());
        }
    }

    [Fact]
    public async Task NiceZero_LeavesThePriorityAlone()
    {
        var store = new RecordingStore();
        var before = ThreadNice.ReadCurrentThread();
        using var worker = Worker(store, nice: 0);

        await worker.StartAsync(TestContext.Current.CancellationToken);
        var pass = await store.Passes.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Wait, TestContext.Current.CancellationToken);
        await worker.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HitStoreRollupWorker.ThreadName, pass.ThreadName);
        if (OperatingSystem.IsLinux() && before == 0)
        {
            // The worker's thread keeps the nice value it inherits from the (unlowered) thread that started it.
            Assert.Equal(0, pass.Nice);
        }
    }

    [Fact]
    public async Task Passes_RepeatEveryInterval_AndStopEndsTheLoop()
    {
        var store = new RecordingStore();
        var time = new CountingTime();
        using var worker = Worker(store, nice: 10, time);
        var ct = TestContext.Current.CancellationToken;

        await worker.StartAsync(ct);
        await store.Passes.Reader.ReadAsync(ct).AsTask().WaitAsync(Wait, ct);

        // No second pass while the (fake) clock stands still, then one per interval.
        await Task.Delay(200, ct);
        Assert.Equal(1, store.Calls);
        await NextPassAsync(store, time, ct);
        Assert.Equal(2, store.Calls);
        await NextPassAsync(store, time, ct);
        Assert.Equal(3, store.Calls);

        await worker.StopAsync(ct).WaitAsync(Wait, ct);
        Assert.True(worker.ExecuteTask!.IsCompletedSuccessfully);
        var calls = store.Calls;
        time.Advance(HitStoreRollupWorker.Interval * 3);
        await Task.Delay(50, ct);
        Assert.Equal(calls, store.Calls);
    }

    [Fact]
    public async Task AsynchronousPass_AndAFailedPass_KeepTheLoopGoing()
    {
        // A pass that continues on the thread pool (as Npgsql's do) and one that throws: the worker's thread waits for
        // the first and logs the second, and the next pass comes at the interval.
        var store = new RecordingStore { Yield = true, FailOnCall = 1 };
        var time = new CountingTime();
        using var worker = Worker(store, nice: 10, time);
        var ct = TestContext.Current.CancellationToken;

        await worker.StartAsync(ct);
        var pass = await NextPassAsync(store, time, ct);
        await worker.StopAsync(ct).WaitAsync(Wait, ct);

        Assert.Equal(2, store.Calls);
        Assert.Equal(HitStoreRollupWorker.ThreadName, pass.ThreadName);
        Assert.True(worker.ExecuteTask!.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task FailedPassesInARow_WarnedOnce_AndTheRecoveryLoggedOnce()
    {
        // A store that is down for a while (every pass fails, every Interval): one warning for the episode, not one with
        // a stack trace per pass (a 30 s PostgreSQL outage gave seven).
        var store = new RecordingStore { FailThroughCall = 4 };
        var time = new CountingTime();
        var logs = new ListLogger();
        using var worker = Worker(store, nice: 0, time, logs);
        var ct = TestContext.Current.CancellationToken;

        await worker.StartAsync(ct);
        await NextPassAsync(store, time, ct); // the fifth pass, the first that succeeds
        await worker.StopAsync(ct).WaitAsync(Wait, ct);

        Assert.Equal(5, store.Calls);
        Assert.Equal(1, logs.Count(111, LogLevel.Warning));
        Assert.Equal(3, logs.Count(113, LogLevel.Debug));
        Assert.Equal(1, logs.Count(114, LogLevel.Information));
    }

    [Fact]
    public async Task FailedPasses_ANewKindOfError_IsWarnedAgain()
    {
        // Session 20's change warned only for the first failed pass of a run: a pass that then failed for another reason
        // (an outage followed by a bug, a full disk) showed only at Debug level. Same kind: the counts and durations in a
        // message differ, the error does not.
        var store = new RecordingStore
        {
            Fail = call => call switch
            {
                1 or 2 => new InvalidOperationException("pass failed"),
                3 => new TimeoutException("The statement ran longer than 5012 ms on 'site-a'."),
                4 => new TimeoutException("The statement ran longer than 5130 ms on 'site-b'."),
                5 => new InvalidOperationException("pass failed"), // seen in this run: Debug
                _ => null,
            },
        };
        var time = new CountingTime();
        var logs = new ListLogger();
        using var worker = Worker(store, nice: 0, time, logs);
        var ct = TestContext.Current.CancellationToken;

        await worker.StartAsync(ct);
        await NextPassAsync(store, time, ct); // the sixth pass, the first that succeeds
        await worker.StopAsync(ct).WaitAsync(Wait, ct);

        Assert.Equal(1, logs.Count(111, LogLevel.Warning));
        var changed = Assert.Single(logs.Entries(115));
        Assert.Equal(LogLevel.Warning, changed.Level);
        Assert.Equal("TimeoutException", changed.Values["ErrorType"]);
        Assert.Equal(3, changed.Values["Failures"]);
        Assert.Equal(3, logs.Count(113, LogLevel.Debug));
        Assert.Empty(logs.Entries(116));
        Assert.Equal(5, Assert.Single(logs.Entries(114)).Values["Failures"]);
    }

    [Fact]
    public async Task FailedPasses_TheSameErrorForHours_IsWarnedOnceAnHour()
    {
        // One pass every 20 minutes of the fake clock, all failing the same way: a warning at the first, at the fourth
        // (an hour later, counting the three since) and at the seventh, Debug between them.
        var store = new RecordingStore { FailThroughCall = 7 };
        var time = new CountingTime();
        var logs = new ListLogger();
        using var worker = Worker(store, nice: 0, time, logs);
        var ct = TestContext.Current.CancellationToken;

        await worker.StartAsync(ct);
        await NextPassAsync(store, time, ct, step: TimeSpan.FromMinutes(20)); // the eighth pass succeeds
        await worker.StopAsync(ct).WaitAsync(Wait, ct);

        Assert.Equal(8, store.Calls);
        Assert.Equal(1, logs.Count(111, LogLevel.Warning));
        var again = logs.Entries(116);
        Assert.Equal(2, again.Count);
        Assert.All(again, e => Assert.Equal(LogLevel.Warning, e.Level));
        Assert.Equal([3, 3], again.Select(e => e.Values["Count"]));
        Assert.Equal([4, 7], again.Select(e => e.Values["Failures"]));
        Assert.Equal(4, logs.Count(113, LogLevel.Debug));
        Assert.Empty(logs.Entries(115));
        Assert.Equal(1, logs.Count(114, LogLevel.Information));
    }

    [Fact]
    public void ErrorShape_BlanksNumbersAndQuotedText_AndKeepsTypesAndSqlState()
    {
        static string Shape(Exception ex) => RollupPassFailures.Shape(ex);

        Assert.Equal(Shape(new TimeoutException("ran 5012 ms on 'a.example'")), Shape(new TimeoutException("ran 77 ms on 'b.example'")));
        Assert.NotEqual(Shape(new TimeoutException("ran 5012 ms")), Shape(new InvalidOperationException("ran 5012 ms")));
        Assert.NotEqual(Shape(new InvalidOperationException("disk full")), Shape(new InvalidOperationException("no such table")));
        Assert.NotEqual(
            Shape(new InvalidOperationException("failed", new IOException("x"))),
            Shape(new InvalidOperationException("failed", new TimeoutException("x"))));
        Assert.NotEqual(Shape(new StateDbException("57P01")), Shape(new StateDbException("53300")));
        Assert.DoesNotContain("a.example", Shape(new TimeoutException("on 'a.example' and \"b.example\"")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SiteBeingPurged_IsLeftOutOfThePasses_AndTakenAgainAfter()
    {
        // A purge marks the days it deletes from chunk by chunk: a pass meanwhile rebuilds days still being emptied.
        var store = new RecordingStore();
        var time = new CountingTime();
        var purges = new HitPurgeRegistry();
        using var worker = Worker(store, nice: 0, time, purges: purges, sites: ["a.example", "b.example"]);
        var ct = TestContext.Current.CancellationToken;
        var purging = purges.Enter("a.example");

        await worker.StartAsync(ct);
        var during = await store.Passes.Reader.ReadAsync(ct).AsTask().WaitAsync(Wait, ct);
        purging.Dispose(); // the purge ends, failed or not
        var after = await NextPassAsync(store, time, ct);
        await worker.StopAsync(ct).WaitAsync(Wait, ct);

        Assert.Equal(["b.example", "localhost"], during.Sites.Order(StringComparer.Ordinal));
        Assert.Equal(["a.example", "b.example", "localhost"], after.Sites.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task EverySiteBeingPurged_NoPassRuns_UntilThePurgeEnds()
    {
        // Retention purges every site's hits: the worker's loop goes round without calling the store.
        var store = new RecordingStore();
        var time = new CountingTime();
        var purges = new HitPurgeRegistry();
        using var worker = Worker(store, nice: 0, time, purges: purges, sites: ["a.example"]);
        var ct = TestContext.Current.CancellationToken;
        var purging = purges.Enter(null);

        await worker.StartAsync(ct);
        await RoundsAsync(time, 3, ct);
        var callsDuring = store.Calls;
        purging.Dispose();
        var after = await NextPassAsync(store, time, ct, rounds: time.Timers);
        await worker.StopAsync(ct).WaitAsync(Wait, ct);

        Assert.Equal(0, callsDuring);
        Assert.Equal(["a.example", "localhost"], after.Sites.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task EverySiteBeingPurged_AfterAFailedPass_IsNoRecovery()
    {
        // The rounds without a pass must not log event 114 ("succeeded again") and end the run of failures.
        var store = new RecordingStore { FailOnCall = 1 };
        var time = new CountingTime();
        var logs = new ListLogger();
        var purges = new HitPurgeRegistry();
        using var worker = Worker(store, nice: 0, time, logs, purges);
        var ct = TestContext.Current.CancellationToken;

        await worker.StartAsync(ct);
        await RoundsAsync(time, 1, ct); // the first pass failed; the worker waits for the interval
        var purging = purges.Enter(null);
        await RoundsAsync(time, 3, ct);
        var recoveredWhilePurging = logs.Count(114, LogLevel.Information);
        purging.Dispose();
        await NextPassAsync(store, time, ct, rounds: time.Timers);
        await worker.StopAsync(ct).WaitAsync(Wait, ct);

        Assert.Equal(0, recoveredWhilePurging);
        Assert.Equal(2, store.Calls);
        Assert.Equal(1, Assert.Single(logs.Entries(114)).Values["Failures"]);
    }

    [Fact]
    public void PurgeRegistry_CountsNestedPurges_AndLeavesOnce()
    {
        var purges = new HitPurgeRegistry();

        var first = purges.Enter("a.example");
        var second = purges.Enter("a.example");
        first.Dispose();
        first.Dispose(); // twice: leaves once
        var stillPurging = purges.IsPurging("a.example");
        second.Dispose();

        Assert.True(stillPurging);
        Assert.False(purges.IsPurging("a.example"));
        Assert.False(purges.Any);
        using (purges.Enter(null))
        {
            Assert.True(purges.IsPurging("any.example"));
        }

        Assert.False(purges.IsPurging("any.example"));
    }

    [Fact]
    public async Task StoreWithoutRollups_OrNoSite_StartsNoThread()
    {
        var options = new BeaconOptions { RollupWorkerNice = 10 };
        IHitStore noSiteStore = new RecordingStore();
        using var noSite = new HitStoreRollupWorker(noSiteStore, Options.Create(options), new HitPurgeRegistry(), TimeProvider.System, NullLogger<HitStoreRollupWorker>.Instance);
        using var noRollups = Worker(new InMemoryHitStore(), nice: 10);

        await noSite.StartAsync(TestContext.Current.CancellationToken);
        await noRollups.StartAsync(TestContext.Current.CancellationToken);

        // Both loops end by themselves, without a stop.
        await noSite.ExecuteTask!.WaitAsync(Wait, TestContext.Current.CancellationToken);
        await noRollups.ExecuteTask!.WaitAsync(Wait, TestContext.Current.CancellationToken);
        Assert.Equal(0, ((RecordingStore)noSiteStore).Calls);
    }

    [Fact]
    public void Default_RunsThePassesAtTheAppsPriority()
    {
        // Off by default: docs/performance.md, round 9 (a starved pass holding SQLite's write lock lost hits once).
        Assert.Equal(0, new BeaconOptions().RollupWorkerNice);
    }

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, true)]
    [InlineData(19, true)]
    [InlineData(20, false)]
    public void Validator_ChecksTheNiceRange(int nice, bool valid)
    {
        var result = new BeaconOptionsValidator().Validate(null, new BeaconOptions { RollupWorkerNice = nice });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("RollupWorkerNice", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    private static HitStoreRollupWorker Worker(
        IHitStore store, int nice, TimeProvider? time = null, ILogger<HitStoreRollupWorker>? logger = null, HitPurgeRegistry? purges = null, string[]? sites = null)
    {
        var options = new BeaconOptions { DefaultSiteId = "localhost", RollupWorkerNice = nice };
        foreach (var site in sites ?? [])
        {
            options.Sites.Add(new BeaconSiteOptions { Id = site });
        }

        return new HitStoreRollupWorker(store, Options.Create(options), purges ?? new HitPurgeRegistry(), time ?? TimeProvider.System, logger ?? NullLogger<HitStoreRollupWorker>.Instance);
    }

    // Advances the fake clock by an interval at a time until the next pass reports (the worker's thread may not have
    // registered its delay yet when the clock first moves).
    // rounds: the loop's rounds so far when some went without a store call (every site purged); default one per call.
    private static async Task<Pass> NextPassAsync(RecordingStore store, CountingTime time, CancellationToken cancellationToken, TimeSpan? step = null, int? rounds = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var skipped = (rounds ?? store.Calls) - store.Calls;
        while (true)
        {
            if (store.Passes.Reader.TryRead(out var pass))
            {
                return pass;
            }

            Assert.True(clock.Elapsed < Wait, "no pass within the time limit");
            if (time.Timers == store.Calls + skipped)
            {
                // The worker waits for the interval after its latest pass: one interval later comes the next.
                time.Advance(step ?? HitStoreRollupWorker.Interval);
            }

            await Task.Delay(10, cancellationToken);
        }
    }

    // Lets the worker's loop go round `rounds` times (each round ends in the interval's delay: one timer each).
    private static async Task RoundsAsync(CountingTime time, int rounds, CancellationToken cancellationToken)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (time.Timers < rounds)
        {
            Assert.True(clock.Elapsed < Wait, "the loop did not go round within the time limit");
            if (time.Timers > 0 && time.Timers == time.Advanced + 1)
            {
                time.Advance(HitStoreRollupWorker.Interval);
                time.Advanced++;
            }

            await Task.Delay(10, cancellationToken);
        }
    }

    private sealed class CountingTime() : FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero))
    {
        private int _timers;

        public int Timers => Volatile.Read(ref _timers);

        /// <summary>Intervals advanced by <see cref="RoundsAsync"/>.</summary>
        public int Advanced { get; set; }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            Interlocked.Increment(ref _timers);
            return timer;
        }
    }

    private sealed class ListLogger : ILogger<HitStoreRollupWorker>
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<LogEntry> _entries = new();

        public int Count(int eventId, LogLevel level) => _entries.Count(e => e.EventId == eventId && e.Level == level);

        public List<LogEntry> Entries(int eventId) => [.. _entries.Where(e => e.EventId == eventId)];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _entries.Enqueue(new LogEntry(
                eventId.Id,
                logLevel,
                (state as IEnumerable<KeyValuePair<string, object?>> ?? []).ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)));
    }

    private sealed record LogEntry(int EventId, LogLevel Level, Dictionary<string, object?> Values);

    private sealed class StateDbException(string sqlState) : System.Data.Common.DbException("server said no")
    {
        public override string SqlState => sqlState;
    }

    private sealed record Pass(string? ThreadName, int? Nice, string[] Sites);

    private sealed class RecordingStore : IHitStore, IHitStoreRollups
    {
        private int _calls;

        public Channel<Pass> Passes { get; } = Channel.CreateUnbounded<Pass>();

        public int Calls => Volatile.Read(ref _calls);

        public bool Yield { get; init; }

        public int FailOnCall { get; init; }

        /// <summary>Every call up to this one fails (a store that is down, then back).</summary>
        public int FailThroughCall { get; init; }

        /// <summary>The error a call fails with (by call number, from 1), or <see langword="null"/> when it succeeds.</summary>
        public Func<int, Exception?>? Fail { get; init; }

        public async ValueTask<int> RefreshRollupsAsync(IReadOnlyDictionary<string, TimeZoneInfo> siteTimeZones, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _calls);
            var pass = new Pass(Thread.CurrentThread.Name, ThreadNice.ReadCurrentThread(), [.. siteTimeZones.Keys]);
            if (Yield)
            {
                await Task.Yield();
            }

            if (call == FailOnCall || call <= FailThroughCall)
            {
                throw new InvalidOperationException("pass failed");
            }

            if (Fail?.Invoke(call) is { } error)
            {
                throw error;
            }

            Passes.Writer.TryWrite(pass);
            return 1;
        }

        public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();

        public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => ValueTask.FromResult(0L);
    }
}

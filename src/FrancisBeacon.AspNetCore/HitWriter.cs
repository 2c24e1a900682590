using System.Diagnostics;
using System.Numerics;
using FrancisBeacon.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// Drains the <see cref="HitQueue"/> into the store in batches: a batch is written when it reaches
/// <see cref="BeaconOptions.MaxBatchSize"/> or when its oldest hit has waited <see cref="BeaconOptions.FlushInterval"/>;
/// a full batch with another full batch waiting behind it takes what waits, up to <see cref="BeaconOptions.MaxBacklogBatchSize"/>.
/// A failed write is retried with back-off while the queue holds further hits. The queue is drained completely
/// after the web server has stopped (<see cref="StoppedAsync"/>), so no accepted hit is lost on a graceful stop.
/// </summary>
internal sealed partial class HitWriter : IHostedLifecycleService, IDisposable
{
    // Short enough that a backlog starts draining within a second of the store's return: at 20 000 hits/s the default
    // 64 MiB queue holds about 3.5 s of traffic, so a longer pause after a transient failure (SQLITE_BUSY) would drop
    // hits the store could have taken (docs/storage.md, "Writing while the rollups are kept").
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(1);
    private const string StoppedFirst = "The beacon stopped before the hits accepted ahead of this call were all stored.";
    private readonly IServiceProvider _services;
    private readonly HitQueue _queue;
    private readonly HitSpool _spool;
    private readonly BeaconMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger<HitWriter> _logger;
    private readonly int _maxBatch;
    private readonly int _maxBacklogBatch;
    private readonly TimeSpan _flushInterval;
    private readonly CancellationTokenSource _abort = new();
    // Flush markers taken with the current batch (writer thread only): completed once the batch is stored.
    private readonly List<TaskCompletionSource> _flushes = [];
    private IHitStore? _store;
    private Task? _loop;
    private int _consecutiveFailures;
    private volatile bool _gaveUp;
    // The batch the loop was writing when the shutdown timed out: counted with the rest of the queue in StoppedAsync.
    private int _abandoned;
    private int _refusedLogged;

    /// <summary>How many write attempts in a row have failed (0 while the store is writable).</summary>
    public int ConsecutiveFailures => Volatile.Read(ref _consecutiveFailures);

    /// <summary>The error of the latest failed write while the store is failing; <see langword="null"/> once it is writable.</summary>
    public Exception? LastFailure { get; private set; }

    /// <summary>When the current run of failed writes began; <see langword="null"/> while the store is writable.</summary>
    public DateTimeOffset? FailingSince { get; private set; }

    public HitWriter(IServiceProvider services, HitQueue queue, HitSpool spool, BeaconMetrics metrics, TimeProvider time, IOptions<BeaconOptions> options, ILogger<HitWriter> logger)
    {
        _spool = spool;
        _services = services;
        _queue = queue;
        _metrics = metrics;
        _time = time;
        _logger = logger;
        _maxBatch = options.Value.MaxBatchSize;
        _maxBacklogBatch = Math.Max(_maxBatch, options.Value.MaxBacklogBatchSize);
        _flushInterval = options.Value.FlushInterval;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _store = _services.GetService<IHitStore>() ?? throw new InvalidOperationException(BeaconServiceChecks.MissingStore);
        // A thread of its own, not the thread pool's: a store that writes synchronously (Microsoft.Data.Sqlite does,
        // behind its async API) would otherwise hold a pool thread for the whole batch while requests wait for one
        // (docs/performance.md, round 6).
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run();
                done.TrySetResult();
            }
#pragma warning disable CA1031 // handed to whoever awaits the loop (StoppedAsync)
            catch (Exception ex)
#pragma warning restore CA1031
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "FrancisBeacon writer",
        };
        thread.Start();
        _loop = done.Task;
        return Task.CompletedTask;
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    // Keep writing while the server finishes its requests; the final drain happens in StoppedAsync.
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        _queue.Complete();
        if (_loop is null)
        {
            return;
        }

        using var registration = cancellationToken.Register(_abort.Cancel);
        try
        {
            await _loop;
        }
        catch (OperationCanceledException)
        {
        }

        var lost = _abandoned; // one log line for the whole shutdown, not one for the batch and one for the queue
        while (_queue.Reader.TryRead(out var left))
        {
            if (left.Flushed is not null)
            {
                _flushes.Add(left.Flushed);
                continue;
            }

            _queue.Release(1, left.Bytes);
            lost++;
        }

        FailFlushes();

        _spool.Dispose();
        if (lost > 0 && _spool.Enabled)
        {
            LogLeftInSpool(_logger, lost, _spool.Directory!);
        }
        else if (lost > 0)
        {
            _metrics.Dropped(DropReasons.StoreFailure, lost);
            LogDroppedAtShutdown(_logger, lost);
        }
    }

    public void Dispose() => _abort.Dispose();

    /// <summary>
    /// Completes once every hit accepted before the call is stored (written, or given up on as the writer does
    /// for a hit the store refuses), so that an erasure that follows also covers them. Completes at once when the
    /// writer was never started. Faults with a <see cref="TimeoutException"/> when that takes longer than
    /// <paramref name="timeout"/> (a store that is down: the hits stay queued) or the beacon stops first without
    /// storing them (they are spooled or dropped).
    /// </summary>
    public async Task FlushAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_loop is null)
        {
            return;
        }

        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Stopping (the queue is closed): no marker, but the loop's final drain stores everything queued; wait for it.
        var done = !_loop.IsCompleted && _queue.TryEnqueueFlush(flushed) ? flushed.Task : _loop;
        try
        {
            await done.WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex) when (!done.IsCompleted)
        {
            throw new TimeoutException(
                $"The hits accepted before this call were not all stored within {timeout.TotalSeconds:0.#} s (the store is failing or far behind; {_queue.Count} hits are queued).", ex);
        }

        if (done == _loop && _gaveUp)
        {
            throw new TimeoutException(StoppedFirst);
        }
    }

    private void Run()
    {
        var batch = new List<Hit>(_maxBatch);
        var queued = new List<QueuedHit>(_maxBatch);
        var segments = new List<SpoolSegment?>(_maxBatch);
        long batchBytes = 0;
        try
        {
            Wait(ReplayAsync());
            // Asleep until the first hit of a batch arrives, then until the batch is full or its oldest hit has waited
            // the flush interval: two wake-ups per batch at most, not one per hit.
            while (_queue.WaitForHits(1, Timeout.InfiniteTimeSpan, _abort.Token))
            {
                var deadline = _time.GetUtcNow() + _flushInterval;
                var due = false;
                while (true)
                {
                    TakeInto(batch, segments, queued, ref batchBytes, _maxBatch - batch.Count);
                    var remaining = deadline - _time.GetUtcNow();
                    if (due || _flushes.Count > 0 || batch.Count >= _maxBatch || remaining <= TimeSpan.Zero || _queue.IsCompleted)
                    {
                        break;
                    }

                    // Not woken by enough hits: the flush interval has passed; take what came and write it.
                    due = !_queue.WaitForHits(_maxBatch - batch.Count, remaining, _abort.Token);
                }

                if (batch.Count >= _maxBatch && _maxBacklogBatch > batch.Count && _queue.Unread >= _maxBatch)
                {
                    // A backlog, another full batch waiting behind this one (the store was slow, or SQLite's write lock
                    // held by a rollup pass): take what already waits, in one write transaction, instead of one
                    // MaxBatchSize batch per turn at the lock (docs/performance.md, "Round 12").
                    TakeInto(batch, segments, queued, ref batchBytes, _maxBacklogBatch - batch.Count);
                }

                if (batch.Count == 0)
                {
                    CompleteFlushes();
                    if (_queue.IsCompleted)
                    {
                        break; // completed and drained
                    }

                    continue;
                }

                if (_spool.Enabled && !_spool.SyncAlways)
                {
                    // The hits of this batch were acknowledged up to one flush interval ago: make them survive power loss.
                    _spool.Sync();
                }

                Wait(WriteWithRetryAsync(batch));
                _queue.Release(batch.Count, batchBytes);
                ReleaseSpool(segments);
                batch.Clear();
                segments.Clear();
                batchBytes = 0;
                CompleteFlushes();
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            _gaveUp = true;
            FailFlushes();
            if (batch.Count > 0)
            {
                _queue.Release(batch.Count, batchBytes);
                _abandoned = batch.Count; // logged and counted by StoppedAsync with what is still queued
            }
        }
    }

    /// <summary>Moves up to <paramref name="max"/> waiting hits from the queue into the batch.</summary>
    private void TakeInto(List<Hit> batch, List<SpoolSegment?> segments, List<QueuedHit> queued, ref long batchBytes, int max)
    {
        _queue.Take(queued, max);
        foreach (var hit in queued)
        {
            if (hit.Flushed is not null)
            {
                _flushes.Add(hit.Flushed); // completed after this batch is stored: it holds every hit queued before the marker
                continue;
            }

            batch.Add(hit.Hit);
            segments.Add(hit.Segment);
            batchBytes += hit.Bytes;
        }

        queued.Clear();
    }

    private void CompleteFlushes()
    {
        foreach (var flushed in _flushes)
        {
            flushed.TrySetResult();
        }

        _flushes.Clear();
    }

    /// <summary>The beacon stopped before the hits ahead of these markers were stored.</summary>
    private void FailFlushes()
    {
        foreach (var flushed in _flushes)
        {
            flushed.TrySetException(new TimeoutException(StoppedFirst));
        }

        _flushes.Clear();
    }

    /// <summary>
    /// Waits on the writer's own thread for a store call. A synchronous store (SQLite) has finished already; an
    /// asynchronous one (Npgsql) completes on the thread pool while this thread sleeps.
    /// </summary>
    private static void Wait(Task task) => task.GetAwaiter().GetResult();

    /// <summary>Gives the spool back the places of stored hits, one call per run of hits from the same file.</summary>
    private void ReleaseSpool(List<SpoolSegment?> segments)
    {
        SpoolSegment? current = null;
        var run = 0;
        foreach (var segment in segments)
        {
            if (!ReferenceEquals(segment, current))
            {
                if (current is not null)
                {
                    _spool.Stored(current, run);
                }

                current = segment;
                run = 0;
            }

            run++;
        }

        if (current is not null)
        {
            _spool.Stored(current, run);
        }
    }

    /// <summary>
    /// Writes the hits an earlier process left in the spool (idempotent by id), then deletes each file. A file that
    /// cannot be read is left in place and logged, and the replay goes on with the next; a replay the shutdown
    /// interrupts (the store down at start) says how far it got, and its files stay for the next start.
    /// </summary>
    private async Task ReplayAsync()
    {
        if (_spool.LeftOver.Count == 0)
        {
            return;
        }

        long total = 0;
        var files = 0;
        var done = 0;
        var batch = new List<Hit>(_maxBatch);
        try
        {
            foreach (var path in _spool.LeftOver)
            {
                try
                {
                    if (HitSpoolFormat.IsForeign(path))
                    {
                        // Another version's file (a downgrade after a crash), or not ours: never replayed, never deleted.
                        LogSpoolForeign(_logger, path);
                        done++;
                        continue;
                    }

                    foreach (var hit in HitSpoolFormat.ReadFile(path, damage => LogSpoolDamaged(path, damage)))
                    {
                        batch.Add(hit);
                        if (batch.Count == _maxBatch)
                        {
                            await WriteWithRetryAsync(batch);
                            total += batch.Count;
                            batch.Clear();
                        }
                    }
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Before session 21 this ended the writer's thread: nothing was stored until the next start.
                    LogSpoolUnreadable(_logger, ex, path, ex.GetType().Name);
                    batch.Clear(); // what was read of it stays in the file, replayed (idempotently) at the next start
                    done++;
                    continue;
                }

                if (batch.Count > 0)
                {
                    await WriteWithRetryAsync(batch);
                    total += batch.Count;
                    batch.Clear();
                }

                files++;
                done++;
                _spool.DeleteReplayed(path);
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            _metrics.Replayed(total);
            LogReplayInterrupted(_logger, total, _spool.LeftOver.Count - done, _spool.Directory!);
            throw;
        }

        _metrics.Replayed(total);
        LogReplayed(_logger, total, files, _spool.Directory!);
    }

    private void LogSpoolDamaged(string path, SpoolDamage damage)
    {
        if (damage.AtEnd)
        {
            LogSpoolTailDamaged(_logger, path, damage.Offset);
        }
        else
        {
            LogSpoolStretchDamaged(_logger, path, damage.Bytes, damage.Offset);
        }
    }

    /// <summary>
    /// Writes a batch, retrying with back-off until the store takes it. A batch the store refuses is split to find
    /// the hits it refuses for what they hold (<see cref="SetAsideRefusedAsync"/>): those alone are dropped, so one bad
    /// hit cannot stop every later write, while a store that is down (every part fails) keeps every hit.
    /// </summary>
    private async Task WriteWithRetryAsync(List<Hit> batch)
    {
        var delay = TimeSpan.FromMilliseconds(250);
        var failures = 0;
        var pending = batch;
        var evidence = new WriteEvidence();
        var progressed = false;
        string? lastError = null;
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await _store!.AppendAsync(pending, _abort.Token);
                _metrics.Written(pending.Count, Stopwatch.GetElapsedTime(started));
                Recovered(failures);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !_abort.IsCancellationRequested)
            {
                failures++;
                LastFailure = ex;
                FailingSince ??= _time.GetUtcNow();
                Interlocked.Increment(ref _consecutiveFailures);
                if (failures == 1)
                {
                    // Once per outage, not once per hit or per attempt.
                    LogStoreFailing(_logger, ex, pending.Count, _queue.Count);
                }

                // Split on the 1st, 2nd, 4th, 8th… failure (at once for a refused batch, rarely during a long outage),
                // right after a split that made progress, and when the error changes (a store back from an outage that
                // now refuses a hit of the batch).
                var error = ex.GetType().FullName + ": " + ex.Message;
                var changed = failures > 1 && !string.Equals(error, lastError, StringComparison.Ordinal);
                lastError = error;
                if (BitOperations.IsPow2(failures) || progressed || changed)
                {
                    var left = await SetAsideRefusedAsync(pending, evidence);
                    if (left.Count == 0)
                    {
                        Recovered(failures);
                        return;
                    }

                    progressed = left.Count < pending.Count;
                    pending = left;
                    if (progressed)
                    {
                        continue; // the store took part of the batch: it is up, so try the rest at once
                    }
                }

                await Task.Delay(delay, _time, _abort.Token);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private void Recovered(int failures)
    {
        Volatile.Write(ref _consecutiveFailures, 0);
        LastFailure = null;
        FailingSince = null;
        if (failures > 0)
        {
            LogStoreRecovered(_logger, failures);
        }
    }

    /// <summary>
    /// The poison-batch defence, for hits a store refuses for what they hold (a custom store's limits; the built-in
    /// stores take every hit the pipeline makes). Writes <paramref name="failed"/> (a batch the store just refused) in
    /// halves, depth first, splitting each refused part again. A single refused hit is dropped (metric
    /// <c>beacon.hits.dropped{reason=store_refused}</c>, logged) only when the store demonstrably takes writes around
    /// it: it took a part of this batch before, and it takes that part's last hit again right after the refusal
    /// (re-appending a stored id is a no-op). Without that evidence nothing is dropped: the refused hits and every
    /// part not yet tried are returned for the caller's retry with back-off. With no part taken yet, the search gives
    /// up after about twice the batch's binary depth of failed attempts (a store that is down).
    /// </summary>
    /// <returns>The hits still to write (empty when the rest of the batch was written or dropped).</returns>
    private async Task<List<Hit>> SetAsideRefusedAsync(List<Hit> failed, WriteEvidence evidence)
    {
        var left = new List<Hit>();
        var parts = new Stack<ArraySegment<Hit>>();
        PushHalves(parts, new ArraySegment<Hit>([.. failed]));
        // With no part taken yet the store may be down: keep looking for a while (refused hits may sit first in the
        // batch, so single refusals prove nothing yet), then leave the rest to the retry.
        var failedWithoutEvidence = 0;
        var giveUpAfter = 2 * (BitOperations.Log2((uint)Math.Max(1, failed.Count)) + 2);
        var givenUp = false;
        while (parts.TryPop(out var part))
        {
            if (givenUp)
            {
                left.AddRange(part);
                continue;
            }

            if (await TryAppendAsync(part))
            {
                evidence.Accepted = part[^1];
                continue;
            }

            if (part.Count > 1)
            {
                PushHalves(parts, part);
            }
            else if (evidence.Accepted is { } accepted)
            {
                if (await TryAppendAsync(new ArraySegment<Hit>([accepted]), probe: true))
                {
                    // The store took a stored hit again right after refusing this one: it is this hit, not the store.
                    _metrics.Dropped(DropReasons.StoreRefused);
                    if (Interlocked.Exchange(ref _refusedLogged, 1) == 0)
                    {
                        LogHitRefused(_logger, LastFailure, part[0].Id, part[0].SiteId);
                    }
                    else
                    {
                        LogHitRefusedAgain(_logger, part[0].Id, part[0].SiteId);
                    }

                    continue;
                }

                // The store stopped taking writes: keep this hit and the rest for the retry.
                left.Add(part[0]);
                givenUp = true;
                continue;
            }
            else
            {
                left.Add(part[0]); // refused with no part taken yet: kept; a later pass decides with evidence
            }

            if (evidence.Accepted is null && ++failedWithoutEvidence > giveUpAfter)
            {
                givenUp = true;
            }
        }

        return left;
    }

    private static void PushHalves(Stack<ArraySegment<Hit>> parts, ArraySegment<Hit> part)
    {
        if (part.Count < 2)
        {
            parts.Push(part);
            return;
        }

        var half = part.Count / 2;
        parts.Push(part[half..]); // the second half is tried after the first
        parts.Push(part[..half]);
    }

    /// <summary>One write of a part; <paramref name="probe"/>: a re-write of a stored hit, not counted as written.</summary>
    private async Task<bool> TryAppendAsync(ArraySegment<Hit> part, bool probe = false)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await _store!.AppendAsync(part, _abort.Token);
            if (!probe)
            {
                _metrics.Written(part.Count, Stopwatch.GetElapsedTime(started));
            }

            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_abort.IsCancellationRequested)
        {
            LastFailure = ex;
            return false;
        }
    }

    /// <summary>The last hit the store took during one <see cref="WriteWithRetryAsync"/> call (the evidence it is up).</summary>
    private sealed class WriteEvidence
    {
        public Hit? Accepted { get; set; }
    }

    [LoggerMessage(EventId = 200, Level = LogLevel.Error, Message = "Writing {BatchSize} hits to the beacon store failed; retrying with back-off while {Queued} more hits wait in the queue")]
    private static partial void LogStoreFailing(ILogger logger, Exception exception, int batchSize, int queued);

    [LoggerMessage(EventId = 201, Level = LogLevel.Information, Message = "The beacon store is writable again after {Failures} failed attempts")]
    private static partial void LogStoreRecovered(ILogger logger, int failures);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Shutdown timed out: {Count} queued hits could not be written; they stay in the spool in {Directory} and are stored at the next start")]
    private static partial void LogLeftInSpool(ILogger logger, int count, string directory);

    [LoggerMessage(EventId = 204, Level = LogLevel.Information, Message = "Replayed {Count} hits from {Files} spool files in {Directory} into the store")]
    private static partial void LogReplayed(ILogger logger, long count, int files, string directory);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "The spool file {Path} ends in an incomplete or damaged record at byte {Offset} (a crash during a write); the hits before it were replayed")]
    private static partial void LogSpoolTailDamaged(ILogger logger, string path, long offset);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning, Message = "The spool file {Path} holds {Bytes} damaged bytes at byte {Offset}, followed by whole records (not the torn tail of a crash: the disk or another writer changed the file); the hits before and after them were replayed")]
    private static partial void LogSpoolStretchDamaged(ILogger logger, string path, long bytes, long offset);

    [LoggerMessage(EventId = 209, Level = LogLevel.Error, Message = "The spool file {Path} does not start with the header this version writes: written by another version of FrancisBeacon (replay it with that version), or not a spool file. It was left in place, not replayed")]
    private static partial void LogSpoolForeign(ILogger logger, string path);

    [LoggerMessage(EventId = 240, Level = LogLevel.Warning, Message = "The shutdown interrupted the replay of the beacon spool after {Count} of its hits were stored (the store did not take the rest in time); {Files} spool files in {Directory} were not finished and are replayed at the next start")]
    private static partial void LogReplayInterrupted(ILogger logger, long count, int files, string directory);

    [LoggerMessage(EventId = 241, Level = LogLevel.Error, Message = "The spool file {Path} cannot be read ({ErrorType}); it was left in place and not replayed, and the writer went on. Make it readable for the app and restart to replay it, or delete it")]
    private static partial void LogSpoolUnreadable(ILogger logger, Exception exception, string path, string errorType);

    [LoggerMessage(EventId = 206, Level = LogLevel.Error, Message = "The beacon store refused hit {HitId} of site {SiteId} while it took the hits around it; the hit was dropped (metric beacon.hits.dropped, reason store_refused). Later refused hits are logged at Debug level")]
    private static partial void LogHitRefused(ILogger logger, Exception? exception, Guid hitId, string siteId);

    [LoggerMessage(EventId = 207, Level = LogLevel.Debug, Message = "The beacon store refused hit {HitId} of site {SiteId} while it took the hits around it; the hit was dropped")]
    private static partial void LogHitRefusedAgain(ILogger logger, Guid hitId, string siteId);

    [LoggerMessage(EventId = 202, Level = LogLevel.Error, Message = "Shutdown timed out: {Count} queued hits could not be written and were dropped")]
    private static partial void LogDroppedAtShutdown(ILogger logger, int count);
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// Runs the erasures of <c>DELETE {api}/hits</c> detached from their requests: a client that gives up, or a proxy that
/// times the request out, no longer cancels the purge; only the app's shutdown does (<see cref="StopAsync"/>). The purge
/// itself is <see cref="IBeaconDataEraser.EraseAsync"/> (writer flush, spool sealing, <c>HitPurgeRegistry</c>).
/// </summary>
/// <remarks>
/// <para>At most one erasure per site, range and process is queued or running: a request for the same site and range
/// meanwhile joins it. One that has ended is never joined: a new request runs a new erasure (hits of the range accepted
/// since are deleted too). At most one erasure per site runs at a time and <see cref="MaxRunning"/> in all; the others
/// wait in order. More than <see cref="MaxActive"/> waiting or running erasures are refused (the endpoint answers
/// <c>503</c>).</para>
/// <para>Each erasure has an id, the name of its status resource (<c>GET {api}/erasures/{id}</c>). An erasure whose
/// request was answered <c>202</c> (a caller was given its status resource) is found by <see cref="Find"/> while it is
/// queued or running and for <see cref="RememberFor"/> after it ends, at most <see cref="MaxRemembered"/> ended ones. An
/// erasure that every caller saw end is not kept.</para>
/// </remarks>
internal sealed partial class ErasureRunner(IBeaconDataEraser eraser, TimeProvider time, ILogger<ErasureRunner> logger) : IHostedService, IDisposable
{
    /// <summary>Erasures running at once in this process (of different sites).</summary>
    internal const int MaxRunning = 2;

    /// <summary>Erasures queued or running at once; one more is refused.</summary>
    internal const int MaxActive = 64;

    /// <summary>Ended erasures whose status is kept for a caller that was answered 202.</summary>
    internal const int MaxRemembered = 100;

    /// <summary>How long the status of an erasure answered 202 is kept after it ends.</summary>
    internal static readonly TimeSpan RememberFor = TimeSpan.FromMinutes(10);

    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<ErasureKey, DetachedErasure> _active = [];
    private readonly List<DetachedErasure> _waiting = [];
    private readonly Dictionary<Guid, DetachedErasure> _ended = [];
    private readonly HashSet<string> _runningSites = new(StringComparer.Ordinal);
    private bool _stopped;

    /// <summary>
    /// The erasure of <paramref name="siteId"/>'s hits in <c>[from, to)</c>: the one queued or running, or a new one.
    /// <see langword="null"/> when too many erasures are active or the app is stopping.
    /// </summary>
    /// <param name="siteId">The site.</param>
    /// <param name="from">Start of the UTC range, inclusive.</param>
    /// <param name="to">End of the UTC range, exclusive.</param>
    /// <param name="shownFrom">The request's <c>from</c> (a local day), for the status; <see langword="null"/> when none.</param>
    /// <param name="shownTo">The request's <c>to</c>, likewise.</param>
    public DetachedErasure? Start(string siteId, DateTimeOffset from, DateTimeOffset to, string? shownFrom, string? shownTo)
    {
        var key = new ErasureKey(siteId, from, to);
        DetachedErasure? start;
        DetachedErasure erasure;
        lock (_gate)
        {
            ForgetExpired();
            if (_active.TryGetValue(key, out var active))
            {
                return active;
            }

            if (_active.Count >= MaxActive || _stopped)
            {
                return null;
            }

            erasure = new DetachedErasure(key, Guid.NewGuid(), shownFrom, shownTo);
            _active.Add(key, erasure);
            _waiting.Add(erasure);
            start = NextToStart();
        }

        if (start is not null)
        {
            _ = RunAsync(start);
        }

        return erasure;
    }

    /// <summary>
    /// The erasure with this id if a caller was given its status resource (answered 202): queued, running, or ended less
    /// than <see cref="RememberFor"/> ago. <see langword="null"/> otherwise.
    /// </summary>
    public DetachedErasure? Find(Guid id)
    {
        lock (_gate)
        {
            ForgetExpired();
            if (_ended.TryGetValue(id, out var ended))
            {
                return ended;
            }

            foreach (var active in _active.Values)
            {
                if (active.Id == id && active.Deferred)
                {
                    return active;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Records that a caller was given the status resource of <paramref name="erasure"/> (202), so its status is kept
    /// when it ends. <see langword="false"/> when it has already ended (answer it).
    /// </summary>
    public bool Defer(DetachedErasure erasure)
    {
        lock (_gate)
        {
            if (erasure.Task.IsCompleted)
            {
                return false;
            }

            erasure.Deferred = true;
            return true;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Cancels the running erasures (the store stops at its next chunk) and waits until they have ended.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task[] running;
        DetachedErasure[] waiting;
        lock (_gate)
        {
            _stopped = true;
            waiting = [.. _waiting];
            _waiting.Clear();
            foreach (var erasure in waiting)
            {
                _active.Remove(erasure.Key);
            }

            running = [.. _active.Values.Select(e => e.Task)];
        }

        // Outside the lock: the store's cancellation callbacks may run on this thread.
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var erasure in waiting)
        {
            erasure.Completion.TrySetCanceled(_stopping.Token);
        }

        // Their outcomes are logged by RunAsync; a stop that times out leaves them to end on their own.
        await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RunAsync(DetachedErasure erasure)
    {
        await Task.Yield(); // never on the request's thread
        var (siteId, from, to) = erasure.Key;
        var started = time.GetTimestamp();
        LogStarted(logger, siteId, from, to);
        try
        {
            var deleted = await eraser.EraseAsync(siteId, from, to, _stopping.Token).ConfigureAwait(false);
            var elapsedMs = (long)time.GetElapsedTime(started).TotalMilliseconds;
            LogEnded(logger, siteId, from, to, deleted, elapsedMs);
            End(erasure, () => erasure.Completion.TrySetResult(deleted));
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            var elapsedMs = (long)time.GetElapsedTime(started).TotalMilliseconds;
            LogStopped(logger, siteId, from, to, elapsedMs);
            End(erasure, () => erasure.Completion.TrySetCanceled());
        }
        catch (Exception ex)
        {
            var elapsedMs = (long)time.GetElapsedTime(started).TotalMilliseconds;
            LogFailed(logger, siteId, from, to, ex.GetType().Name, elapsedMs, ex);
            End(erasure, () => erasure.Completion.TrySetException(ex));
        }
    }

    private void End(DetachedErasure erasure, Action complete)
    {
        DetachedErasure? next;
        lock (_gate)
        {
            complete(); // inside the lock, so Defer sees it ended or the end sees Deferred
            _active.Remove(erasure.Key);
            _runningSites.Remove(erasure.Key.SiteId);
            if (erasure.Deferred && !_stopped)
            {
                erasure.EndedAt = time.GetUtcNow();
                _ended[erasure.Id] = erasure;
                while (_ended.Count > MaxRemembered)
                {
                    _ended.Remove(_ended.Values.MinBy(e => e.EndedAt)!.Id);
                }
            }

            next = _stopped ? null : NextToStart();
        }

        if (next is not null)
        {
            _ = RunAsync(next);
        }
    }

    // Under _gate: the first waiting erasure whose site has none running, if a slot is free; marked running.
    private DetachedErasure? NextToStart()
    {
        if (_runningSites.Count >= MaxRunning)
        {
            return null;
        }

        var index = _waiting.FindIndex(e => !_runningSites.Contains(e.Key.SiteId));
        if (index < 0)
        {
            return null;
        }

        var next = _waiting[index];
        _waiting.RemoveAt(index);
        _runningSites.Add(next.Key.SiteId);
        next.Running = true;
        return next;
    }

    // Under _gate.
    private void ForgetExpired()
    {
        if (_ended.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        foreach (var (id, _) in _ended.Where(e => now - e.Value.EndedAt > RememberFor).ToList())
        {
            _ended.Remove(id);
        }
    }

    [LoggerMessage(EventId = 250, Level = LogLevel.Information, Message = "Erasure of site {SiteId} from {From:O} to {To:O} started (DELETE of the erasure API; it runs until it ends or the app stops, whatever its requests do)")]
    private static partial void LogStarted(ILogger logger, string siteId, DateTimeOffset from, DateTimeOffset to);

    [LoggerMessage(EventId = 251, Level = LogLevel.Information, Message = "Erasure of site {SiteId} from {From:O} to {To:O} ended: {Count} hits deleted in {ElapsedMs} ms")]
    private static partial void LogEnded(ILogger logger, string siteId, DateTimeOffset from, DateTimeOffset to, long count, long elapsedMs);

    [LoggerMessage(EventId = 252, Level = LogLevel.Warning, Message = "Erasure of site {SiteId} from {From:O} to {To:O} failed after {ElapsedMs} ms ({ErrorType}); part of the range may be deleted, send the DELETE again to run it again")]
    private static partial void LogFailed(ILogger logger, string siteId, DateTimeOffset from, DateTimeOffset to, string errorType, long elapsedMs, Exception exception);

    [LoggerMessage(EventId = 253, Level = LogLevel.Warning, Message = "Erasure of site {SiteId} from {From:O} to {To:O} was stopped by the app's shutdown after {ElapsedMs} ms; part of the range may be deleted, send the DELETE again to finish it")]
    private static partial void LogStopped(ILogger logger, string siteId, DateTimeOffset from, DateTimeOffset to, long elapsedMs);
}

/// <summary>A site and half-open UTC range of an erasure.</summary>
internal readonly record struct ErasureKey(string SiteId, DateTimeOffset From, DateTimeOffset To);

/// <summary>One erasure of <see cref="ErasureRunner"/>: queued, running or ended.</summary>
internal sealed class DetachedErasure(ErasureKey key, Guid id, string? shownFrom, string? shownTo)
{
    public ErasureKey Key { get; } = key;

    /// <summary>The name of its status resource, <c>GET {api}/erasures/{id}</c>.</summary>
    public Guid Id { get; } = id;

    /// <summary>The <c>from</c> of the request that started it (a local day), or <see langword="null"/>.</summary>
    public string? ShownFrom { get; } = shownFrom;

    /// <summary>The <c>to</c> of the request that started it, or <see langword="null"/>.</summary>
    public string? ShownTo { get; } = shownTo;

    public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Its outcome: the hits deleted, its error, or cancelled by the app's shutdown.</summary>
    public Task<long> Task => Completion.Task;

    /// <summary>Whether it has left the queue (it may have ended since). Set under the runner's lock.</summary>
    public bool Running { get; set; }

    /// <summary>Whether a caller was told to come back for it (its outcome is then kept when it ends). Under the runner's lock.</summary>
    public bool Deferred { get; set; }

    /// <summary>When it ended, if it is kept. Under the runner's lock.</summary>
    public DateTimeOffset EndedAt { get; set; }
}

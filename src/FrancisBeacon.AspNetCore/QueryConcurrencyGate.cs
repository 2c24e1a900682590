// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The bound of <see cref="BeaconQueryConcurrencyOptions"/>: one <see cref="ConcurrencyLimiter"/> per process, shared by
/// every query API group (the API, the dashboard's, share links'). The handlers take a slot only around their store
/// queries — after the request is read and validated, released before the answer is written — so a client sending or
/// reading slowly never holds one. Waiting requests hold no thread; a refusal is
/// counted in <c>beacon.query.rejected</c> and logged (event 801) through a <see cref="LogThrottle"/>.
/// </summary>
internal sealed partial class QueryConcurrencyGate : IDisposable
{
    internal const int RetryAfterSeconds = 5;

    private readonly ConcurrencyLimiter? _limiter;
    private readonly SemaphoreSlim? _exports;
    private readonly TimeSpan _queueTimeout;
    private readonly BeaconQueryMetrics _metrics;
    private readonly ILogger<QueryConcurrencyGate> _logger;
    private readonly LogThrottle _logThrottle;

    public QueryConcurrencyGate(IOptions<BeaconOptions> options, BeaconQueryMetrics metrics, ILogger<QueryConcurrencyGate> logger, TimeProvider time)
    {
        _logThrottle = new LogThrottle(time);
        var limits = options.Value.QueryConcurrency;
        _queueTimeout = limits.QueueTimeout;
        _metrics = metrics;
        _logger = logger;
        if (limits.Exports > 0)
        {
            _exports = new SemaphoreSlim(limits.Exports, limits.Exports);
        }

        if (limits.Limit > 0)
        {
            _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
            {
                PermitLimit = limits.Limit,
                QueueLimit = limits.QueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            });
        }
    }

    /// <summary>Requests waiting for a slot now.</summary>
    internal long Queued => _limiter?.GetStatistics()?.CurrentQueuedCount ?? 0;

    /// <summary>
    /// Waits for a slot. Returns the lease to dispose when the request is done (<see langword="null"/> without a
    /// bound), or the reason it was refused (<c>queue_full</c>, <c>queue_timeout</c>). Throws
    /// <see cref="OperationCanceledException"/> when the client goes away while waiting.
    /// </summary>
    public async ValueTask<(RateLimitLease? Lease, string? Refused)> EnterAsync(CancellationToken requestAborted)
    {
        if (_limiter is null)
        {
            return (null, null);
        }

        var (lease, refused) = await AcquireAsync(_limiter, requestAborted);
        return refused is null ? (lease, null) : (null, Refuse(refused));
    }

    /// <summary>
    /// One of the <c>Exports</c> places at once, or <see langword="false"/> (counted and logged as a refusal,
    /// <c>exports</c>). A place taken is given back with <see cref="ExitExport"/>.
    /// </summary>
    public bool TryEnterExport()
    {
        if (_exports is null || _exports.Wait(0))
        {
            return true;
        }

        Refuse("exports");
        return false;
    }

    /// <summary>Gives back the place <see cref="TryEnterExport"/> took.</summary>
    public void ExitExport() => _exports?.Release();

    /// <summary>
    /// Waits for a slot for the next part of a request that is already being answered (an export's next chunk of
    /// rows): in order with the other requests, but never refused — past the queue's bounds it goes on without a slot
    /// (<see langword="null"/>) rather than break a download halfway. Not counted as a refusal.
    /// </summary>
    public async ValueTask<RateLimitLease?> EnterContinuingAsync(CancellationToken requestAborted) =>
        _limiter is null ? null : (await AcquireAsync(_limiter, requestAborted)).Lease;

    /// <summary>A slot at once, or in order within <c>QueueTimeout</c>; else why not (<c>queue_full</c>, <c>queue_timeout</c>), uncounted.</summary>
    private async ValueTask<(RateLimitLease? Lease, string? Refused)> AcquireAsync(ConcurrencyLimiter limiter, CancellationToken requestAborted)
    {
        var lease = limiter.AttemptAcquire();
        if (lease.IsAcquired)
        {
            return (lease, null);
        }

        lease.Dispose();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        timeout.CancelAfter(_queueTimeout);
        try
        {
            lease = await limiter.AcquireAsync(1, timeout.Token);
        }
        catch (OperationCanceledException) when (!requestAborted.IsCancellationRequested)
        {
            return (null, "queue_timeout");
        }

        if (lease.IsAcquired)
        {
            return (lease, null);
        }

        lease.Dispose();
        return (null, "queue_full");
    }

    private string Refuse(string reason)
    {
        _metrics.Rejected(reason);
        if (_logThrottle.Count() is var refused and > 0)
        {
            LogRefused(_logger, refused, reason);
        }

        return reason;
    }

    /// <summary>The answer to a refused request: <c>503</c>, <c>Retry-After</c> and a JSON error naming the store.</summary>
    public static IResult Refusal(HttpContext context)
    {
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Json(
            new StatsError("Too many queries are running or waiting; try again shortly.", "store"),
            StatsJsonContext.Default.StatsError,
            statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    public void Dispose()
    {
        _limiter?.Dispose();
        _exports?.Dispose();
    }

    [LoggerMessage(EventId = 801, Level = LogLevel.Warning, Message = "Query API: {Count} request(s) answered 503 because too many queries were running or waiting (latest: {Reason}); see QueryConcurrency in docs/configuration.md. Logged at most once a minute")]
    private static partial void LogRefused(ILogger logger, long count, string reason);
}

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
/// every query API group (the API, the dashboard's, share links'). Waiting requests hold no thread; a refusal is
/// counted in <c>beacon.query.rejected</c> and logged (event 801) through a <see cref="LogThrottle"/>.
/// </summary>
internal sealed partial class QueryConcurrencyGate : IDisposable
{
    internal const int RetryAfterSeconds = 5;

    private readonly ConcurrencyLimiter? _limiter;
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

        var lease = _limiter.AttemptAcquire();
        if (lease.IsAcquired)
        {
            return (lease, null);
        }

        lease.Dispose();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        timeout.CancelAfter(_queueTimeout);
        try
        {
            lease = await _limiter.AcquireAsync(1, timeout.Token);
        }
        catch (OperationCanceledException) when (!requestAborted.IsCancellationRequested)
        {
            return (null, Refuse("queue_timeout"));
        }

        if (lease.IsAcquired)
        {
            return (lease, null);
        }

        lease.Dispose();
        return (null, Refuse("queue_full"));
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

    public void Dispose() => _limiter?.Dispose();

    [LoggerMessage(EventId = 801, Level = LogLevel.Warning, Message = "Query API: {Count} request(s) answered 503 because too many queries were running or waiting (latest: {Reason}); see QueryConcurrency in docs/configuration.md. Logged at most once a minute")]
    private static partial void LogRefused(ILogger logger, long count, string reason);
}

/// <summary>Runs a query API endpoint only inside a <see cref="QueryConcurrencyGate"/> slot; a refusal is a 503.</summary>
internal sealed class QueryConcurrencyFilter(QueryConcurrencyGate gate) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var (lease, refused) = await gate.EnterAsync(context.HttpContext.RequestAborted);
        if (refused is not null)
        {
            context.HttpContext.Response.Headers.RetryAfter = QueryConcurrencyGate.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return TypedResults.Json(
                new StatsError("Too many queries are running or waiting; try again shortly.", "store"),
                StatsJsonContext.Default.StatsError,
                statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        using (lease)
        {
            return await next(context);
        }
    }
}

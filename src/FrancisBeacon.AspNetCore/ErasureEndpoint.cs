// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;
using System.Text.Json.Serialization;
using FrancisBeacon.Querying;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// <c>DELETE {api}/hits</c>: erasure of a site's hits, all or by local days (see <c>MapBeaconErasureApi</c>). The purge
/// runs in <see cref="ErasureRunner"/>, detached from the request, which waits for it at most
/// <see cref="BeaconErasureOptions.AnswerWithin"/> and then answers <c>202</c> with the erasure's status resource,
/// <c>GET {api}/erasures/{id}</c> (<see cref="HandleStatus"/>), in <c>Location</c>. The same request sent while the
/// erasure is queued or running joins it; sent after it ended, it runs a new one.
/// </summary>
/// <param name="options">The endpoint's options.</param>
internal sealed class ErasureEndpoint(BeaconErasureOptions options)
{
    /// <summary>The <c>Retry-After</c> of a <c>202</c>, in seconds.</summary>
    internal const int RetryAfterSeconds = 5;

    public async Task<IResult> HandleAsync(HttpContext context, SiteResolver sites, ErasureRunner erasures, TimeProvider time)
    {
        if (RefusedWrite(context, "erase", "Erasure") is { } refused)
        {
            return refused;
        }

        var query = context.Request.Query;
        try
        {
            var siteId = query["site_id"].ToString();
            if (string.IsNullOrWhiteSpace(siteId))
            {
                throw new HitQueryException("site_id", "site_id is required: erasure never picks a site on its own.");
            }

            var site = sites.For(context.User).ForQuery(siteId); // a principal scoped to sites may erase only those
            var fromText = query["from"].ToString();
            var toText = query["to"].ToString();
            DateTimeOffset from = DateTimeOffset.MinValue, to = DateTimeOffset.MaxValue;
            if (fromText.Length > 0 || toText.Length > 0)
            {
                var first = fromText.Length > 0 ? Day(fromText, "from") : new DateOnly(1900, 1, 1);
                var last = toText.Length > 0 ? Day(toText, "to") : new DateOnly(9998, 12, 31);
                var (rangeFrom, rangeTo) = QueryDateRange.Custom(first, last).Resolve(site.TimeZone, time.GetUtcNow());
                from = fromText.Length > 0 ? rangeFrom : DateTimeOffset.MinValue;
                to = toText.Length > 0 ? rangeTo : DateTimeOffset.MaxValue;
            }

            string? shownFrom = fromText.Length > 0 ? fromText : null, shownTo = toText.Length > 0 ? toText : null;
            if (from >= to)
            {
                // Only days the site's zone skipped (Pacific/Apia's 2011-12-30): no instant, nothing to delete (the eraser
                // refuses an empty range, which was a 500).
                return Results.Json(new ErasureResponse(site.Id, shownFrom, shownTo, 0), ErasureJsonContext.Default.ErasureResponse);
            }

            var erasure = erasures.Start(site.Id, from, to, shownFrom, shownTo);
            if (erasure is null)
            {
                return Unavailable(context, "Too many erasures are waiting in this process; try again shortly.");
            }

            var done = erasure.Task;
            if (!done.IsCompleted)
            {
                // Only the wait is cancelled by the request's end; the erasure goes on. The timer goes with the wait.
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
                await Task.WhenAny(done, Task.Delay(options.AnswerWithin, time, wait.Token));
                await wait.CancelAsync();
                context.RequestAborted.ThrowIfCancellationRequested();
            }

            if (erasures.Defer(erasure))
            {
                // Beside this request's own path ({api}/hits): right under UsePathBase, a route parameter or a proxy's prefix.
                var path = (context.Request.Path.Value ?? string.Empty).TrimEnd('/');
                context.Response.Headers.Location = context.Request.PathBase.Add(new PathString(path[..path.LastIndexOf('/')] + "/erasures/" + erasure.Id.ToString("N"))).ToUriComponent();
                context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                context.Response.Headers.CacheControl = "no-store";
                return Results.Json(Status(erasure), ErasureJsonContext.Default.ErasureStatus, statusCode: StatusCodes.Status202Accepted);
            }

            if (done.IsCanceled)
            {
                return Unavailable(context, "The app is stopping; the erasure was stopped part-way. Send the same request again once the app is back.");
            }

            if (done.IsFaulted)
            {
                return Failed(context, done.Exception.GetBaseException());
            }

            return Results.Json(new ErasureResponse(site.Id, shownFrom, shownTo, await done), ErasureJsonContext.Default.ErasureResponse);
        }
        catch (HitQueryException ex)
        {
            return StatsEndpoint.Error(ex);
        }
    }

    /// <summary>
    /// <c>GET {api}/erasures/{id}</c>: the status of an erasure whose <c>DELETE</c> was answered <c>202</c> —
    /// <c>queued</c> or <c>running</c> (with <c>Retry-After</c>), <c>succeeded</c> with <c>deleted</c>, <c>failed</c> with
    /// <c>error</c>, or <c>stopped</c> by the app's shutdown — kept for <see cref="ErasureRunner.RememberFor"/> after it
    /// ends. <c>404</c> for an id this process does not know (never given, forgotten, or another instance's), and for an
    /// erasure of a site the caller may not erase.
    /// </summary>
    public static IResult HandleStatus(HttpContext context, string id, SiteResolver sites, ErasureRunner erasures)
    {
        if (RefusedWrite(context, "erase", "Erasure") is { } refused)
        {
            return refused;
        }

        var erasure = Guid.TryParseExact(id, "N", out var guid) ? erasures.Find(guid) : null;
        if (erasure is not null)
        {
            try
            {
                _ = sites.For(context.User).ForQuery(erasure.Key.SiteId);
            }
            catch (HitQueryException)
            {
                erasure = null; // not said apart from an unknown id
            }
        }

        context.Response.Headers.CacheControl = "no-store";
        if (erasure is null)
        {
            return StatsEndpoint.Error($"No erasure {id} is known here: it ended more than {ErasureRunner.RememberFor.TotalMinutes:0} minutes ago, was answered 200 at once, or runs in another instance of the app.", "id", StatusCodes.Status404NotFound);
        }

        var status = Status(erasure);
        if (!erasure.Task.IsCompleted)
        {
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        }

        return Results.Json(status, ErasureJsonContext.Default.ErasureStatus);
    }

    /// <summary>
    /// What the endpoints that change data (erasure, import) refuse before anything else, whatever the app's policy
    /// says: a beacon token (API keys and share links are read-only), and a request a browser marks as sent from another
    /// site (<see cref="FromThisOrigin"/>). <see langword="null"/> when the request may go on.
    /// </summary>
    internal static IResult? RefusedWrite(HttpContext context, string verb, string noun)
    {
        if (BeaconTokens.IsToken(context.User))
        {
            return StatsEndpoint.Error($"Beacon tokens are read-only and cannot {verb} data.", "authorization", StatusCodes.Status403Forbidden);
        }

        return FromThisOrigin(context.Request.Headers["Sec-Fetch-Site"])
            ? null
            : StatsEndpoint.Error($"{noun} requests from other sites are refused.", "origin", StatusCodes.Status403Forbidden);
    }

    // No Sec-Fetch-Site (a script or tool), or only same-origin / none (typed or bookmarked). Anything else is refused:
    // cross-site and same-site, in any case, and also in a list or a second header line, which no browser sends but
    // which a comparison of the joined value let through ("same-origin,cross-site").
    internal static bool FromThisOrigin(StringValues fetchSite)
    {
        foreach (var line in fetchSite)
        {
            foreach (var value in (line ?? string.Empty).Split(',', StringSplitOptions.TrimEntries))
            {
                if (!value.Equals("same-origin", StringComparison.OrdinalIgnoreCase) && !value.Equals("none", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static DateOnly Day(string text, string field) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
            ? day
            : throw new HitQueryException(field, $"{field} must be a date in the form YYYY-MM-DD.");

    private static ErasureStatus Status(DetachedErasure erasure)
    {
        var task = erasure.Task;
        var (status, deleted, error) = task.Status switch
        {
            TaskStatus.RanToCompletion => ("succeeded", task.GetAwaiter().GetResult(), (string?)null), // completed: no wait
            TaskStatus.Faulted => ("failed", (long?)null, FailureMessage(task.Exception!.GetBaseException())),
            TaskStatus.Canceled => ("stopped", null, "The app stopped while the erasure ran; part of the range may be deleted. Send the DELETE again."),
            _ => (erasure.Running ? "running" : "queued", null, null),
        };
        return new ErasureStatus(erasure.Id.ToString("N"), erasure.Key.SiteId, erasure.ShownFrom, erasure.ShownTo, status, deleted, error);
    }

    private static string FailureMessage(Exception failure) =>
        StoreUnavailableFilter.IsUnavailable(failure)
            ? "The erasure failed: the analytics store did not answer in time or is unavailable. Part of the range may be deleted; send the DELETE again."
            : $"The erasure failed ({failure.GetType().Name}); part of the range may be deleted. The app's log has the error (event 252); send the DELETE again once its cause is fixed.";

    /// <summary>
    /// An erasure that failed while its request waited: <c>503</c> with <c>Retry-After</c> when the store did not answer
    /// (an outage: the same request later can succeed), else <c>500</c> — the error repeats until its cause is fixed, so
    /// no <c>Retry-After</c> — with a JSON error rather than an unhandled exception (the runner logged it, event 252).
    /// </summary>
    private static IResult Failed(HttpContext context, Exception failure)
    {
        if (StoreUnavailableFilter.IsUnavailable(failure))
        {
            return Unavailable(context, FailureMessage(failure));
        }

        return StatsEndpoint.Error(FailureMessage(failure), "store", StatusCodes.Status500InternalServerError);
    }

    private static IResult Unavailable(HttpContext context, string message)
    {
        context.Response.Headers.RetryAfter = StoreUnavailableFilter.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return StatsEndpoint.Error(message, "store", StatusCodes.Status503ServiceUnavailable);
    }
}

internal sealed record ErasureResponse(
    [property: JsonPropertyName("site_id")] string SiteId,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("to")] string? To,
    [property: JsonPropertyName("deleted")] long Deleted);

/// <summary>
/// The body of a <c>202</c> and of the status resource: <c>queued</c> (waits for another erasure of the site),
/// <c>running</c>, <c>succeeded</c> (with <c>deleted</c>), <c>failed</c> (with <c>error</c>) or <c>stopped</c>.
/// </summary>
internal sealed record ErasureStatus(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("site_id")] string SiteId,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("to")] string? To,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("deleted"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Deleted,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error);

[JsonSerializable(typeof(ErasureResponse))]
[JsonSerializable(typeof(ErasureStatus))]
internal sealed partial class ErasureJsonContext : JsonSerializerContext;

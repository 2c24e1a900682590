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
/// <see cref="BeaconErasureOptions.AnswerWithin"/> and then answers <c>202</c>: the same request sent again joins it.
/// </summary>
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

            var erasure = erasures.Start(site.Id, from, to, out var earlierFailure);
            if (erasure is null)
            {
                return Unavailable(context, "Too many erasures are waiting in this process; try again shortly.");
            }

            if (earlierFailure is not null)
            {
                // The last erasure of this site and range failed after its caller was answered 202: say so, and run it
                // again (started above) for the next request to join.
                erasures.Defer(erasure);
                return Unavailable(context, StoreUnavailableFilter.IsUnavailable(earlierFailure)
                    ? "The erasure failed: the analytics store did not answer in time or is unavailable. It is being run again; send the same request again shortly."
                    : $"The erasure failed ({earlierFailure.GetType().Name}). It is being run again; send the same request again shortly.");
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
                context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                context.Response.Headers.CacheControl = "no-store";
                return Results.Json(
                    new ErasureProgress(site.Id, shownFrom, shownTo, erasure.Running ? "running" : "queued"),
                    ErasureJsonContext.Default.ErasureProgress,
                    statusCode: StatusCodes.Status202Accepted);
            }

            if (done.IsCanceled)
            {
                return Unavailable(context, "The app is stopping; the erasure was stopped part-way. Send the same request again once the app is back.");
            }

            var deleted = await done; // a failure reaches StoreUnavailableFilter: 503 for a store that is down
            return Results.Json(new ErasureResponse(site.Id, shownFrom, shownTo, deleted), ErasureJsonContext.Default.ErasureResponse);
        }
        catch (HitQueryException ex)
        {
            return StatsEndpoint.Error(ex);
        }
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

/// <summary>The body of a <c>202</c>: the erasure goes on (<c>running</c>) or waits for another one (<c>queued</c>).</summary>
internal sealed record ErasureProgress(
    [property: JsonPropertyName("site_id")] string SiteId,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("to")] string? To,
    [property: JsonPropertyName("status")] string Status);

[JsonSerializable(typeof(ErasureResponse))]
[JsonSerializable(typeof(ErasureProgress))]
internal sealed partial class ErasureJsonContext : JsonSerializerContext;

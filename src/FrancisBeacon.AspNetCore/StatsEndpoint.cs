using System.Globalization;
using System.Net;
using System.Text.Json.Serialization;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;

namespace FrancisBeacon.AspNetCore;

/// <summary><c>GET {api}/stats</c>: totals, top pages and the daily series of a site over a period.</summary>
internal static class StatsEndpoint
{
    public const int DefaultPageLimit = 10;
    public const int MaxPageLimit = 1000;

    public static async Task<IResult> HandleAsync(HttpContext context, SiteResolver sites, IHitStore store, TimeProvider time, QueryConcurrencyGate gate)
    {
        var query = context.Request.Query;
        try
        {
            var site = sites.For(context.User).ForQuery(query["site_id"].ToString());
            var range = QueryDateRange.Parse(query["period"].ToString(), query["date"].ToString());
            var limit = DefaultPageLimit;
            if (query.TryGetValue("limit", out var limitText) &&
                (!int.TryParse(limitText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxPageLimit))
            {
                throw new HitQueryException("limit", $"limit must be a whole number from 1 to {MaxPageLimit}.");
            }

            var now = time.GetUtcNow();
            var (first, last) = range.Days(site.TimeZone, now);
            // "all" starts at the site's first day with hits (below), as in Plausible: its length is the data's, not
            // the caller's choice, so the bound on the daily series' length is for the ranges a caller names.
            var allTime = range.Period == QueryDateRange.AllTime.Period;
            if (!allTime && last.DayNumber - first.DayNumber > 3660)
            {
                throw new HitQueryException("date", "The range is longer than ten years.");
            }

            var (from, to) = range.Resolve(site.TimeZone, now);
            var baseQuery = new HitQuery
            {
                SiteId = site.Id,
                From = from,
                To = to,
                TimeZone = site.TimeZone,
                Metrics = [HitMetric.Visitors, HitMetric.Pageviews],
            };
            var ct = context.RequestAborted;
            var (slot, refused) = await gate.EnterAsync(ct);
            if (refused is not null)
            {
                return QueryConcurrencyGate.Refusal(context);
            }

            AggregateResult totals, pages, entries, days;
            using (slot)
            {
                days = await store.QueryAsync(baseQuery with { Metrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Visits], Dimensions = [HitDimension.Day] }, ct);
                if (allTime)
                {
                    // Rows are chronological; with no hits the range is today alone.
                    first = days.Rows.Count > 0 ? DateOnly.ParseExact(days.Rows[0].Dimensions[0], "yyyy-MM-dd", CultureInfo.InvariantCulture) : last;
                    baseQuery = baseQuery with { From = TimeZoneSegments.StartOfDay(first, site.TimeZone) };
                }

                totals = await store.QueryAsync(
                    baseQuery with { Metrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Visits, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit] },
                    ct);
                pages = await store.QueryAsync(baseQuery with { Dimensions = [HitDimension.Page], Limit = limit }, ct);
                entries = await store.QueryAsync(
                    baseQuery with { Metrics = [HitMetric.Visits, HitMetric.Visitors, HitMetric.BounceRate], Dimensions = [HitDimension.EntryPage], Limit = limit },
                    ct);
            }

            var byDay = days.Rows.ToDictionary(r => r.Dimensions[0], StringComparer.Ordinal);
            var series = new List<StatsDay>();
            for (var day = first; day <= last; day = day.AddDays(1))
            {
                var key = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                series.Add(byDay.TryGetValue(key, out var row)
                    ? new StatsDay(key, (long)row.Metrics[0], (long)row.Metrics[1], (long)row.Metrics[2])
                    : new StatsDay(key, 0, 0, 0));
            }

            var total = totals.Rows.Count > 0 ? totals.Rows[0].Metrics : [0d, 0d, 0d, 0d, 0d, 0d];
            return Results.Json(
                new StatsResponse(
                    site.Id,
                    site.TimeZone.Id,
                    range.Period,
                    first.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    last.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    new StatsTotals((long)total[0], (long)total[1], (long)total[2], (long)total[3], (long)total[4], total[5]),
                    pages.Rows.Select(r => new StatsPage(r.Dimensions[0], (long)r.Metrics[0], (long)r.Metrics[1])).ToList(),
                    entries.Rows.Select(r => new StatsEntryPage(r.Dimensions[0], (long)r.Metrics[0], (long)r.Metrics[1], (long)r.Metrics[2])).ToList(),
                    series),
                StatsJsonContext.Default.StatsResponse);
        }
        catch (HitQueryException ex)
        {
            return Error(ex);
        }
    }

    /// <summary>The API's JSON error, <c>{"error","field"}</c>, with <paramref name="status"/>.</summary>
    internal static IResult Error(string message, string field, int status) =>
        Results.Json(new StatsError(message, field), StatsJsonContext.Default.StatsError, statusCode: status);

    /// <summary>The API's JSON error for a refused parameter, with its status (<see cref="SiteResolver.StatusCodeFor"/>).</summary>
    internal static IResult Error(HitQueryException exception) => Error(exception.Reason, exception.Field, SiteResolver.StatusCodeFor(exception));
}

/// <summary>
/// With no authorization metadata on an endpoint, lets only loopback callers through: analytics are not public
/// unless the app says so (<c>.RequireAuthorization(...)</c> or <c>.AllowAnonymous()</c>).
/// </summary>
internal sealed class LocalRequestsOnlyFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var endpoint = http.GetEndpoint();
        var hasPolicy = endpoint?.Metadata.GetMetadata<IAuthorizeData>() is not null ||
                        endpoint?.Metadata.GetMetadata<IAllowAnonymous>() is not null;
        if (hasPolicy)
        {
            return await next(context);
        }

        // With AddTokens and no policy, a valid API key is let through too (restricted to its sites); a wrong one is 401.
        if (await BeaconTokenAccess.AuthenticateApiKeyAsync(http) is { } denied)
        {
            return denied;
        }

        if (BeaconTokens.IsToken(http.User) || IsLocal(http.Connection))
        {
            return await next(context);
        }

        return Results.Json(
            new StatsError("The beacon API answers only local requests until it is given an authorization policy: call .RequireAuthorization(...) on MapBeaconApi.", "authorization"),
            StatsJsonContext.Default.StatsError,
            statusCode: StatusCodes.Status403Forbidden);
    }

    internal static bool IsLocal(ConnectionInfo connection)
    {
        var remote = connection.RemoteIpAddress;
        // The in-process test server has no remote address; a real socket always has one.
        return remote is null || IPAddress.IsLoopback(remote);
    }
}

internal sealed record StatsResponse(
    [property: JsonPropertyName("site_id")] string SiteId,
    [property: JsonPropertyName("time_zone")] string TimeZone,
    [property: JsonPropertyName("period")] string Period,
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("totals")] StatsTotals Totals,
    [property: JsonPropertyName("pages")] IReadOnlyList<StatsPage> Pages,
    [property: JsonPropertyName("entry_pages")] IReadOnlyList<StatsEntryPage> EntryPages,
    [property: JsonPropertyName("daily")] IReadOnlyList<StatsDay> Daily);

internal sealed record StatsTotals(
    [property: JsonPropertyName("visitors")] long Visitors,
    [property: JsonPropertyName("pageviews")] long Pageviews,
    [property: JsonPropertyName("visits")] long Visits,
    [property: JsonPropertyName("bounce_rate")] long BounceRate,
    [property: JsonPropertyName("visit_duration")] long VisitDuration,
    [property: JsonPropertyName("views_per_visit")] double ViewsPerVisit);

internal sealed record StatsEntryPage(
    [property: JsonPropertyName("page")] string Page,
    [property: JsonPropertyName("visits")] long Visits,
    [property: JsonPropertyName("visitors")] long Visitors,
    [property: JsonPropertyName("bounce_rate")] long BounceRate);

internal sealed record StatsPage(
    [property: JsonPropertyName("page")] string Page,
    [property: JsonPropertyName("visitors")] long Visitors,
    [property: JsonPropertyName("pageviews")] long Pageviews);

internal sealed record StatsDay(
    [property: JsonPropertyName("date")] string Date,
    [property: JsonPropertyName("visitors")] long Visitors,
    [property: JsonPropertyName("pageviews")] long Pageviews,
    [property: JsonPropertyName("visits")] long Visits);

internal sealed record StatsError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("field")] string Field);

internal sealed record StatsBotEntry(
    [property: JsonPropertyName("timestamp")] DateTimeOffset Timestamp,
    [property: JsonPropertyName("site_id")] string SiteId,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("reason")] string Reason,
    [property: JsonPropertyName("browser")] string? Browser);

[JsonSerializable(typeof(List<StatsBotEntry>))]
[JsonSerializable(typeof(RealtimeResponse))]
[JsonSerializable(typeof(StatsResponse))]
[JsonSerializable(typeof(StatsError))]
internal sealed partial class StatsJsonContext : JsonSerializerContext;

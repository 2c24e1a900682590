using System.Globalization;
using System.Text.Json.Serialization;
using FrancisBeacon.Querying;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace FrancisBeacon.AspNetCore;

/// <summary><c>DELETE {api}/hits</c>: erasure of a site's hits, all or by local days (see <c>MapBeaconErasureApi</c>).</summary>
internal static class ErasureEndpoint
{
    public static async Task<IResult> HandleAsync(HttpContext context, SiteResolver sites, IBeaconDataEraser eraser, TimeProvider time)
    {
        if (BeaconTokens.IsToken(context.User))
        {
            // API keys and share links are read-only, whatever the policy says.
            return Error("Beacon tokens are read-only and cannot erase data.", "authorization", StatusCodes.Status403Forbidden);
        }

        if (!FromThisOrigin(context.Request.Headers["Sec-Fetch-Site"]))
        {
            return Error("Erasure requests from other sites are refused.", "origin", StatusCodes.Status403Forbidden);
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

            var deleted = await eraser.EraseAsync(site.Id, from, to, context.RequestAborted);
            return Results.Json(
                new ErasureResponse(site.Id, fromText.Length > 0 ? fromText : null, toText.Length > 0 ? toText : null, deleted),
                ErasureJsonContext.Default.ErasureResponse);
        }
        catch (HitQueryException ex)
        {
            return Error(ex.Reason, ex.Field, SiteResolver.StatusCodeFor(ex));
        }
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

    private static IResult Error(string message, string field, int status) =>
        Results.Json(new StatsError(message, field), StatsJsonContext.Default.StatsError, statusCode: status);
}

internal sealed record ErasureResponse(
    [property: JsonPropertyName("site_id")] string SiteId,
    [property: JsonPropertyName("from")] string? From,
    [property: JsonPropertyName("to")] string? To,
    [property: JsonPropertyName("deleted")] long Deleted);

[JsonSerializable(typeof(ErasureResponse))]
internal sealed partial class ErasureJsonContext : JsonSerializerContext;

using FrancisBeacon.AspNetCore;
using FrancisBeacon.Querying;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the beacon's query API.</summary>
public static class BeaconEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the query API under <paramref name="pattern"/>: <c>GET {pattern}/stats?site_id=&amp;period=&amp;date=&amp;limit=</c>,
    /// <c>POST {pattern}/v2/query</c>, <c>GET {pattern}/export</c>, <c>GET {pattern}/realtime</c>, <c>GET {pattern}/sites</c>.
    /// Without authorization metadata it answers only loopback requests; add <c>.RequireAuthorization(policy)</c> on
    /// the returned builder, which covers every API endpoint.
    /// </summary>
    /// <exception cref="InvalidOperationException">AddBeacon was not called, or no store was chosen.</exception>
    public static IEndpointConventionBuilder MapBeaconApi(this IEndpointRouteBuilder endpoints, string pattern = "/beacon/api")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        BeaconServiceChecks.EnsureServices(endpoints.ServiceProvider);
        var group = endpoints.MapGroup(pattern);
        BeaconApiRegistry.Add(endpoints, pattern);
        group.AddEndpointFilter<LocalRequestsOnlyFilter>();
        group.AddEndpointFilter<StoreUnavailableFilter>();
        group.AddEndpointFilter(new QueryDurationFilter(endpoints.ServiceProvider.GetRequiredService<BeaconQueryMetrics>(), pattern));
        group.MapGet("/stats", StatsEndpoint.HandleAsync);
        group.MapPost("/v2/query", QueryEndpoint.HandleAsync);
        group.MapGet("/export", ExportEndpoint.HandleAsync);
        group.MapGet("/realtime", ExportEndpoint.RealtimeAsync);
        group.MapGet("/sites", SitesEndpoint.Handle);
        group.MapGet("/bots", (HttpContext context, BotLog log, SiteResolver sites) =>
        {
            var resolver = sites.For(context.User);
            var allowed = resolver.AllowedSiteIds; // null: every site
            // site_id narrows the list to one site, checked as a query's (unknown 404, outside a key's scope 403).
            string? only = null;
            var siteId = context.Request.Query["site_id"].ToString();
            if (siteId.Length > 0)
            {
                try
                {
                    only = resolver.ForQuery(siteId).Id;
                }
                catch (HitQueryException ex)
                {
                    return StatsEndpoint.Error(ex);
                }
            }

            return Results.Json(
                log.Snapshot().Where(e => only is null ? allowed?.Contains(e.SiteId) != false : string.Equals(e.SiteId, only, StringComparison.Ordinal))
                    .Select(e => new StatsBotEntry(e.Timestamp, e.SiteId, e.Path, e.Reason, e.Browser)).ToList(),
                StatsJsonContext.Default.ListStatsBotEntry);
        });
        return group;
    }
}

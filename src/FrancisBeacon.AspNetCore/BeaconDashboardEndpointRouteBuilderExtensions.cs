using FrancisBeacon.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the beacon's built-in dashboard.</summary>
public static class BeaconDashboardEndpointRouteBuilderExtensions
{
    /// <summary>The methods of the dashboard's pages and assets (and the share links'): GET, and HEAD for monitors.</summary>
    internal static readonly string[] GetOrHead = [HttpMethods.Get, HttpMethods.Head];

    /// <summary>
    /// Maps the dashboard under <paramref name="pattern"/>: the HTML page at <c>{pattern}</c> and <c>{pattern}/</c>,
    /// and its content-hashed assets under <c>{pattern}/assets/{hash}/</c>. The page is a client of the query API at
    /// <c>{pattern}/api</c>; when the app has not called <c>MapBeaconApi("{pattern}/api")</c> before, this maps the API
    /// there too. Without authorization metadata the dashboard (and the API it maps) answers only loopback requests;
    /// call <c>.RequireAuthorization(policy)</c> on the returned builder, which covers every endpoint it mapped.
    /// </summary>
    /// <exception cref="InvalidOperationException">AddBeacon was not called, or no store was chosen.</exception>
    public static IEndpointConventionBuilder MapBeaconDashboard(this IEndpointRouteBuilder endpoints, string pattern = "/beacon")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        BeaconServiceChecks.EnsureServices(endpoints.ServiceProvider);
        var prefix = BeaconApiRegistry.Normalize(pattern);
        var assets = BeaconDashboardAssets.Instance;
        var group = endpoints.MapGroup(prefix.Length == 0 ? "/" : prefix);

        // Routing ignores a trailing slash: this answers "{pattern}" and "{pattern}/". HEAD too (uptime monitors, link
        // checkers; Kestrel sends the headers without the body): a GET-only route answered it 405.
        group.MapMethods("/", GetOrHead, (HttpContext context) => BeaconDashboardAssets.Shell(context, prefix))
            .AddEndpointFilter<LocalRequestsOnlyFilter>()
            .ExcludeFromDescription();
        // path is optional: "assets/{hash}/" (or ".../x/..", which the server folds to it) is a 404, not a binding
        // failure (a 400 with an exception logged as "fail" in Development).
        group.MapMethods("/assets/{hash}/{**path}", GetOrHead, (HttpContext context, string hash, string? path) => assets.Serve(context, hash, path ?? ""))
            .AddEndpointFilter<LocalRequestsOnlyFilter>()
            .ExcludeFromDescription();

        var shareLinks = endpoints.ServiceProvider.GetService<BeaconTokenMarkerService>() is not null;
        if (shareLinks)
        {
            ShareLinkEndpoints.Map(group, prefix);
        }

        var apiPattern = prefix + "/api";
        var mappedApi = !BeaconApiRegistry.IsMapped(endpoints, apiPattern);
        if (mappedApi)
        {
            group.MapBeaconApi("/api");
        }

        var logger = endpoints.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger("FrancisBeacon.AspNetCore.Dashboard");
        if (logger is not null)
        {
            DashboardLog.Mapped(logger, prefix.Length == 0 ? "/" : prefix, apiPattern, mappedApi);
        }

        return group;
    }
}

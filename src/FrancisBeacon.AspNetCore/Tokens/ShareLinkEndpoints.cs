using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The dashboard's share surface, mapped by <c>MapBeaconDashboard</c> when AddTokens was called:
/// <c>{pattern}/share/{token}</c> (the dashboard shell, whose <c>&lt;base href&gt;</c> is the share URL itself),
/// <c>{pattern}/share/{token}/assets/…</c> and the read API under <c>{pattern}/share/{token}/api</c>: stats, v2/query,
/// realtime and sites only. These endpoints bypass the app's authorization policy (<c>AllowAnonymous</c>): the share
/// token in the path is the credential, checked on every request, and it scopes every answer to the link's one site.
/// </summary>
/// <remarks>
/// Because the shell's base is the share URL, the dashboard script's relative <c>api/…</c> and <c>assets/…</c> URLs reach
/// this surface unchanged: the script needs no share-specific code as long as it addresses the API relatively.
/// Raw export, the bot log and anything that changes data are not mapped here, so a share link cannot reach them.
/// </remarks>
internal static class ShareLinkEndpoints
{
    public const string RouteValue = "beaconShareToken";

    public static void Map(RouteGroupBuilder dashboard, string prefix)
    {
        var share = dashboard.MapGroup("/share/{" + RouteValue + "}");
        share.MapMethods("/", BeaconDashboardEndpointRouteBuilderExtensions.GetOrHead, (HttpContext context, BeaconTokenValidator tokens) => Shell(context, tokens, prefix))
            .AllowAnonymous()
            .ExcludeFromDescription();
        share.MapMethods("/assets/{hash}/{**path}", BeaconDashboardEndpointRouteBuilderExtensions.GetOrHead, (HttpContext context, BeaconTokenValidator tokens, string hash, string? path) =>
                Valid(context, tokens) ? BeaconDashboardAssets.Instance.Serve(context, hash, path ?? "") : NotFound(context))
            .AllowAnonymous()
            .ExcludeFromDescription();

        var api = share.MapGroup("/api");
        api.AllowAnonymous();
        api.ExcludeFromDescription();
        api.AddEndpointFilter<ShareTokenFilter>();
        api.AddEndpointFilter<StoreUnavailableFilter>();
        api.MapGet("/stats", StatsEndpoint.HandleAsync);
        api.MapPost("/v2/query", QueryEndpoint.HandleAsync);
        api.MapGet("/realtime", ExportEndpoint.RealtimeAsync);
        api.MapGet("/sites", SitesEndpoint.Handle);
    }

    private static IResult Shell(HttpContext context, BeaconTokenValidator tokens, string prefix)
    {
        if (!Valid(context, tokens))
        {
            return NotFound(context);
        }

        var token = (string)context.GetRouteValue(RouteValue)!;
        var baseHref = context.Request.PathBase.Add(new PathString(prefix + "/share/" + token)).ToUriComponent() + "/";
        context.Response.Headers["X-Robots-Tag"] = "noindex, nofollow";
        return BeaconDashboardAssets.ShellAt(context, baseHref);
    }

    /// <summary>Checks the route's share token and, when valid, makes its principal the request's user.</summary>
    internal static bool Valid(HttpContext context, BeaconTokenValidator tokens)
    {
        if (context.GetRouteValue(RouteValue) is not string token || tokens.ValidateShareLink(token) is not { } principal)
        {
            return false;
        }

        context.User = principal;
        return true;
    }

    private static IResult NotFound(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        return Results.Text(BeaconTokenValidator.InvalidShareLink, "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound);
    }
}

/// <summary>Lets a share-surface API call through only with a valid share token, as that token's principal.</summary>
internal sealed class ShareTokenFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (ShareLinkEndpoints.Valid(http, http.RequestServices.GetRequiredService<BeaconTokenValidator>()))
        {
            http.Response.Headers.CacheControl = "no-store";
            return await next(context);
        }

        return Results.Json(
            new StatsError(BeaconTokenValidator.InvalidShareLink, "authorization"),
            StatsJsonContext.Default.StatsError,
            statusCode: StatusCodes.Status401Unauthorized);
    }
}

using FrancisBeacon.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds the beacon's collection endpoints to the request pipeline.</summary>
public static class BeaconApplicationBuilderExtensions
{
    /// <summary>
    /// Serves <c>GET {PathPrefix}/hit.gif</c> (tracking pixel: page from <c>u</c> or the Referer header, document
    /// referrer from <c>r</c>) and <c>POST {PathPrefix}/event</c> (JSON event), with <c>PathPrefix</c> <c>/beacon</c>
    /// by default.
    /// </summary>
    /// <exception cref="InvalidOperationException">AddBeacon was not called, or no store was chosen.</exception>
    public static IApplicationBuilder UseBeacon(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        BeaconServiceChecks.EnsureServices(app.ApplicationServices);
        return app.UseMiddleware<BeaconMiddleware>();
    }
}

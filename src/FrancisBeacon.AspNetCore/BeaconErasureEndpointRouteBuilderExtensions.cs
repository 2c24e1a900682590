using FrancisBeacon.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the beacon's opt-in erasure endpoint.</summary>
public static class BeaconErasureEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>DELETE {pattern}/hits?site_id=…[&amp;from=YYYY-MM-DD][&amp;to=YYYY-MM-DD]</c> and
    /// <c>GET {pattern}/erasures/{id}</c>; the first deletes a site's
    /// hits (all of them, or those of the inclusive local days from/to in the site's time zone) through
    /// <see cref="FrancisBeacon.IBeaconDataEraser"/> and answers <c>{"site_id","from","to","deleted"}</c>.
    /// </summary>
    /// <remarks>
    /// <para>The erasure runs detached from the request: a client that gives up or a proxy that times the request out
    /// does not stop it; only the app's shutdown does. The request waits for it at most
    /// <see cref="BeaconErasureOptions.AnswerWithin"/> (default 20 s) and then answers <c>202 Accepted</c> with
    /// <c>{"id","site_id","from","to","status":"running"}</c> (or <c>"queued"</c>), <c>Retry-After</c>, and in
    /// <c>Location</c> the erasure's status resource, <c>GET {pattern}/erasures/{id}</c> (also mapped here, under the same
    /// policy): poll it until its <c>status</c> is <c>succeeded</c> (with <c>deleted</c>), <c>failed</c> or
    /// <c>stopped</c>; it is kept for 10 minutes after the erasure ends. The same <c>DELETE</c> sent while the erasure
    /// is queued or running joins it; sent after it ended, it erases the range again (hits accepted meanwhile too). At
    /// most one erasure per site, range and process runs at once, one per site and two in all. An erasure that fails while
    /// its request waits is answered <c>503</c> with <c>Retry-After</c> when the store did not answer, <c>500</c> with a
    /// JSON error otherwise.</para>
    /// <para>The endpoint is never mapped by <c>MapBeaconApi</c> or <c>MapBeaconDashboard</c>, and it always requires
    /// <paramref name="authorizationPolicy"/>: the loopback-only default of the read API does not apply to it. It
    /// answers only <c>DELETE</c>, which a cross-site page can send only after a CORS preflight, and refuses requests
    /// whose <c>Sec-Fetch-Site</c> holds anything but <c>same-origin</c> or <c>none</c>. Give the policy a non-cookie scheme
    /// (a bearer token or an API key) so that a browser never adds the credentials on its own; see
    /// docs/privacy.md.</para>
    /// </remarks>
    /// <param name="endpoints">The app's endpoints.</param>
    /// <param name="pattern">The prefix, usually the read API's: <c>/beacon/api</c>.</param>
    /// <param name="authorizationPolicy">The name of the authorization policy a caller must satisfy. Required.</param>
    /// <param name="configure">Changes the endpoint's options (how long a request waits for its erasure); optional.</param>
    /// <returns>The endpoint's convention builder.</returns>
    /// <exception cref="InvalidOperationException">AddBeacon was not called, or no store was chosen.</exception>
    public static IEndpointConventionBuilder MapBeaconErasureApi(this IEndpointRouteBuilder endpoints, string pattern, string authorizationPolicy, Action<BeaconErasureOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentException.ThrowIfNullOrWhiteSpace(authorizationPolicy);
        BeaconServiceChecks.EnsureServices(endpoints.ServiceProvider);
        var options = new BeaconErasureOptions();
        configure?.Invoke(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.AnswerWithin, TimeSpan.Zero, "options.AnswerWithin");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.AnswerWithin, TimeSpan.FromHours(1), "options.AnswerWithin");
        var prefix = pattern.TrimEnd('/');
        var endpoint = new ErasureEndpoint(options);
        var group = endpoints.MapGroup(prefix.Length == 0 ? "/" : prefix);
        group.MapDelete("/hits", endpoint.HandleAsync).AddEndpointFilter<StoreUnavailableFilter>();
        group.MapGet("/erasures/{id}", ErasureEndpoint.HandleStatus);
        return group.RequireAuthorization(authorizationPolicy).ExcludeFromDescription();
    }
}

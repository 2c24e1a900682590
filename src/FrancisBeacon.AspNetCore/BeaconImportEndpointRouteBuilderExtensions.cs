// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.AspNetCore;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the beacon's opt-in import endpoint.</summary>
public static class BeaconImportEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>POST {pattern}/import?site_id=…[&amp;format=ndjson|csv]</c>, which reads an export file of the site (the
    /// body, as <c>GET {api}/export</c> writes it; optionally <c>Content-Encoding: gzip</c>) and appends its hits to the
    /// store in batches, answering <c>{"site_id","format","read","appended"}</c>.
    /// </summary>
    /// <remarks>
    /// <para>The endpoint is never mapped by <c>MapBeaconApi</c> or <c>MapBeaconDashboard</c>, and it always requires
    /// <paramref name="authorizationPolicy"/>: the loopback-only default of the read API does not apply to it. Beacon
    /// tokens (API keys, share links) are refused; so are requests whose <c>Sec-Fetch-Site</c> holds anything but
    /// <c>same-origin</c> or <c>none</c>, and bodies sent as a form could send them (no <c>Content-Type</c>, or
    /// <c>application/x-www-form-urlencoded</c>, <c>multipart/form-data</c>, <c>text/plain</c>: <c>415</c>).</para>
    /// <para>Every hit must belong to the site named by <c>site_id</c> and lie at most an hour in the future. A line that
    /// is not a hit of the export is answered <c>400</c> with its number, after every hit before it was stored; hits
    /// keep their ids and a store skips ids it holds, so sending the file again is safe. A body over
    /// <see cref="BeaconImportOptions.MaxRequestBodySize"/> is answered <c>413</c>; a store that is down <c>503</c>.
    /// One import of a site runs at a time in the process (another one is answered <c>409</c> with <c>Retry-After</c>),
    /// and at most <see cref="BeaconImportOptions.MaxConcurrentImports"/> in all (<c>503</c> with <c>Retry-After</c>).
    /// See docs/import.md.</para>
    /// </remarks>
    /// <param name="endpoints">The app's endpoints.</param>
    /// <param name="pattern">The prefix, usually the read API's: <c>/beacon/api</c>.</param>
    /// <param name="authorizationPolicy">The name of the authorization policy a caller must satisfy. Required.</param>
    /// <param name="configure">Changes the endpoint's options (body size limit, batch size); optional.</param>
    /// <returns>The endpoint's convention builder.</returns>
    /// <exception cref="InvalidOperationException">AddBeacon was not called, or no store was chosen.</exception>
    public static IEndpointConventionBuilder MapBeaconImportApi(this IEndpointRouteBuilder endpoints, string pattern, string authorizationPolicy, Action<BeaconImportOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentException.ThrowIfNullOrWhiteSpace(authorizationPolicy);
        BeaconServiceChecks.EnsureServices(endpoints.ServiceProvider);
        var options = new BeaconImportOptions();
        configure?.Invoke(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxRequestBodySize, 1, "options.MaxRequestBodySize");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1, "options.BatchSize");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.BatchSize, 100_000, "options.BatchSize");
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrentImports, 1, "options.MaxConcurrentImports");
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.MaxConcurrentImports, 64, "options.MaxConcurrentImports");
        var endpoint = new ImportEndpoint(options);
        return endpoints.MapPost(pattern.TrimEnd('/') + "/import", endpoint.HandleAsync)
            .AddEndpointFilter<StoreUnavailableFilter>()
            .RequireAuthorization(authorizationPolicy)
            .ExcludeFromDescription();
    }
}

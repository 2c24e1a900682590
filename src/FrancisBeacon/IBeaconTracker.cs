namespace FrancisBeacon;

/// <summary>
/// Records custom events from the app's own code, for example a purchase after the app's database commit.
/// Registered by <c>AddBeacon</c>; inject it where the event happens.
/// </summary>
/// <remarks>
/// <para>Inside a request, the event belongs to the current request's visitor (the same daily hash of client
/// address and user agent the page's hits get) and to the page its <c>url</c> names, or else the page the
/// request came from (its <c>Referer</c> on the same host), or else the request's own URL. Outside a request
/// (a background job, a webhook handled later) <c>url</c> is required, it decides the site by its host name, and
/// the event has no visitor (visitor id 0).</para>
/// <para>Events from app code are never treated as bot traffic, but the site's consent settings (Global Privacy
/// Control, Do-Not-Track) apply to the current request. Like every hit, the event is queued and written in the
/// background: the call never waits for the database.</para>
/// </remarks>
public interface IBeaconTracker
{
    /// <summary>Queues a custom event.</summary>
    /// <param name="name">The event name, e.g. <c>Purchase</c>; at most 256 printable characters.</param>
    /// <param name="props">Custom properties (at most 30; keys up to 256, values up to 2 048 characters).</param>
    /// <param name="revenue">The revenue the event brought, if any; needs <paramref name="currency"/>.</param>
    /// <param name="currency">The ISO 4217 code of <paramref name="revenue"/>: three upper-case letters (<c>EUR</c>).</param>
    /// <param name="url">The page the event belongs to (absolute <c>http</c>/<c>https</c>); required outside a request.</param>
    /// <param name="cancellationToken">Cancels the call before the event is queued.</param>
    /// <returns>A task that completes when the event is queued (or dropped and counted, e.g. for an unknown site).</returns>
    /// <exception cref="ArgumentException">The name, props, revenue, currency or URL is invalid, or no URL is known outside a request.</exception>
    ValueTask TrackAsync(
        string name,
        IReadOnlyDictionary<string, string>? props = null,
        decimal? revenue = null,
        string? currency = null,
        string? url = null,
        CancellationToken cancellationToken = default);
}

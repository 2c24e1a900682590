namespace FrancisBeacon;

/// <summary>
/// Page views (and optionally 404s and server errors) recorded by <c>UseBeacon</c>'s middleware from the app's own
/// HTML responses, with no script and no pixel. Off by default. See docs/tracking.md for what it can and cannot tell.
/// </summary>
/// <remarks>
/// A response is recorded when the request is a <c>GET</c> navigation (its <c>Sec-Fetch-Dest</c> is
/// <c>document</c>, or, when the browser sends no <c>Sec-Fetch-Dest</c>, its <c>Accept</c> names <c>text/html</c>),
/// it is not a prefetch (<c>Sec-Purpose</c> or <c>Purpose</c> containing <c>prefetch</c>), its path is not excluded,
/// and the app answered it with a 2xx status and <c>Content-Type: text/html</c> (or with 404 or 5xx, when those
/// are switched on). The hit then goes through the same pipeline as every other hit: sites, consent, bot filter,
/// visitor id.
/// </remarks>
public sealed class ServerSideTrackingOptions
{
    /// <summary>Record page views from the app's own HTML responses. Default: <see langword="false"/>.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// Record a navigation the app answers with 404 as the event <c>404</c> with the prop <c>path</c>, whatever the
    /// response's content type. Default: <see langword="false"/>.
    /// </summary>
    public bool TrackNotFound { get; set; }

    /// <summary>
    /// Record a navigation the app answers with a 5xx status (or that throws) as the event <c>Server Error</c> with
    /// the prop <c>status</c> (<c>500</c>, <c>503</c>, …). Default: <see langword="false"/>.
    /// </summary>
    public bool TrackServerErrors { get; set; }

    /// <summary>
    /// Path prefixes never recorded, compared by whole segments and case-insensitively: <c>/admin</c> excludes
    /// <c>/admin</c> and <c>/admin/users</c>, not <c>/administrator</c>. Each must start with <c>/</c>. The beacon's
    /// own <see cref="BeaconOptions.PathPrefix"/> is always excluded. Default: empty.
    /// </summary>
    public IList<string> ExcludePaths { get; } = [];

    /// <summary>
    /// Hold each page view until the page's HTML loads a tiny confirmation image
    /// (<c>{PathPrefix}/c/{token}.gif</c>, written by <c>TrackerScript.ConfirmationTag</c> or the
    /// <c>&lt;beacon-confirm /&gt;</c> tag helper), and drop it (counted as <c>unconfirmed</c>) when the image is not
    /// loaded within <see cref="ConfirmationTimeout"/>. This drops clients that fetch HTML but never render it
    /// (most bots, link previews, HTTP libraries). Pending page views live in memory only, keyed by a random token.
    /// Default: <see langword="false"/>.
    /// </summary>
    public bool RequireConfirmation { get; set; }

    /// <summary>
    /// How long a page view waits for its confirmation image before it is dropped as <c>unconfirmed</c>; between
    /// 1 second and 10 minutes. Default: 30 seconds.
    /// </summary>
    public TimeSpan ConfirmationTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

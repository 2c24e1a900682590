namespace FrancisBeacon;

/// <summary>
/// Endpoints that accept the JSON of other analytics trackers, so a site can keep its existing snippet while its
/// data moves home. Each is off by default: their paths (<c>/api/event</c>, <c>/api/send</c>) sit outside
/// <see cref="BeaconOptions.PathPrefix"/>, because the official trackers post there, and would shadow an app's own
/// route of the same path.
/// </summary>
public sealed class BeaconCompatibilityOptions
{
    /// <summary>
    /// Accept Plausible's <c>POST /api/event</c> (the JSON its tracker sends; answered <c>202 ok</c>).
    /// Default: <see langword="false"/>.
    /// </summary>
    public bool Plausible { get; set; }

    /// <summary>
    /// Accept Umami's <c>POST /api/send</c> (the JSON its tracker sends; answered <c>200</c> with a small JSON body).
    /// Default: <see langword="false"/>.
    /// </summary>
    public bool Umami { get; set; }
}

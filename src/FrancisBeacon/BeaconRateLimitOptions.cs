namespace FrancisBeacon;

/// <summary>
/// Optional per-client rate limiting of the collection endpoints (<c>hit.gif</c>, <c>event</c>, the confirmation
/// image and the drop-in <c>/api/event</c> and <c>/api/send</c>). Clients are told apart by their network address,
/// masked to <see cref="Ipv4PrefixLength"/> or <see cref="Ipv6PrefixLength"/> bits; the counters live in memory
/// only and the address is never stored or logged. Off by default.
/// </summary>
/// <remarks>
/// A fixed window from <c>System.Threading.RateLimiting</c> (the engine of ASP.NET Core's rate limiter) per client:
/// at most <see cref="PermitLimit"/> requests per <see cref="Window"/>. Behind a reverse proxy, configure
/// <c>UseForwardedHeaders</c> first, or every visitor shares the proxy's address. Server-side tracking of the app's
/// own pages is not limited here (the app's own rate limiting covers those pages).
/// </remarks>
public sealed class BeaconRateLimitOptions
{
    /// <summary>Whether the limit applies. Default: <see langword="false"/>.</summary>
    public bool Enabled { get; set; }

    /// <summary>How many collection requests one client may send per <see cref="Window"/> (1–1 000 000). Default: 120.</summary>
    public int PermitLimit { get; set; } = 120;

    /// <summary>The length of one counting window (1 second to 1 hour). Default: 1 minute.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>What a client over the limit gets. Default: <see cref="BeaconRateLimitAction.Reject"/>.</summary>
    public BeaconRateLimitAction Action { get; set; } = BeaconRateLimitAction.Reject;

    /// <summary>How many leading bits of an IPv4 address identify one client (8–32). Default: 32.</summary>
    public int Ipv4PrefixLength { get; set; } = 32;

    /// <summary>How many leading bits of an IPv6 address identify one client (16–128). Default: 64 (one subnet, as ISPs hand out /64s).</summary>
    public int Ipv6PrefixLength { get; set; } = 64;
}

/// <summary>What the collection endpoints answer to a client over its rate limit.</summary>
public enum BeaconRateLimitAction
{
    /// <summary><c>429 Too Many Requests</c> with <c>Retry-After</c>; the hit is dropped and counted as <c>rate_limited</c>.</summary>
    Reject,

    /// <summary>The usual success answer, so the client cannot tell; the hit is dropped and counted as <c>rate_limited</c>.</summary>
    Drop,
}

namespace FrancisBeacon.Enrichment;

/// <summary>
/// One step of the hit pipeline: it reads the hit built so far and the request it came from, and fills fields in
/// (<c>context.Hit = context.Hit with { ... }</c>) or drops the hit (<see cref="HitEnrichmentContext.Drop"/>).
/// </summary>
/// <remarks>
/// <para>Steps run on the request thread, in ascending <see cref="Order"/>, so they must be fast, synchronous,
/// thread-safe singletons that never touch a database or the network. The built-in steps use the orders in
/// <see cref="HitEnricherOrder"/>; put your own step between them, for example at
/// <c>HitEnricherOrder.Bots + 10</c> to drop staff traffic by IP range before anything else runs.</para>
/// <para>Register with <c>AddBeacon().AddEnricher&lt;T&gt;()</c>. A step must never store or log
/// <see cref="HitRequestSignals.ClientIp"/> or <see cref="HitRequestSignals.UserAgent"/>.</para>
/// </remarks>
public interface IHitEnricher
{
    /// <summary>Where the step runs; lower runs first.</summary>
    int Order { get; }

    /// <summary>Enriches or drops the hit.</summary>
    void Enrich(HitEnrichmentContext context);
}

/// <summary>The orders of the built-in steps.</summary>
public static class HitEnricherOrder
{
    /// <summary>Drops crawlers, headless browsers and prefetches.</summary>
    public const int Bots = 100;

    /// <summary>Honours Global Privacy Control and Do-Not-Track where the site asks for it.</summary>
    public const int Consent = 200;

    /// <summary>Classifies the referrer: source name and channel; drops referrer spam.</summary>
    public const int Referrer = 300;

    /// <summary>Parses browser, operating system and device.</summary>
    public const int UserAgent = 400;

    /// <summary>Looks up country, region and city.</summary>
    public const int Geography = 500;

    /// <summary>Derives the cookie-less visitor id; the last built-in step.</summary>
    public const int VisitorId = 900;
}

/// <summary>Where a hit came from.</summary>
public enum HitSource
{
    /// <summary>The tracking pixel (<c>GET hit.gif</c>).</summary>
    Pixel,

    /// <summary>The JSON event endpoint, called by script.</summary>
    Script,

    /// <summary>A page view recorded by the server from the app's own response, with no script.</summary>
    Server,

    /// <summary>An event tracked from app code (<c>IBeaconTracker</c>).</summary>
    Tracker,
}

/// <summary>
/// What the request that carried a hit said about its sender. Lives only in memory while the hit is built: never
/// stored, never logged.
/// </summary>
public sealed class HitRequestSignals
{
    private readonly Func<string, string?> _header;

    /// <summary>Creates the signals.</summary>
    /// <param name="source">Where the hit came from.</param>
    /// <param name="clientIp">The client address as ASP.NET Core resolved it.</param>
    /// <param name="header">Reads a request header by name (case-insensitive); <see langword="null"/> when absent.</param>
    /// <param name="isHttps">Whether the request came over HTTPS (after forwarded-headers handling).</param>
    public HitRequestSignals(HitSource source, System.Net.IPAddress? clientIp, Func<string, string?> header, bool isHttps = false)
    {
        ArgumentNullException.ThrowIfNull(header);
        Source = source;
        ClientIp = clientIp;
        _header = header;
        IsHttps = isHttps;
    }

    /// <summary>Whether the request came over HTTPS; browsers send <c>Sec-Fetch-*</c> headers only then.</summary>
    public bool IsHttps { get; }

    /// <summary>Where the hit came from.</summary>
    public HitSource Source { get; }

    /// <summary>The client address (after forwarded-headers handling). Never store or log it.</summary>
    public System.Net.IPAddress? ClientIp { get; }

    /// <summary>The <c>User-Agent</c> header. Never store or log it.</summary>
    public string? UserAgent => Header("User-Agent");

    /// <summary>Reads a request header by name; <see langword="null"/> when absent or empty.</summary>
    public string? Header(string name)
    {
        var value = _header(name);
        return string.IsNullOrEmpty(value) ? null : value;
    }
}

/// <summary>One hit on its way through the pipeline.</summary>
public sealed class HitEnrichmentContext
{
    /// <summary>Creates the context.</summary>
    public HitEnrichmentContext(Hit hit, HitRequestSignals request, TimeZoneInfo siteTimeZone)
    {
        ArgumentNullException.ThrowIfNull(hit);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(siteTimeZone);
        Hit = hit;
        Request = request;
        SiteTimeZone = siteTimeZone;
    }

    /// <summary>The hit built so far; steps replace it (<c>with</c>) to fill fields.</summary>
    public Hit Hit { get; set; }

    /// <summary>The request the hit came from.</summary>
    public HitRequestSignals Request { get; }

    /// <summary>The time zone of the hit's site.</summary>
    public TimeZoneInfo SiteTimeZone { get; }

    /// <summary>Why the hit was dropped, or <see langword="null"/> while it is kept.</summary>
    public string? DropReason { get; private set; }

    /// <summary>What a step found out about the request that later steps may use (for example the bot verdict).</summary>
    public IDictionary<string, object?> Items { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>
    /// Drops the hit: it is not stored, and <c>beacon.hits.dropped</c> counts it under <paramref name="reason"/>
    /// (a short lower_snake_case word such as <c>bot</c> or <c>internal_traffic</c>). Later steps do not run.
    /// </summary>
    public void Drop(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        DropReason ??= reason;
    }
}

namespace FrancisBeacon.Enrichment;

/// <summary>
/// The parts of a request <see cref="BotDetector"/> looks at, as plain header strings (so the detector knows nothing
/// of ASP.NET Core). A header that was not sent is <see langword="null"/> or empty.
/// </summary>
public sealed record BotSignals
{
    /// <summary>The <c>User-Agent</c> header.</summary>
    public string? UserAgent { get; init; }

    /// <summary>The <c>Accept-Language</c> header.</summary>
    public string? AcceptLanguage { get; init; }

    /// <summary>The <c>Accept</c> header.</summary>
    public string? Accept { get; init; }

    /// <summary>The legacy <c>Purpose</c> header (Chrome and Safari send <c>prefetch</c> on prefetches).</summary>
    public string? Purpose { get; init; }

    /// <summary>The <c>Sec-Purpose</c> header (<c>prefetch</c>, or <c>prefetch;prerender</c>).</summary>
    public string? SecPurpose { get; init; }

    /// <summary>The <c>Sec-Fetch-Site</c> header (<c>same-origin</c>, <c>same-site</c>, <c>cross-site</c>, <c>none</c>).</summary>
    public string? SecFetchSite { get; init; }

    /// <summary>The <c>Sec-Fetch-Mode</c> header (<c>navigate</c>, <c>cors</c>, <c>no-cors</c>, <c>same-origin</c>, ...).</summary>
    public string? SecFetchMode { get; init; }

    /// <summary>The <c>Sec-Fetch-Dest</c> header (<c>document</c>, <c>image</c>, <c>empty</c>, <c>script</c>, ...).</summary>
    public string? SecFetchDest { get; init; }

    /// <summary>The <c>Sec-CH-UA</c> client hint, which only Chromium-based browsers send. Optional.</summary>
    public string? SecChUa { get; init; }

    /// <summary>
    /// <see langword="true"/> when the hit came from the tracker script (the JSON event endpoint, sent with
    /// <c>fetch</c> or <c>sendBeacon</c>); <see langword="false"/> for the pixel and for server-side page views.
    /// A script request is expected to carry <c>Sec-Fetch-Dest: empty</c>, the others <c>image</c> or <c>document</c>.
    /// </summary>
    public bool IsScriptRequest { get; init; }

    /// <summary>
    /// <see langword="true"/> when the browser reached the app over HTTPS (after forwarded headers are applied).
    /// Browsers send <c>Sec-Fetch-*</c> only to secure origins, so their absence is held against a request only
    /// when this is set. Default: <see langword="false"/>, which keeps that check off.
    /// </summary>
    public bool IsHttps { get; init; }
}

namespace FrancisBeacon.Enrichment;

/// <summary>
/// Switches for the header heuristics of <see cref="BotDetector"/>. Every switch is on by default. The user-agent
/// pattern rules (<see cref="BotReasons.UserAgentPattern"/>, <see cref="BotReasons.HeadlessBrowser"/>,
/// <see cref="BotReasons.Automation"/>) cannot be switched off.
/// </summary>
/// <remarks>
/// Bind it from configuration like any options class. A <see cref="BotDetector"/> copies the switches when it is
/// constructed; changing the object afterwards does not change that detector.
/// </remarks>
public sealed class BotDetectorOptions
{
    /// <summary>
    /// Flag requests without a <c>User-Agent</c> header (reason <see cref="BotReasons.EmptyUserAgent"/>).
    /// Every browser sends one. False-positive risk: none known for browsers; only a privacy proxy that strips the
    /// header entirely would be caught. Default: <see langword="true"/>.
    /// </summary>
    public bool FlagEmptyUserAgent { get; set; } = true;

    /// <summary>
    /// Flag user agents that lack the shape every browser's user agent has had for twenty years (reason
    /// <see cref="BotReasons.NonBrowserUserAgent"/>): it must start with <c>Mozilla/</c> (or <c>Opera/</c> for old
    /// Presto Opera), go on with <c>Mozilla/N.N (</c>, name a rendering engine (<c>AppleWebKit/</c>, <c>Gecko/</c>,
    /// <c>Trident/</c>, <c>Presto/</c> or <c>MSIE</c>), and not be a bare <c>(compatible; ...)</c> without MSIE.
    /// This catches HTTP libraries, feed readers, chat-app link fetchers (<c>WhatsApp/2.23</c>) and most unnamed
    /// scripts. False-positive risk: low; a user who replaced their user agent with a custom string, native apps
    /// that load pages with their own user agent, text browsers (Lynx, w3m). Default: <see langword="true"/>.
    /// </summary>
    public bool FlagNonBrowserUserAgent { get; set; } = true;

    /// <summary>
    /// Flag prefetches and prerenders (reason <see cref="BotReasons.Prefetch"/>): a <c>Purpose</c> or
    /// <c>Sec-Purpose</c> header containing <c>prefetch</c> (also <c>prefetch;prerender</c>). A prefetched page may
    /// never be seen, so it is not a page view. False-positive risk: a prerendered page the user then opens is not
    /// counted by a server-side page view; the tracker script counts it when it becomes visible (its beacon does not
    /// carry the header). Default: <see langword="true"/>.
    /// </summary>
    public bool FlagPrefetch { get; set; } = true;

    /// <summary>
    /// Flag browser-looking user agents (starting with <c>Mozilla/</c>) that send no <c>Accept-Language</c> (reason
    /// <see cref="BotReasons.MissingAcceptLanguage"/>). Chrome, Firefox, Safari, Edge and their WebViews send it on
    /// navigations, images, <c>fetch</c> and <c>sendBeacon</c>; scripts faking a browser user agent often forget it.
    /// False-positive risk: low; privacy proxies or extensions that strip the header, some corporate gateways.
    /// Default: <see langword="true"/>.
    /// </summary>
    public bool FlagMissingAcceptLanguage { get; set; } = true;

    /// <summary>
    /// Flag browser-looking user agents that send no <c>Accept</c> header at all (reason
    /// <see cref="BotReasons.MissingAccept"/>). Browsers always send one (<c>*/*</c> at least); Go's and several other
    /// HTTP clients send none. False-positive risk: very low. Default: <see langword="true"/>.
    /// </summary>
    public bool FlagMissingAccept { get; set; } = true;

    /// <summary>
    /// Flag <c>Sec-Fetch-*</c> headers that contradict the user agent or the endpoint (reason
    /// <see cref="BotReasons.SecFetchInconsistent"/>). Three checks:
    /// <list type="number">
    /// <item>Over HTTPS only (<see cref="BotSignals.IsHttps"/>), a user agent of Chrome or Edge 80 or later,
    /// Firefox 90 or later, or desktop or iOS Safari 17 or later, with no <c>Sec-Fetch-Mode</c>: those browsers send
    /// it on every request to a secure origin. WebViews, in-app browsers and other Chromium forks are not checked,
    /// since their version tokens are less trustworthy.</item>
    /// <item>The same browsers at a version that predates the headers (Chrome or Edge before 76, Firefox before 90,
    /// Safari before 16, Internet Explorer) sending <c>Sec-Fetch-Mode</c>: a newer engine is posing as an old browser.
    /// On iOS the engine's version is the iOS version (an app may put any <c>Version/</c> in its user agent).</item>
    /// <item>The destination does not fit the endpoint: a script request (<see cref="BotSignals.IsScriptRequest"/>)
    /// with <c>Sec-Fetch-Dest</c> <c>document</c>, <c>iframe</c>, <c>frame</c>, <c>embed</c> or <c>object</c>, with
    /// <c>Sec-Fetch-Mode: navigate</c>, or with <c>Sec-Fetch-Site: none</c> (someone opened the endpoint by hand);
    /// a pixel or page view whose <c>Sec-Fetch-Dest</c> is a script, style, font, worker, media track or manifest.</item>
    /// </list>
    /// False-positive risk: low; a TLS-intercepting proxy that drops unknown headers would trip the first check
    /// (so <see cref="BotSignals.IsHttps"/> must reflect the browser's scheme, not the proxy's), and a browser
    /// extension that rewrites the user agent to an old browser would trip the second. Default: <see langword="true"/>.
    /// </summary>
    public bool FlagSecFetchInconsistency { get; set; } = true;

    /// <summary>
    /// Flag <c>Sec-CH-UA</c> client hints that contradict the user agent (reason
    /// <see cref="BotReasons.ClientHintsInconsistent"/>): hints on a request whose user agent claims Firefox, Safari or
    /// Internet Explorer (only Chromium-based browsers send them), or hints whose <c>"Chromium";v="N"</c> brand differs
    /// from the Chrome major of a Chrome or Edge user agent. Both mean a Chromium engine, often headless, wearing a
    /// made-up user agent. False-positive risk: a Chromium user with an extension that rewrites the user agent string
    /// but not the hints. Default: <see langword="true"/>.
    /// </summary>
    public bool FlagClientHintsInconsistency { get; set; } = true;
}

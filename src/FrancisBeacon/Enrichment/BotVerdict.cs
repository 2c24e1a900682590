namespace FrancisBeacon.Enrichment;

/// <summary>What <see cref="BotDetector"/> decided about one request.</summary>
/// <param name="IsBot"><see langword="true"/> when the request should not count as a human visit.</param>
/// <param name="Reason">
/// Why, as one of the stable lower_snake names in <see cref="BotReasons"/> (for logs and metrics); <see langword="null"/>
/// for a human.
/// </param>
public readonly record struct BotVerdict(bool IsBot, string? Reason)
{
    /// <summary>The verdict for a request that looks human.</summary>
    public static BotVerdict Human => default;

    /// <summary>A bot verdict with its reason.</summary>
    /// <param name="reason">One of <see cref="BotReasons"/>.</param>
    /// <returns>The verdict.</returns>
    public static BotVerdict Bot(string reason) => new(true, reason);
}

/// <summary>
/// The reasons <see cref="BotDetector"/> gives. They are stable names: logs, metrics and dashboards may key on them.
/// </summary>
public static class BotReasons
{
    /// <summary>The user agent names a crawler, bot, HTTP library, monitoring or SEO tool, link-preview fetcher or AI crawler.</summary>
    public const string UserAgentPattern = "user_agent_pattern";

    /// <summary>The user agent or the <c>Sec-CH-UA</c> hint names a headless browser (HeadlessChrome, PhantomJS, ...).</summary>
    public const string HeadlessBrowser = "headless_browser";

    /// <summary>The user agent names a browser-automation or page-testing tool (Selenium, Puppeteer, Playwright, Lighthouse, ...).</summary>
    public const string Automation = "automation";

    /// <summary>The <c>User-Agent</c> header is missing or blank.</summary>
    public const string EmptyUserAgent = "empty_user_agent";

    /// <summary>The user agent does not have the shape every browser's has (<c>Mozilla/5.0 (platform) engine ...</c>).</summary>
    public const string NonBrowserUserAgent = "non_browser_user_agent";

    /// <summary>The request is a prefetch or prerender (<c>Purpose</c> or <c>Sec-Purpose</c> header).</summary>
    public const string Prefetch = "prefetch";

    /// <summary>A browser-looking user agent sent no <c>Accept-Language</c>.</summary>
    public const string MissingAcceptLanguage = "missing_accept_language";

    /// <summary>A browser-looking user agent sent no <c>Accept</c>.</summary>
    public const string MissingAccept = "missing_accept";

    /// <summary>The <c>Sec-Fetch-*</c> headers contradict the user agent or the endpoint.</summary>
    public const string SecFetchInconsistent = "sec_fetch_inconsistent";

    /// <summary>
    /// A <c>Sec-CH-UA</c> client hint came with a user agent of a browser that never sends one, or names another
    /// Chromium version than the user agent.
    /// </summary>
    public const string ClientHintsInconsistent = "client_hints_inconsistent";
}

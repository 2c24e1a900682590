using System.Collections.Concurrent;
using System.Globalization;

namespace FrancisBeacon.Enrichment;

/// <summary>
/// Tells people from bots by the request's headers, so that crawlers, monitors, previews and scripts do not count as
/// visits. Thread-safe; build one per options value and share it.
/// </summary>
/// <remarks>
/// <para>The rules run in this order, and the first that matches gives the <see cref="BotVerdict.Reason"/>. Only the
/// first <see cref="UserAgentParser.MaxLength"/> characters of the user agent are looked at.</para>
/// <list type="number">
/// <item><see cref="BotReasons.EmptyUserAgent"/> (switch <see cref="BotDetectorOptions.FlagEmptyUserAgent"/>): no
/// <c>User-Agent</c>, or only white space.</item>
/// <item><see cref="BotReasons.HeadlessBrowser"/> (always on): the user agent names a headless browser or renderer
/// (HeadlessChrome, PhantomJS, SlimerJS, HtmlUnit, jsdom, Splash, wkhtmltopdf, Prerender, Rendertron), or the
/// <c>Sec-CH-UA</c> hint carries the <c>HeadlessChrome</c> brand. False-positive risk: none known.</item>
/// <item><see cref="BotReasons.Automation"/> (always on): the user agent names a browser-automation, page-speed or
/// synthetic-monitoring tool (Selenium, WebDriver, Puppeteer, Playwright, Cypress, Lighthouse and
/// Chrome-Lighthouse, PageSpeed, WebPageTest's PTST, GTmetrix, New Relic, Datadog and Dynatrace synthetics,
/// ThousandEyes, Catchpoint, BrowserStack, Sauce Labs, LambdaTest). False-positive risk: a developer's own tests,
/// which should not count anyway.</item>
/// <item><see cref="BotReasons.UserAgentPattern"/> (always on): the user agent names a crawler or tool, either by
/// a word bots use to describe themselves (bot, crawler, spider, fetcher, preview, monitor, checker, scanner,
/// validator, archiver, feed, proxy, a URL or e-mail address, ...), by an HTTP library (curl, Wget,
/// python-requests, Go-http-client, Java/, okhttp, axios, node-fetch, libwww-perl, ...), or by name: search
/// engines (Googlebot and every other Google fetcher, Bing, Yandex, Baidu, Applebot), social previews
/// (facebookexternalhit, meta-externalagent, Embedly, Iframely, Bluesky, Mastodon), monitoring (UptimeRobot,
/// Pingdom, StatusCake, Site24x7, Uptime Kuma, Zabbix, Nagios), SEO and audit tools (Ahrefs, Semrush, MJ12,
/// Screaming Frog, Sistrix, Siteimprove, Silktide), security scanners (zgrab, Nmap, Nikto, OpenVAS, Acunetix) and
/// AI crawlers (GPTBot, ChatGPT-User, ClaudeBot, anthropic-ai, CCBot, PerplexityBot, Bytespider, cohere-ai,
/// Amazonbot). False-positive risk: low; the word rules are chosen so that no browser in the shipped real-browser
/// corpus matches them (the Cubot phone brand is excepted from <c>bot</c>), but an in-app browser that appends such
/// a word to its user agent would be caught.</item>
/// <item><see cref="BotReasons.NonBrowserUserAgent"/> (switch <see cref="BotDetectorOptions.FlagNonBrowserUserAgent"/>):
/// the user agent lacks the shape of a browser's, as described on that switch.</item>
/// <item><see cref="BotReasons.Prefetch"/> (switch <see cref="BotDetectorOptions.FlagPrefetch"/>).</item>
/// <item><see cref="BotReasons.ClientHintsInconsistent"/> (switch
/// <see cref="BotDetectorOptions.FlagClientHintsInconsistency"/>).</item>
/// <item><see cref="BotReasons.SecFetchInconsistent"/> (switch <see cref="BotDetectorOptions.FlagSecFetchInconsistency"/>).</item>
/// <item><see cref="BotReasons.MissingAccept"/> (switch <see cref="BotDetectorOptions.FlagMissingAccept"/>).</item>
/// <item><see cref="BotReasons.MissingAcceptLanguage"/> (switch <see cref="BotDetectorOptions.FlagMissingAcceptLanguage"/>).</item>
/// </list>
/// <para>Each switch's documentation says exactly what its rule checks and what it may wrongly catch. The user-agent
/// rules are case-insensitive substring searches (no regular expressions, so no backtracking); a classification
/// takes a few microseconds.</para>
/// </remarks>
public sealed class BotDetector
{
    private static readonly string[] s_scriptOnlyForbiddenDestinations = ["document", "iframe", "frame", "embed", "object"];

    private static readonly string[] s_pageForbiddenDestinations =
    [
        "script", "style", "font", "worker", "sharedworker", "serviceworker", "audio", "video", "track", "manifest",
        "audioworklet", "paintworklet", "xslt", "report",
    ];

    private readonly bool _flagEmptyUserAgent;
    private readonly bool _flagNonBrowserUserAgent;
    private readonly bool _flagPrefetch;
    private readonly bool _flagMissingAcceptLanguage;
    private readonly bool _flagMissingAccept;
    private readonly bool _flagSecFetchInconsistency;
    private readonly bool _flagClientHintsInconsistency;

    /// <summary>Creates a detector with the given switches, copied now.</summary>
    /// <param name="options">The switches; see <see cref="BotDetectorOptions"/>.</param>
    public BotDetector(BotDetectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _flagEmptyUserAgent = options.FlagEmptyUserAgent;
        _flagNonBrowserUserAgent = options.FlagNonBrowserUserAgent;
        _flagPrefetch = options.FlagPrefetch;
        _flagMissingAcceptLanguage = options.FlagMissingAcceptLanguage;
        _flagMissingAccept = options.FlagMissingAccept;
        _flagSecFetchInconsistency = options.FlagSecFetchInconsistency;
        _flagClientHintsInconsistency = options.FlagClientHintsInconsistency;
    }

    /// <summary>A detector with every rule on.</summary>
    public static BotDetector Default { get; } = new(new BotDetectorOptions());

    /// <summary>Classifies one request. Never throws for any header content.</summary>
    /// <param name="signals">The request's headers.</param>
    /// <returns>Whether the request comes from a bot, and the first rule that said so.</returns>
    public BotVerdict Classify(BotSignals signals)
    {
        ArgumentNullException.ThrowIfNull(signals);

        var userAgent = signals.UserAgent;
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return _flagEmptyUserAgent ? BotVerdict.Bot(BotReasons.EmptyUserAgent) : BotVerdict.Human;
        }

        if (userAgent.Length > UserAgentParser.MaxLength)
        {
            userAgent = userAgent[..UserAgentParser.MaxLength];
        }

        if (Contains(signals.SecChUa, "HeadlessChrome"))
        {
            return BotVerdict.Bot(BotReasons.HeadlessBrowser);
        }

        var traits = PatternCache.Get(userAgent);
        if (traits.PatternReason is { } patternReason)
        {
            return BotVerdict.Bot(patternReason);
        }

        var looksLikeBrowser = traits.LooksLikeBrowser;
        if (_flagNonBrowserUserAgent && !looksLikeBrowser)
        {
            return BotVerdict.Bot(BotReasons.NonBrowserUserAgent);
        }

        if (_flagPrefetch && (Contains(signals.Purpose, "prefetch") || Contains(signals.SecPurpose, "prefetch")))
        {
            return BotVerdict.Bot(BotReasons.Prefetch);
        }

        var claimed = traits.Claimed;

        if (_flagClientHintsInconsistency && !string.IsNullOrWhiteSpace(signals.SecChUa) &&
            (claimed.NeverSendsClientHints || ChromiumBrandDiffers(signals.SecChUa, claimed)))
        {
            return BotVerdict.Bot(BotReasons.ClientHintsInconsistent);
        }

        if (_flagSecFetchInconsistency && IsSecFetchInconsistent(signals, claimed))
        {
            return BotVerdict.Bot(BotReasons.SecFetchInconsistent);
        }

        var startsLikeBrowser = traits.StartsLikeBrowser;
        if (_flagMissingAccept && startsLikeBrowser && string.IsNullOrWhiteSpace(signals.Accept))
        {
            return BotVerdict.Bot(BotReasons.MissingAccept);
        }

        if (_flagMissingAcceptLanguage && startsLikeBrowser && string.IsNullOrWhiteSpace(signals.AcceptLanguage))
        {
            return BotVerdict.Bot(BotReasons.MissingAcceptLanguage);
        }

        return BotVerdict.Human;
    }

    /// <summary>
    /// What the rules read from the user agent alone — the pattern checks (<see cref="MatchesPattern"/>), the
    /// browser shape, the browser it claims to be — remembered per user agent, like <see cref="UserAgentParser"/>'s
    /// cache: a bounded map in memory only, keyed by the user agent alone (at most <see cref="UserAgentParser.MaxLength"/>
    /// characters here), cleared and refilled when it holds <see cref="UserAgentParser.CacheCapacity"/> entries. The
    /// checks scan the string for about a hundred markers, which cost more than the rest of the bot step for a
    /// browser's hit; the answers depend on the string only.
    /// </summary>
    internal static class PatternCache
    {
        private static readonly ConcurrentDictionary<string, UserAgentTraits> s_entries = new(StringComparer.Ordinal);
        private static int s_count;

        /// <summary>How many entries the cache holds (approximately, while other threads add).</summary>
        public static int Count => Volatile.Read(ref s_count);

        public static UserAgentTraits Get(string userAgent)
        {
            if (!s_entries.TryGetValue(userAgent, out var traits))
            {
                traits = UserAgentTraits.Of(userAgent);
                if (s_entries.TryAdd(userAgent, traits) && Interlocked.Increment(ref s_count) > UserAgentParser.CacheCapacity)
                {
                    s_entries.Clear();
                    Volatile.Write(ref s_count, 0);
                }
            }

            return traits;
        }
    }

    /// <summary>What the rules read from a user agent alone (see <see cref="PatternCache"/>).</summary>
    /// <param name="PatternReason">The headless, automation or crawler pattern it matches, or <see langword="null"/>.</param>
    /// <param name="LooksLikeBrowser">Whether it has a browser's shape (<see cref="BotDetector.LooksLikeBrowser"/>).</param>
    /// <param name="StartsLikeBrowser">Whether it starts with <c>Mozilla/</c>.</param>
    /// <param name="Claimed">The mainstream browser it claims to be.</param>
    internal sealed record UserAgentTraits(string? PatternReason, bool LooksLikeBrowser, bool StartsLikeBrowser, ClaimedBrowser Claimed)
    {
        public static UserAgentTraits Of(string userAgent) => new(
            MatchesPattern(userAgent),
            BotDetector.LooksLikeBrowser(userAgent),
            userAgent.StartsWith("Mozilla/", StringComparison.Ordinal),
            ClaimedBrowser.From(userAgent));
    }

    private static string? MatchesPattern(string userAgent)
    {
        var ua = userAgent.AsSpan();
        if (BotUserAgentMarkers.IsHeadless(ua))
        {
            return BotReasons.HeadlessBrowser;
        }

        if (BotUserAgentMarkers.IsAutomation(ua))
        {
            return BotReasons.Automation;
        }

        return BotUserAgentMarkers.IsCrawler(ua) ? BotReasons.UserAgentPattern : null;
    }

    /// <summary>The shape every browser's user agent has: <c>Mozilla/N.N (platform) Engine/...</c>.</summary>
    internal static bool LooksLikeBrowser(string userAgent)
    {
        var ua = userAgent.AsSpan();
        if (ua.StartsWith("Opera/", StringComparison.Ordinal))
        {
            return ua.Contains("Presto/", StringComparison.Ordinal) || ua.Contains("Opera Mini/", StringComparison.Ordinal);
        }

        // "Mozilla/5.0 (" with a single-digit major and minor.
        if (ua.Length < 13 || !ua.StartsWith("Mozilla/", StringComparison.Ordinal) || !char.IsAsciiDigit(ua[8]) ||
            ua[9] != '.' || !char.IsAsciiDigit(ua[10]) || ua[11] != ' ' || ua[12] != '(')
        {
            return false;
        }

        var hasMsie = ua.Contains("MSIE ", StringComparison.Ordinal) || ua.Contains("Trident/", StringComparison.Ordinal);
        if (ua[13..].StartsWith("compatible;", StringComparison.Ordinal) && !hasMsie)
        {
            return false;
        }

        return hasMsie || ua.Contains("AppleWebKit/", StringComparison.Ordinal) ||
            ua.Contains("Gecko/", StringComparison.Ordinal) || ua.Contains("Presto/", StringComparison.Ordinal);
    }

    private static bool IsSecFetchInconsistent(BotSignals signals, ClaimedBrowser claimed)
    {
        var mode = signals.SecFetchMode;
        var dest = signals.SecFetchDest;
        var hasMode = !string.IsNullOrWhiteSpace(mode);

        if (signals.IsHttps && !hasMode && claimed.AlwaysSendsSecFetch)
        {
            return true;
        }

        if (hasMode && claimed.NeverSendsSecFetch)
        {
            return true;
        }

        if (signals.IsScriptRequest)
        {
            return EqualsAny(dest, s_scriptOnlyForbiddenDestinations) ||
                Is(mode, "navigate") ||
                Is(signals.SecFetchSite, "none");
        }

        return EqualsAny(dest, s_pageForbiddenDestinations) || Is(mode, "websocket");
    }

    /// <summary>Chrome or Edge whose user-agent major differs from the <c>"Chromium";v="N"</c> brand of its client hints.</summary>
    private static bool ChromiumBrandDiffers(string secChUa, ClaimedBrowser claimed)
    {
        const string brand = "\"Chromium\";v=\"";
        if (claimed.Family != "Chromium" || claimed.Major == 0)
        {
            return false;
        }

        var at = secChUa.IndexOf(brand, StringComparison.Ordinal);
        if (at < 0)
        {
            return false;
        }

        var digits = secChUa.AsSpan(at + brand.Length);
        var length = 0;
        while (length < digits.Length && length < 5 && char.IsAsciiDigit(digits[length]))
        {
            length++;
        }

        return int.TryParse(digits[..length], NumberStyles.None, CultureInfo.InvariantCulture, out var hinted) && hinted != claimed.Major;
    }

    private static bool Contains(string? header, string value) =>
        header is not null && header.Contains(value, StringComparison.OrdinalIgnoreCase);

    private static bool Is(string? header, string value) =>
        header is not null && header.AsSpan().Trim().Equals(value, StringComparison.OrdinalIgnoreCase);

    private static bool EqualsAny(string? header, string[] values)
    {
        if (header is null)
        {
            return false;
        }

        var trimmed = header.AsSpan().Trim();
        foreach (var value in values)
        {
            if (trimmed.Equals(value, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The mainstream browser a user agent claims to be, for the header consistency checks.</summary>
    internal readonly record struct ClaimedBrowser(string? Family, int Major)
    {
        /// <summary>Chrome 80+ (and Chromium Edge), Firefox 90+, Safari 17+ send Sec-Fetch-* to every secure origin.</summary>
        public bool AlwaysSendsSecFetch => Family switch
        {
            "Chromium" => Major >= 80,
            "Firefox" => Major >= 90,
            "Safari" => Major >= 17,
            _ => false,
        };

        /// <summary>Chrome before 76, Firefox before 90, Safari before 16 and Internet Explorer never send them.</summary>
        public bool NeverSendsSecFetch => Family switch
        {
            "Chromium" => Major is > 0 and < 76,
            "Firefox" => Major is > 0 and < 90,
            "Safari" => Major is > 0 and < 16,
            "Internet Explorer" => true,
            _ => false,
        };

        /// <summary>Only Chromium-based browsers send User-Agent client hints.</summary>
        public bool NeverSendsClientHints => Family is "Firefox" or "Safari" or "Internet Explorer";

        public static ClaimedBrowser From(string userAgent)
        {
            var info = UserAgentParser.Parse(userAgent);
            var major = ParseMajor(info.BrowserVersion);
            switch (info.Browser)
            {
                // Chrome and Chromium Edge carry "Chrome/"; iOS Chrome and Edge (WebKit) and EdgeHTML Edge do not qualify.
                case "Chrome" or "Edge" when userAgent.Contains("Chrome/", StringComparison.Ordinal) &&
                                             !userAgent.Contains("Edge/", StringComparison.Ordinal):
                    return new("Chromium", ChromeMajor(userAgent));
                case "Firefox" when userAgent.Contains("Firefox/", StringComparison.Ordinal):
                    return new("Firefox", major);
                // WebKit ships with iOS: the OS version is the engine's, whatever "Version/" an app puts in its user agent
                // (and iOS 26 freezes the OS at 18 while Version/ says 26, so take the larger).
                case "Safari" when info.OperatingSystem is "iOS" or "iPadOS":
                    return new("Safari", Math.Max(major, ParseMajor(info.OperatingSystemVersion)));
                case "Safari":
                    return new("Safari", major);
                case "Internet Explorer":
                    return new("Internet Explorer", major);
                default:
                    return default;
            }
        }

        private static int ParseMajor(string? version) =>
            int.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;

        private static int ChromeMajor(string userAgent)
        {
            var at = userAgent.IndexOf("Chrome/", StringComparison.Ordinal) + "Chrome/".Length;
            var end = at;
            while (end < userAgent.Length && end - at < 5 && char.IsAsciiDigit(userAgent[end]))
            {
                end++;
            }

            return int.TryParse(userAgent.AsSpan(at, end - at), NumberStyles.None, CultureInfo.InvariantCulture, out var major) ? major : 0;
        }
    }
}

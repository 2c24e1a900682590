using System.Buffers;

namespace FrancisBeacon.Enrichment;

/// <summary>
/// The user-agent rules of <see cref="BotDetector"/>: case-insensitive substring sets searched in one vectorised pass
/// each (<see cref="SearchValues{T}"/>), plus a few markers that need their surroundings checked. No regular
/// expressions, so no backtracking and no time-outs to budget.
/// </summary>
internal static class BotUserAgentMarkers
{
    /// <summary>Headless browsers and browser-like renderers without a screen.</summary>
    private static readonly SearchValues<string> s_headless = SearchValues.Create(
    [
        "headless", "phantomjs", "slimerjs", "htmlunit", "jsdom", "splash", "zombie.js", "webkit2png", "wkhtmlto",
        "prerender", "rendertron",
    ], StringComparison.OrdinalIgnoreCase);

    /// <summary>Browser automation, page testing and synthetic monitoring that drive a real browser.</summary>
    private static readonly SearchValues<string> s_automation = SearchValues.Create(
    [
        "selenium", "webdriver", "puppeteer", "playwright", "cypress/", "lighthouse", "pagespeed", "ptst/", "ptst ",
        "gtmetrix", "dareboost", "ghost inspector", "speedcurve", "sitespeed", "synthetic", "ruxit", "thousandeyes",
        "catchpoint", "dejaclick", "functionize", "testlocally", "qawolf", "qa-wolf", "browserstack", "saucelabs",
        "lambdatest",
    ], StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Crawlers, HTTP libraries, monitoring and SEO tools, link-preview fetchers and AI crawlers: by the words they use
    /// to describe themselves, and by name.
    /// </summary>
    private static readonly SearchValues<string> s_crawler = SearchValues.Create(
    [
        // What bots call themselves.
        "crawl", "spider", "slurp", "scrape", "scrapy", "fetcher", "fetch/", "archiv", "preview", "monitor", "check",
        "scan", "validat", "analys", "analyz", "probe", "harvest", "extractor", "sniff", "index", "http", "www.",
        "feed", "rss", "reader/", "capture", "screenshot", "renderer", "audit", "insight", "inspect", "library",
        "download", "tools", "verif", "detect", "discovery", "parser", "metadata", "retriever", "webhook", "proxy",
        "client/", "cli/", "uptime",

        // HTTP libraries and command-line clients.
        "python", "curl", "wget", "java/", "java-", "java ", "(java)", "perl/", "-perl", "ruby/", "php", "node",
        "axios", "okhttp", "go-http", "libwww", "lwp-", "urllib", "requests", "guzzle", "restsharp", "postman",
        "insomnia", "dart/", "reqwest", "colly", "nutch", "heritrix", "httrack", "webcopier", "sitesucker",
        "site sucker", "webclient", "hackney", "faraday", "aiohttp", "undici",

        // Monitoring.
        "pingdom", "statuscake", "site24x7", "newrelic", "datadog", "zabbix", "nagios", "nodeping", "freshping",
        "hetrix", "checkly", "updown", "panopta", "pingping", "monitis",

        // Link previews and social fetchers.
        "facebookexternalhit", "facebookcatalog", "meta-external", "skypeuri", "embedly", "iframely", "vkshare",
        "bluesky", "mastodon", "pleroma", "akkoma", "nuzzel",

        // Search engines without "bot" in the name.
        "baidu-", "sogou web", "bingpreview", "msnbot", "adidxbot", "applebot",

        // SEO, audit and security tools.
        "ahrefs", "semrush", "mj12", "screaming frog", "screamingfrog", "sistrix", "serpstat", "dataforseo",
        "majestic", "siteimprove", "monsido", "silktide", "hardenize", "securityheaders", "linktiger", "xenu", "rigor",
        "hotjar", "foregenix", "marketgoo", "datanyze", "dlc/", "wappalyzer", "whatweb", "cloudflare", "captain-hook",
        "zgrab", "grabber", "nmap", "nikto", "openvas", "acunetix", "masscan", "sqlmap", "burp", "watchtowr", "zmeu",
        "l9explore", "nuclei", "bw/",

        // AI crawlers and assistants fetching pages.
        "gptbot", "chatgpt", "openai", "claude", "anthropic", "ccbot", "perplexity", "bytespider", "cohere", "diffbot",
        "omgili", "youbot", "imagesift", "timpi", "petalbot", "manus-user", "newsai", "spawning", "amazonbot",
    ], StringComparison.OrdinalIgnoreCase);

    private static readonly string[] s_domainSuffixes = [".com", ".net", ".org", ".io", ".ai", ".dev"];

    /// <summary>Whether the user agent names a headless browser.</summary>
    public static bool IsHeadless(ReadOnlySpan<char> userAgent) => userAgent.ContainsAny(s_headless);

    /// <summary>Whether the user agent names an automation or page-testing tool.</summary>
    public static bool IsAutomation(ReadOnlySpan<char> userAgent) => userAgent.ContainsAny(s_automation);

    /// <summary>Whether the user agent names a crawler, bot, HTTP library or tool.</summary>
    public static bool IsCrawler(ReadOnlySpan<char> userAgent) =>
        userAgent.ContainsAny(s_crawler) ||
        HasBot(userAgent) ||
        HasUnless(userAgent, "google", ["app", "tv", " tv", "pixel", " pixel", "wv"]) ||
        HasUnless(userAgent, "yandex", ["search", "browser"]) ||
        HasUnless(userAgent, "seo", ["ul"]) ||
        HasUnless(userAgent, "agent", ["web"]) ||
        HasWordStart(userAgent, "test") ||
        HasEmailAddress(userAgent) ||
        HasDomainName(userAgent);

    /// <summary>"bot" anywhere (Googlebot, robot, bot/1.0) except in the Cubot phone brand.</summary>
    private static bool HasBot(ReadOnlySpan<char> ua)
    {
        for (var at = IndexOf(ua, "bot", 0); at >= 0; at = IndexOf(ua, "bot", at + 1))
        {
            if (at < 2 || !ua.Slice(at - 2, 2).Equals("cu", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><paramref name="word"/> not directly followed by one of <paramref name="exceptions"/>.</summary>
    private static bool HasUnless(ReadOnlySpan<char> ua, string word, ReadOnlySpan<string> exceptions)
    {
        for (var at = IndexOf(ua, word, 0); at >= 0; at = IndexOf(ua, word, at + 1))
        {
            var rest = ua[(at + word.Length)..];
            var excepted = false;
            foreach (var exception in exceptions)
            {
                excepted |= rest.StartsWith(exception, StringComparison.OrdinalIgnoreCase);
            }

            if (!excepted)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><paramref name="word"/> at the start of a word (TestLocally, "Test Certificate", not "latest").</summary>
    private static bool HasWordStart(ReadOnlySpan<char> ua, string word)
    {
        for (var at = IndexOf(ua, word, 0); at >= 0; at = IndexOf(ua, word, at + 1))
        {
            if (at == 0 || !char.IsAsciiLetter(ua[at - 1]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>An e-mail address: <c>@</c>, a host label, a dot and a letter (bot contacts: crawler@example.com).</summary>
    private static bool HasEmailAddress(ReadOnlySpan<char> ua)
    {
        for (var at = ua.IndexOf('@'); at >= 0; at = Next(ua, '@', at))
        {
            var i = at + 1;
            while (i < ua.Length && (char.IsAsciiLetterOrDigit(ua[i]) || ua[i] == '-'))
            {
                i++;
            }

            if (i > at + 1 && i + 1 < ua.Length && ua[i] == '.' && char.IsAsciiLetter(ua[i + 1]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A domain name ending in .com, .net, .org, .io, .ai or .dev (bots name their home page).</summary>
    private static bool HasDomainName(ReadOnlySpan<char> ua)
    {
        foreach (var suffix in s_domainSuffixes)
        {
            for (var at = IndexOf(ua, suffix, 0); at >= 0; at = IndexOf(ua, suffix, at + 1))
            {
                var end = at + suffix.Length;
                if (at > 0 && char.IsAsciiLetterOrDigit(ua[at - 1]) && (end == ua.Length || !char.IsAsciiLetterOrDigit(ua[end])))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static int IndexOf(ReadOnlySpan<char> ua, string value, int start)
    {
        if (start >= ua.Length)
        {
            return -1;
        }

        var found = ua[start..].IndexOf(value, StringComparison.OrdinalIgnoreCase);
        return found < 0 ? -1 : start + found;
    }

    private static int Next(ReadOnlySpan<char> ua, char value, int after)
    {
        var found = ua[(after + 1)..].IndexOf(value);
        return found < 0 ? -1 : after + 1 + found;
    }
}

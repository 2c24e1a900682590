namespace FrancisBeacon.Enrichment.Tests;

public sealed class BotDetectorTests
{
    private const string Chrome133 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36";
    private const string Chrome70 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.77 Safari/537.36";
    private const string Chrome79 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.88 Safari/537.36";
    private const string Firefox135 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:135.0) Gecko/20100101 Firefox/135.0";
    private const string Firefox78 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:78.0) Gecko/20100101 Firefox/78.0";
    private const string Safari18 = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Safari/605.1.15";
    private const string Safari16 = "Mozilla/5.0 (iPhone; CPU iPhone OS 16_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.2 Mobile/15E148 Safari/604.1";
    private const string Safari15 = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Safari/605.1.15";
    private const string Ie11 = "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko";
    private const string AndroidWebView = "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/127.0.6533.103 Mobile Safari/537.36";
    private const string ChromeClientHints = "\"Chromium\";v=\"133\", \"Not(A:Brand\";v=\"24\", \"Google Chrome\";v=\"133\"";

    private static readonly BotDetector s_detector = BotDetector.Default;

    /// <summary>What Chrome 133 sends with a <c>fetch</c> beacon over HTTPS.</summary>
    private static BotSignals ChromeBeacon(string userAgent = Chrome133) => new()
    {
        UserAgent = userAgent,
        AcceptLanguage = "en-US,en;q=0.9",
        Accept = "*/*",
        SecFetchSite = "same-origin",
        SecFetchMode = "cors",
        SecFetchDest = "empty",
        SecChUa = ChromeClientHints,
        IsScriptRequest = true,
        IsHttps = true,
    };

    /// <summary>A request with the given user agent and every header a modern browser sends, without client hints.</summary>
    private static BotSignals BrowserLike(string userAgent) => ChromeBeacon(userAgent) with { SecChUa = null };

    private static BotDetector With(Action<BotDetectorOptions> configure)
    {
        var options = new BotDetectorOptions();
        configure(options);
        return new BotDetector(options);
    }

    [Fact]
    public void Classify_ChromeBeaconWithAllHeaders_IsHuman()
    {
        Assert.Equal(BotVerdict.Human, s_detector.Classify(ChromeBeacon()));
    }

    [Fact]
    public void Default_HasEveryRuleOn()
    {
        var options = new BotDetectorOptions();

        Assert.True(options.FlagEmptyUserAgent);
        Assert.True(options.FlagNonBrowserUserAgent);
        Assert.True(options.FlagPrefetch);
        Assert.True(options.FlagMissingAcceptLanguage);
        Assert.True(options.FlagMissingAccept);
        Assert.True(options.FlagSecFetchInconsistency);
        Assert.True(options.FlagClientHintsInconsistency);
    }

    [Fact]
    public void Constructor_NullOptions_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new BotDetector(null!));
    }

    [Fact]
    public void Classify_NullSignals_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => s_detector.Classify(null!));
    }

    [Fact]
    public void Constructor_OptionsChangedLater_KeepsTheSwitchesItWasBuiltWith()
    {
        var options = new BotDetectorOptions { FlagPrefetch = false };
        var detector = new BotDetector(options);

        options.FlagPrefetch = true;

        Assert.False(detector.Classify(ChromeBeacon() with { SecPurpose = "prefetch" }).IsBot);
    }

    // empty_user_agent

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void Classify_EmptyUserAgent_IsBotWithEmptyUserAgentReason(string? userAgent)
    {
        var verdict = s_detector.Classify(ChromeBeacon() with { UserAgent = userAgent, SecChUa = null });

        Assert.Equal(BotVerdict.Bot(BotReasons.EmptyUserAgent), verdict);
    }

    [Fact]
    public void Classify_EmptyUserAgentWithRuleOff_IsHuman()
    {
        var detector = With(o => o.FlagEmptyUserAgent = false);

        Assert.False(detector.Classify(ChromeBeacon() with { UserAgent = null, SecChUa = null }).IsBot);
    }

    // user_agent_pattern

    [Theory]
    [InlineData("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")]
    [InlineData("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36")]
    [InlineData("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.6943.53 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")]
    [InlineData("curl/8.5.0")]
    [InlineData("Wget/1.21.4")]
    [InlineData("python-requests/2.31.0")]
    [InlineData("Python-urllib/3.11")]
    [InlineData("Go-http-client/2.0")]
    [InlineData("Java/17.0.2")]
    [InlineData("okhttp/4.12.0")]
    [InlineData("axios/1.6.7")]
    [InlineData("node-fetch/1.0 (+https://github.com/bitinn/node-fetch)")]
    [InlineData("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)")]
    [InlineData("Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)")]
    [InlineData("Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)")]
    [InlineData("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)")]
    [InlineData("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)")]
    [InlineData("Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)")]
    [InlineData("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)")]
    [InlineData("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; +claudebot@anthropic.com)")]
    [InlineData("CCBot/2.0 (https://commoncrawl.org/faq/)")]
    [InlineData("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; PerplexityBot/1.0; +https://perplexity.ai/perplexitybot)")]
    [InlineData("Mozilla/5.0 (Linux; Android 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Mobile Safari/537.36 (compatible; Bytespider; spider-feedback@bytedance.com)")]
    [InlineData("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")]
    [InlineData("Twitterbot/1.0")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 (compatible; Google-InspectionTool/1.0)")]
    public void Classify_KnownBotUserAgentWithBrowserHeaders_IsBotWithPatternReason(string userAgent)
    {
        var verdict = s_detector.Classify(BrowserLike(userAgent));

        Assert.Equal(BotVerdict.Bot(BotReasons.UserAgentPattern), verdict);
    }

    [Fact]
    public void Classify_CubotPhone_IsHuman()
    {
        const string cubot = "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";

        Assert.False(s_detector.Classify(BrowserLike(cubot)).IsBot);
    }

    [Fact]
    public void Classify_UserAgentPatternWithEveryOptionOff_IsStillBot()
    {
        var detector = new BotDetector(new BotDetectorOptions
        {
            FlagEmptyUserAgent = false,
            FlagNonBrowserUserAgent = false,
            FlagPrefetch = false,
            FlagMissingAcceptLanguage = false,
            FlagMissingAccept = false,
            FlagSecFetchInconsistency = false,
            FlagClientHintsInconsistency = false,
        });

        Assert.True(detector.Classify(BrowserLike("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")).IsBot);
        Assert.True(detector.Classify(BrowserLike("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/133.0.0.0 Safari/537.36")).IsBot);
    }

    [Fact]
    public void Classify_PatternPastMaxLength_IsNotSeen()
    {
        var userAgent = Chrome133 + new string(' ', UserAgentParser.MaxLength) + " Googlebot/2.1";

        Assert.False(s_detector.Classify(ChromeBeacon(userAgent)).IsBot);
    }

    // headless_browser

    [Theory]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/133.0.0.0 Safari/537.36")]
    [InlineData("Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64; rv:52.0) Gecko/20100101 SlimerJS/1.0.0")]
    public void Classify_HeadlessUserAgent_IsBotWithHeadlessReason(string userAgent)
    {
        Assert.Equal(BotVerdict.Bot(BotReasons.HeadlessBrowser), s_detector.Classify(BrowserLike(userAgent)));
    }

    [Fact]
    public void Classify_HeadlessChromeBrandInClientHints_IsBotWithHeadlessReason()
    {
        var signals = ChromeBeacon() with { SecChUa = "\"Chromium\";v=\"133\", \"HeadlessChrome\";v=\"133\", \"Not(A:Brand\";v=\"24\"" };

        Assert.Equal(BotVerdict.Bot(BotReasons.HeadlessBrowser), s_detector.Classify(signals));
    }

    // automation

    [Theory]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36; Selenium")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Playwright/1.40.0")]
    [InlineData("Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Puppeteer")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0.4664.45 Safari/537.36 PTST/211202.211915")]
    public void Classify_AutomationUserAgent_IsBotWithAutomationReason(string userAgent)
    {
        Assert.Equal(BotVerdict.Bot(BotReasons.Automation), s_detector.Classify(BrowserLike(userAgent)));
    }

    // non_browser_user_agent

    [Theory]
    [InlineData("WhatsApp/2.23.20.0 A")]
    [InlineData("Mozilla/5.0")]
    [InlineData("Mozilla/5.0 (compatible; Attracta)")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0")]
    [InlineData("Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP2A.240805.005)")]
    public void Classify_NonBrowserUserAgent_IsBotWithNonBrowserReason(string userAgent)
    {
        Assert.Equal(BotVerdict.Bot(BotReasons.NonBrowserUserAgent), s_detector.Classify(BrowserLike(userAgent)));
    }

    [Fact]
    public void Classify_NonBrowserUserAgentWithRuleOff_IsHuman()
    {
        var detector = With(o => o.FlagNonBrowserUserAgent = false);

        Assert.False(detector.Classify(BrowserLike("WhatsApp/2.23.20.0 A")).IsBot);
    }

    [Theory]
    [InlineData("Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18")]
    [InlineData("Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)")]
    public void Classify_OldButRealBrowserShape_IsNotFlaggedAsNonBrowser(string userAgent)
    {
        var verdict = With(o => o.FlagSecFetchInconsistency = false).Classify(BrowserLike(userAgent));

        Assert.False(verdict.IsBot, verdict.Reason);
    }

    // prefetch

    [Theory]
    [InlineData("prefetch", null)]
    [InlineData(null, "prefetch")]
    [InlineData(null, "prefetch;prerender")]
    [InlineData(null, "Prefetch")]
    public void Classify_PrefetchHeader_IsBotWithPrefetchReason(string? purpose, string? secPurpose)
    {
        var signals = ChromeBeacon() with { Purpose = purpose, SecPurpose = secPurpose };

        Assert.Equal(BotVerdict.Bot(BotReasons.Prefetch), s_detector.Classify(signals));
    }

    [Fact]
    public void Classify_PrefetchWithRuleOff_IsHuman()
    {
        var detector = With(o => o.FlagPrefetch = false);

        Assert.False(detector.Classify(ChromeBeacon() with { SecPurpose = "prefetch;prerender" }).IsBot);
    }

    // missing_accept_language

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    public void Classify_BrowserWithoutAcceptLanguage_IsBotWithMissingAcceptLanguageReason(string? acceptLanguage)
    {
        var verdict = s_detector.Classify(ChromeBeacon() with { AcceptLanguage = acceptLanguage });

        Assert.Equal(BotVerdict.Bot(BotReasons.MissingAcceptLanguage), verdict);
    }

    [Fact]
    public void Classify_MissingAcceptLanguageWithRuleOff_IsHuman()
    {
        var detector = With(o => o.FlagMissingAcceptLanguage = false);

        Assert.False(detector.Classify(ChromeBeacon() with { AcceptLanguage = null }).IsBot);
    }

    [Fact]
    public void Classify_NonMozillaUserAgentWithoutAcceptLanguage_IsNotHeldToBrowserHeaders()
    {
        var detector = With(o => o.FlagNonBrowserUserAgent = false);

        Assert.False(detector.Classify(BrowserLike("MyApp/1.0") with { AcceptLanguage = null, Accept = null }).IsBot);
    }

    // missing_accept

    [Fact]
    public void Classify_BrowserWithoutAccept_IsBotWithMissingAcceptReason()
    {
        Assert.Equal(BotVerdict.Bot(BotReasons.MissingAccept), s_detector.Classify(ChromeBeacon() with { Accept = null }));
    }

    [Fact]
    public void Classify_MissingAcceptWithRuleOff_IsHuman()
    {
        var detector = With(o => o.FlagMissingAccept = false);

        Assert.False(detector.Classify(ChromeBeacon() with { Accept = null }).IsBot);
    }

    // sec_fetch_inconsistent

    [Theory]
    [InlineData(Chrome133)]
    [InlineData(Firefox135)]
    [InlineData(Safari18)]
    public void Classify_ModernBrowserOverHttpsWithoutSecFetch_IsBotWithSecFetchReason(string userAgent)
    {
        var signals = BrowserLike(userAgent) with { SecFetchSite = null, SecFetchMode = null, SecFetchDest = null };

        Assert.Equal(BotVerdict.Bot(BotReasons.SecFetchInconsistent), s_detector.Classify(signals));
    }

    [Fact]
    public void Classify_ModernBrowserOverHttpWithoutSecFetch_IsHuman()
    {
        var signals = ChromeBeacon() with { SecFetchSite = null, SecFetchMode = null, SecFetchDest = null, IsHttps = false };

        Assert.False(s_detector.Classify(signals).IsBot);
    }

    [Theory]
    [InlineData(Chrome79)]
    [InlineData(Firefox78)]
    [InlineData(Safari16)]
    [InlineData(AndroidWebView)]
    public void Classify_BrowserNotCertainToSendSecFetchWithoutIt_IsHuman(string userAgent)
    {
        var signals = BrowserLike(userAgent) with { SecFetchSite = null, SecFetchMode = null, SecFetchDest = null };

        var verdict = s_detector.Classify(signals);

        Assert.False(verdict.IsBot, verdict.Reason);
    }

    [Theory]
    [InlineData(Chrome70)]
    [InlineData(Firefox78)]
    [InlineData(Safari15)]
    [InlineData(Ie11)]
    public void Classify_OldBrowserSendingSecFetch_IsBotWithSecFetchReason(string userAgent)
    {
        Assert.Equal(BotVerdict.Bot(BotReasons.SecFetchInconsistent), s_detector.Classify(BrowserLike(userAgent)));
    }

    [Theory]
    [InlineData("document", "cors", "same-origin")]
    [InlineData("iframe", "cors", "same-origin")]
    [InlineData("empty", "navigate", "same-origin")]
    [InlineData("empty", "cors", "none")]
    public void Classify_ScriptBeaconWithNavigationMetadata_IsBotWithSecFetchReason(string dest, string mode, string site)
    {
        var signals = ChromeBeacon() with { SecFetchDest = dest, SecFetchMode = mode, SecFetchSite = site };

        Assert.Equal(BotVerdict.Bot(BotReasons.SecFetchInconsistent), s_detector.Classify(signals));
    }

    [Theory]
    [InlineData("document", "navigate", "none")]
    [InlineData("document", "navigate", "cross-site")]
    [InlineData("iframe", "navigate", "same-origin")]
    [InlineData("image", "no-cors", "same-origin")]
    [InlineData("image", "no-cors", "cross-site")]
    public void Classify_PixelOrPageViewWithFittingMetadata_IsHuman(string dest, string mode, string site)
    {
        var signals = ChromeBeacon() with { SecFetchDest = dest, SecFetchMode = mode, SecFetchSite = site, IsScriptRequest = false };

        Assert.Equal(BotVerdict.Human, s_detector.Classify(signals));
    }

    [Theory]
    [InlineData("script")]
    [InlineData("style")]
    [InlineData("worker")]
    [InlineData("font")]
    public void Classify_PixelOrPageViewLoadedAsSubresource_IsBotWithSecFetchReason(string dest)
    {
        var signals = ChromeBeacon() with { SecFetchDest = dest, SecFetchMode = "no-cors", IsScriptRequest = false };

        Assert.Equal(BotVerdict.Bot(BotReasons.SecFetchInconsistent), s_detector.Classify(signals));
    }

    [Fact]
    public void Classify_SecFetchInconsistencyWithRuleOff_IsHuman()
    {
        var detector = With(o => o.FlagSecFetchInconsistency = false);

        Assert.False(detector.Classify(ChromeBeacon() with { SecFetchMode = null, SecFetchDest = "document" }).IsBot);
        Assert.False(detector.Classify(BrowserLike(Ie11)).IsBot);
    }

    // client_hints_inconsistent

    [Theory]
    [InlineData(Firefox135)]
    [InlineData(Safari18)]
    public void Classify_ClientHintsFromNonChromiumUserAgent_IsBotWithClientHintsReason(string userAgent)
    {
        var signals = ChromeBeacon() with { UserAgent = userAgent };

        Assert.Equal(BotVerdict.Bot(BotReasons.ClientHintsInconsistent), s_detector.Classify(signals));
    }

    [Fact]
    public void Classify_ClientHintsNamingAnotherChromiumVersion_IsBotWithClientHintsReason()
    {
        var signals = ChromeBeacon() with { UserAgent = Chrome70, SecFetchMode = null, SecFetchSite = null, SecFetchDest = null };

        Assert.Equal(BotVerdict.Bot(BotReasons.ClientHintsInconsistent), s_detector.Classify(signals));
    }

    [Fact]
    public void Classify_OperaWithItsOwnBrandAndMatchingChromium_IsHuman()
    {
        var signals = ChromeBeacon() with
        {
            UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36 OPR/117.0.0.0",
            SecChUa = "\"Not A(Brand\";v=\"8\", \"Chromium\";v=\"132\", \"Opera\";v=\"117\"",
        };

        Assert.Equal(BotVerdict.Human, s_detector.Classify(signals));
    }

    [Fact]
    public void Classify_IosAppWebViewWithOldVersionTokenSendingSecFetch_IsHuman()
    {
        const string userAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.0 Mobile/21F90 Safari/604.1";

        Assert.Equal(BotVerdict.Human, s_detector.Classify(BrowserLike(userAgent)));
    }

    [Fact]
    public void Classify_AppUsingTheAgentWebLibrary_IsHuman()
    {
        const string userAgent = "Mozilla/5.0 (Linux; Android 12; V2111 Build/SP1A.210812.003; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/101.0.4951.61 Mobile Safari/537.36 AgentWeb/5.0.0 UCBrowser/11.6.4.950";

        Assert.Equal(BotVerdict.Human, s_detector.Classify(BrowserLike(userAgent)));
    }

    [Theory]
    [InlineData("Mozilla/5.0 (X11; U; Linux i686; en-US; rv:1.9.1.3; ips-agent) Gecko/20090824 Firefox/3.5.3")]
    [InlineData("Datadog Agent/7.69.2")]
    [InlineData("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/96.0.4664.110 Safari/537.36 Edg/96.0.1054.57 PWABuilderHttpAgent")]
    public void Classify_UserAgentCallingItselfAnAgent_IsBotWithPatternReason(string userAgent)
    {
        Assert.Equal(BotVerdict.Bot(BotReasons.UserAgentPattern), s_detector.Classify(BrowserLike(userAgent)));
    }

    [Fact]
    public void Classify_BaiduAppInAppBrowser_IsHuman()
    {
        const string userAgent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 SP-engine/2.57.0 main%2F1.0 baiduboxapp/13.19.5.10 (Baidu; P2 17.5) NABar/1.0";

        Assert.Equal(BotVerdict.Human, s_detector.Classify(BrowserLike(userAgent)));
    }

    [Fact]
    public void Classify_ClientHintsFromNonChromiumUserAgentWithRuleOff_IsHuman()
    {
        var detector = With(o => o.FlagClientHintsInconsistency = false);

        Assert.False(detector.Classify(ChromeBeacon() with { UserAgent = Firefox135 }).IsBot);
    }

    // order and robustness

    [Fact]
    public void Classify_BotWithNoHeadersAtAll_ReportsTheUserAgentRuleFirst()
    {
        var signals = new BotSignals { UserAgent = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", IsHttps = true };

        Assert.Equal(BotVerdict.Bot(BotReasons.UserAgentPattern), s_detector.Classify(signals));
    }

    [Fact]
    public void Classify_GarbageInEveryHeader_DoesNotThrow()
    {
        var random = new Random(7);
        string Garbage(int length)
        {
            var chars = new char[length];
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = (char)random.Next(0, 0xFFFF);
            }

            return new string(chars);
        }

        for (var round = 0; round < 50; round++)
        {
            var signals = new BotSignals
            {
                UserAgent = Garbage(10 * 1024),
                AcceptLanguage = Garbage(100),
                Accept = Garbage(100),
                Purpose = Garbage(20),
                SecPurpose = Garbage(20),
                SecFetchSite = Garbage(20),
                SecFetchMode = Garbage(20),
                SecFetchDest = Garbage(20),
                SecChUa = Garbage(200),
                IsScriptRequest = round % 2 == 0,
                IsHttps = true,
            };

            Assert.True(s_detector.Classify(signals).IsBot);
        }
    }

    [Fact]
    public void Classify_ControlCharactersInUserAgent_DoesNotThrow()
    {
        var verdict = s_detector.Classify(ChromeBeacon("Mozilla/5.0 (\0\u0001\u001b[31m) \r\n Chrome/"));

        Assert.True(verdict.IsBot);
    }
}

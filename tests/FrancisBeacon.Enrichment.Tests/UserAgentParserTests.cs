namespace FrancisBeacon.Enrichment.Tests;

public sealed class UserAgentParserTests
{
    private const string Desktop = DeviceTypes.Desktop;
    private const string Mobile = DeviceTypes.Mobile;
    private const string Tablet = DeviceTypes.Tablet;

    /// <summary>Well-known user agents and what they must parse to: name, UA, browser, version, OS, OS version, device.</summary>
    public static TheoryData<string, string, string?, string?, string?, string?, string?> KnownUserAgents => new()
    {
        { "Chrome on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36", "Chrome", "133", "Windows", "10", Desktop },
        { "Chrome on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36", "Chrome", "133", "macOS", "10.15", Desktop },
        { "Chrome on Linux", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36", "Chrome", "133", "Linux", null, Desktop },
        { "Chrome on Chrome OS", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36", "Chrome", "133", "Chrome OS", null, Desktop },
        { "Chrome on Android phone (reduced UA)", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Mobile Safari/537.36", "Chrome", "133", "Android", "10", Mobile },
        { "Chrome on Android tablet (reduced UA)", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36", "Chrome", "133", "Android", "10", Tablet },
        { "Chrome on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/133.0.6943.33 Mobile/15E148 Safari/604.1", "Chrome", "133", "iOS", "17", Mobile },
        { "Chrome on Windows 8.1", "Mozilla/5.0 (Windows NT 6.3; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36", "Chrome", "109", "Windows", "8.1", Desktop },
        { "Brave (sends Chrome's UA)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36", "Chrome", "132", "Windows", "10", Desktop },
        { "Ubuntu Chromium", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Ubuntu Chromium/83.0.4103.61 Chrome/83.0.4103.61 Safari/537.36", "Chrome", "83", "Linux", null, Desktop },
        { "Firefox on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:135.0) Gecko/20100101 Firefox/135.0", "Firefox", "135", "Windows", "10", Desktop },
        { "Firefox on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:135.0) Gecko/20100101 Firefox/135.0", "Firefox", "135", "macOS", "10.15", Desktop },
        { "Firefox on Ubuntu", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:135.0) Gecko/20100101 Firefox/135.0", "Firefox", "135", "Linux", null, Desktop },
        { "Firefox on Android phone", "Mozilla/5.0 (Android 14; Mobile; rv:135.0) Gecko/135.0 Firefox/135.0", "Firefox", "135", "Android", "14", Mobile },
        { "Firefox on Android tablet", "Mozilla/5.0 (Android 14; Tablet; rv:135.0) Gecko/135.0 Firefox/135.0", "Firefox", "135", "Android", "14", Tablet },
        { "Firefox on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/135.0 Mobile/15E148 Safari/605.1.15", "Firefox", "135", "iOS", "17", Mobile },
        { "Firefox on Windows XP", "Mozilla/5.0 (Windows NT 5.1; rv:52.0) Gecko/20100101 Firefox/52.0", "Firefox", "52", "Windows", "XP", Desktop },
        { "Firefox on KaiOS", "Mozilla/5.0 (Mobile; Nokia_8110_4G; rv:48.0) Gecko/48.0 Firefox/48.0 KAIOS/2.5", "Firefox", "48", "KaiOS", "2", Mobile },
        { "Safari on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Safari/605.1.15", "Safari", "18", "macOS", "10.15", Desktop },
        { "Safari on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Mobile/15E148 Safari/604.1", "Safari", "18", "iOS", "18", Mobile },
        { "Safari on iOS 26 (frozen OS version)", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1", "Safari", "26", "iOS", "26", Mobile },
        { "Safari on iPad", "Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1", "Safari", "17", "iPadOS", "17", Tablet },
        { "Safari on an old iPad", "Mozilla/5.0 (iPad; CPU OS 12_5_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1.2 Mobile/15E148 Safari/604.1", "Safari", "12", "iOS", "12", Tablet },
        { "Safari on iPod touch", "Mozilla/5.0 (iPod touch; CPU iPhone OS 15_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/15.6 Mobile/15E148 Safari/604.1", "Safari", "15", "iOS", "15", Mobile },
        { "Edge on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36 Edg/133.0.3065.69", "Edge", "133", "Windows", "10", Desktop },
        { "Edge on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36 Edg/133.0.3065.69", "Edge", "133", "macOS", "10.15", Desktop },
        { "Edge on Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Mobile Safari/537.36 EdgA/133.0.0.0", "Edge", "133", "Android", "10", Mobile },
        { "Edge on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 EdgiOS/133.0.3065.54 Mobile/15E148 Safari/605.1.15", "Edge", "133", "iOS", "17", Mobile },
        { "Legacy Edge (EdgeHTML)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36 Edge/18.19045", "Edge", "18", "Windows", "10", Desktop },
        { "Opera on Windows", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36 OPR/117.0.0.0", "Opera", "117", "Windows", "10", Desktop },
        { "Opera on Android", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Mobile Safari/537.36 OPR/87.0.0.0", "Opera", "87", "Android", "10", Mobile },
        { "Opera Mini", "Opera/9.80 (J2ME/MIDP; Opera Mini/9.80 (S60; SymbOS; Opera Mobi/23.348; U; en) Presto/2.5.25 Version/10.54", "Opera", "9", "Symbian", null, Mobile },
        { "Opera Presto on Windows 7", "Opera/9.80 (Windows NT 6.1; WOW64) Presto/2.12.388 Version/12.18", "Opera", "12", "Windows", "7", Desktop },
        { "Samsung Internet on phone", "Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/27.0 Chrome/125.0.0.0 Mobile Safari/537.36", "Samsung Internet", "27", "Android", "14", Mobile },
        { "Samsung Internet on tablet", "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Safari/537.36", "Samsung Internet", "26", "Android", "13", Tablet },
        { "Yandex Browser", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 YaBrowser/25.2.0.0 Safari/537.36", "Yandex Browser", "25", "Windows", "10", Desktop },
        { "UC Browser", "Mozilla/5.0 (Linux; U; Android 10; en-US; RMX2185 Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 UCBrowser/13.4.0.1306 Mobile Safari/537.36", "UC Browser", "13", "Android", "10", Mobile },
        { "Vivaldi", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36 Vivaldi/7.1.3570.50", "Vivaldi", "7", "Windows", "10", Desktop },
        { "DuckDuckGo on Android", "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/133.0.0.0 Mobile DuckDuckGo/5 Safari/537.36", "DuckDuckGo", "5", "Android", "14", Mobile },
        { "Avast Secure Browser", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36 Avast/118.0.0.0", "Avast Secure Browser", "118", "Windows", "10", Desktop },
        { "AVG Secure Browser", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 Safari/537.36 AVG/118.0.0.0", "AVG Secure Browser", "118", "Windows", "10", Desktop },
        { "Sogou Explorer", "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/65.0.3314.0 Safari/537.36 SE 2.X MetaSr 1.0", "Sogou Explorer", "1", "Windows", "10", Desktop },
        { "SRWare Iron (Chrome's version)", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/100.0.5100.0 Iron Safari/537.36", "Iron", "100", "Windows", "10", Desktop },
        { "Maxthon on macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_16) AppleWebKit/613.2.7 (KHTML, like Gecko) Version/15.5 Safari/613.2.7 Maxthon/5.1.134", "Maxthon", "5", "macOS", "10.16", Desktop },
        { "Quark on Android", "Mozilla/5.0 (Linux; U; Android 10; zh-Hans-CN; TNY-AL00 Build/HUAWEITNY-AL00) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/100.0.4896.58 Quark/6.1.8.242 Mobile Safari/537.36", "Quark", "6", "Android", "10", Mobile },
        { "Electron app", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) obsidian/1.11.7 Chrome/142.0.7444.265 Electron/39.5.1 Safari/537.36", "Electron", "39", "Windows", "10", Desktop },
        { "Midori (Electron-based)", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Midori/10.0.2 Chrome/98.0.4758.141 Electron/17.4.10 Safari/537.36", "Midori", "10", "Linux", null, Desktop },
        { "Amazon Silk on Kindle Fire", "Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/131.3.1 like Chrome/131.0.6778.260 Safari/537.36", "Amazon Silk", "131", "Android", "9", Tablet },
        { "Android WebView", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240805.005; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/127.0.6533.103 Mobile Safari/537.36", "Chrome Webview", "127", "Android", "14", Mobile },
        { "OEM browser shell on old WebView", "Mozilla/5.0 (Linux; U; Android 8.1.0; zh-cn; MI 8 Build/OPM1.171019.011) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/57.0.2987.108 Mobile Safari/537.36", "Chrome Webview", "57", "Android", "8", Mobile },
        { "Android stock browser", "Mozilla/5.0 (Linux; U; Android 4.0.3; ko-kr; LG-L160L Build/IML74K) AppleWebkit/534.30 (KHTML, like Gecko) Version/4.0 Mobile Safari/534.30", "Android Browser", "4", "Android", "4", Mobile },
        { "Facebook app on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/566.0.0.23.105;FBBV/996862463;FBDV/iPhone16,2;FBMD/iPhone;FBSN/iOS;FBSV/26.5;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/80]", "Mobile App", null, "iOS", "18", Mobile },
        { "Instagram app on Android", "Mozilla/5.0 (Linux; Android 15; CPH2557 Build/AP3A.240617.008; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/142.0.7444.142 Mobile Safari/537.36 Instagram 406.0.0.58.159 Android (35/15; 480dpi; 1080x2400; OPPO; CPH2557; OP573DL1; mt6833; en_MY; 822918295; IABMV/1)", "Mobile App", null, "Android", "15", Mobile },
        { "Google app on iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) GSA/353.0.707348209 Mobile/15E148 Safari/604.1", "Mobile App", null, "iOS", "17", Mobile },
        { "iOS WKWebView in an app", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148", "Mobile App", null, "iOS", "17", Mobile },
        { "Internet Explorer 11", "Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko", "Internet Explorer", "11", "Windows", "7", Desktop },
        { "Internet Explorer 9", "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)", "Internet Explorer", "9", "Windows", "7", Desktop },
        { "Edge on Windows Phone", "Mozilla/5.0 (Windows Phone 10.0; Android 6.0.1; Microsoft; Lumia 950) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/52.0.2743.116 Mobile Safari/537.36 Edge/15.15063", "Edge", "15", "Windows Phone", "10", Mobile },
        { "Chrome on HarmonyOS", "Mozilla/5.0 (Phone; OpenHarmony 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 Safari/537.36 ArkWeb/4.1.6.1 Mobile", "Chrome", "114", "HarmonyOS", "5", Mobile },
        { "Samsung smart TV", "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) 85.0.4183.93/6.0 TV Safari/537.36", null, null, "Tizen", "6", DeviceTypes.TV },
        { "PlayStation 5", "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)", null, null, "PlayStation", null, DeviceTypes.Console },
        { "Xbox One", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36 Edge/44.18363.8131", "Edge", "44", "Windows", "10", DeviceTypes.Console },
        { "Headless Chrome", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/133.0.0.0 Safari/537.36", "Headless Chrome", "133", "Linux", null, Desktop },
        { "Googlebot smartphone", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.6943.53 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Chrome", "133", "Android", "6", Mobile },
    };

    [Theory]
    [MemberData(nameof(KnownUserAgents))]
    public void Parse_KnownUserAgent_ReturnsExpectedFields(
        string name, string userAgent, string? browser, string? browserVersion, string? os, string? osVersion, string? device)
    {
        var info = UserAgentParser.Parse(userAgent);

        Assert.True(
            new UserAgentInfo(browser, browserVersion, os, osVersion, device) == info,
            $"{name}: expected {browser} {browserVersion} / {os} {osVersion} / {device}, got {info}");
    }

    [Fact]
    public void Parse_KnownUserAgentTable_HasAtLeastFortyEntries()
    {
        Assert.True(KnownUserAgents.Count >= 40, $"only {KnownUserAgents.Count} entries");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\r\n")]
    public void Parse_MissingUserAgent_ReturnsUnknown(string? userAgent)
    {
        Assert.Same(UserAgentInfo.Unknown, UserAgentParser.Parse(userAgent));
    }

    [Theory]
    [InlineData("curl/8.5.0")]
    [InlineData("python-requests/2.31.0")]
    [InlineData("-")]
    [InlineData("Mozilla/5.0")]
    public void Parse_NonBrowserUserAgent_ReturnsUnknown(string userAgent)
    {
        Assert.Equal(UserAgentInfo.Unknown, UserAgentParser.Parse(userAgent));
    }

    [Fact]
    public void Parse_TenKilobytesOfGarbage_DoesNotThrow()
    {
        var random = new Random(42);
        var chars = new char[10 * 1024];
        for (var round = 0; round < 50; round++)
        {
            for (var i = 0; i < chars.Length; i++)
            {
                chars[i] = (char)random.Next(0, 0xFFFF);
            }

            var info = UserAgentParser.Parse(new string(chars));

            Assert.NotNull(info);
        }
    }

    [Fact]
    public void Parse_ControlCharactersAndTruncatedTokens_DoesNotThrow()
    {
        string[] hostile =
        [
            "Mozilla/5.0 (\0\u0001\u001b[31m; Android \u0000) Chrome/\n\r",
            "Chrome/", "Firefox/", "Version/", "Android ", "Mac OS X ", "Mac OS X 10_", "Windows NT ", "CPU OS ", "MSIE ",
            "Chrome/99999999999999999999", "Mac OS X 10_99999999", "\uD800\uDC00\uD800", new string('(', 5000),
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) Safari/ Version/999999999",
        ];

        foreach (var userAgent in hostile)
        {
            Assert.NotNull(UserAgentParser.Parse(userAgent));
        }
    }

    [Fact]
    public void Parse_HugeVersionNumber_GivesNoVersion()
    {
        var info = UserAgentParser.Parse("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/99999999.0 Safari/537.36");

        Assert.Equal("Chrome", info.Browser);
        Assert.Null(info.BrowserVersion);
    }

    [Fact]
    public void Parse_TokensPastMaxLength_AreIgnored()
    {
        var userAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) " +
            new string('x', UserAgentParser.MaxLength) + " Chrome/133.0.0.0 Safari/537.36";

        var info = UserAgentParser.Parse(userAgent);

        Assert.Equal("Linux", info.OperatingSystem);
        Assert.Null(info.Browser);
    }

    [Fact]
    public void Parse_SameUserAgentTwice_ReturnsEqualResults()
    {
        const string userAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36";

        Assert.Equal(UserAgentParser.Parse(userAgent), UserAgentParser.Parse(userAgent));
    }

    [Fact]
    public void Parse_BrowserCorpus_NamesABrowserForNearlyAll()
    {
        var corpus = Corpus.BrowserUserAgents;

        var unnamed = corpus.Where(ua => UserAgentParser.Parse(ua).Browser is null).ToList();
        var noOs = corpus.Where(ua => UserAgentParser.Parse(ua).OperatingSystem is null).ToList();
        var noDevice = corpus.Where(ua => UserAgentParser.Parse(ua).DeviceType is null).ToList();

        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine($"browser corpus: {corpus.Count} user agents; no browser: {unnamed.Count}, no OS: {noOs.Count}, no device type: {noDevice.Count}");
        foreach (var ua in unnamed.Concat(noOs).Concat(noDevice).Distinct().Take(20))
        {
            output?.WriteLine("  " + ua);
        }

        Assert.True(unnamed.Count <= corpus.Count / 200, $"{unnamed.Count} user agents without a browser");
        Assert.True(noOs.Count <= corpus.Count / 200, $"{noOs.Count} user agents without an OS");
        Assert.True(noDevice.Count <= corpus.Count / 200, $"{noDevice.Count} user agents without a device type");
    }
}

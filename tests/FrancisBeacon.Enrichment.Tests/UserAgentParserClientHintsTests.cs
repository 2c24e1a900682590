namespace FrancisBeacon.Enrichment.Tests;

public sealed class UserAgentParserClientHintsTests
{
    private const string ChromeWindows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36";
    private const string ChromeMac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36";
    private const string ChromeAndroidPhone = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Mobile Safari/537.36";
    private const string ChromeAndroidTablet = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36";
    private const string ChromeLinux = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36";
    private const string ChromeOs = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/134.0.0.0 Safari/537.36";

    private static ClientHints Brands(string secChUa, string? fullVersionList = null) =>
        new(secChUa, null, null, null, fullVersionList);

    private static ClientHints Platform(string platform, string? version, string? mobile = "?0") =>
        new(null, mobile, platform, version);

    [Theory]
    [InlineData("\"Chromium\";v=\"134\", \"Not:A-Brand\";v=\"24\", \"Brave\";v=\"134\"", "Brave", "134")]
    [InlineData("\"Microsoft Edge\";v=\"134\", \"Not:A-Brand\";v=\"24\", \"Chromium\";v=\"134\"", "Edge", "134")]
    [InlineData("\"Opera\";v=\"117\", \"Chromium\";v=\"132\", \"Not?A_Brand\";v=\"24\"", "Opera", "117")]
    [InlineData("\"Opera GX\";v=\"117\", \"Chromium\";v=\"132\", \"Not?A_Brand\";v=\"24\"", "Opera", "117")]
    [InlineData("\"Not A(Brand\";v=\"99\", \"Google Chrome\";v=\"121\", \"Chromium\";v=\"121\"", "Chrome", "121")]
    [InlineData("\"Chromium\";v=\"134\", \"Google Chrome\";v=\"134\", \"Not/A)Brand\";v=\"8\"", "Chrome", "134")]
    [InlineData("\"Samsung Internet\";v=\"27.0\", \"Chromium\";v=\"125\", \"Not.A/Brand\";v=\"24\"", "Samsung Internet", "27")]
    [InlineData("\"YaBrowser\";v=\"25.2\", \"Chromium\";v=\"132\", \"Not A(Brand\";v=\"8\"", "Yandex Browser", "25")]
    [InlineData("\"HeadlessChrome\";v=\"134\", \"Chromium\";v=\"134\", \"Not:A-Brand\";v=\"24\"", "Headless Chrome", "134")]
    public void Parse_BrandList_NamesTheMostSpecificBrand(string secChUa, string browser, string version)
    {
        var info = UserAgentParser.Parse(ChromeWindows, Brands(secChUa));

        Assert.Equal(browser, info.Browser);
        Assert.Equal(version, info.BrowserVersion);
        Assert.Equal("Windows", info.OperatingSystem);
    }

    [Fact]
    public void Parse_FullVersionList_IsPreferredToTheShortList()
    {
        var hints = Brands(
            "\"Chromium\";v=\"134\", \"Google Chrome\";v=\"134\"",
            "\"Chromium\";v=\"135.0.7049.42\", \"Brave\";v=\"135.0.7049.42\", \"Not-A.Brand\";v=\"8.0.0.0\"");

        var info = UserAgentParser.Parse(ChromeWindows, hints);

        Assert.Equal(("Brave", "135"), (info.Browser, info.BrowserVersion));
    }

    [Fact]
    public void Parse_UnreadableFullVersionList_FallsBackToTheShortList()
    {
        var info = UserAgentParser.Parse(ChromeWindows, Brands("\"Brave\";v=\"134\", \"Chromium\";v=\"134\"", "garbage"));

        Assert.Equal(("Brave", "134"), (info.Browser, info.BrowserVersion));
    }

    [Theory]
    [InlineData("\"Not A(Brand\";v=\"99\"")]
    [InlineData("\"(Not(A:Brand\";v=\"99\", \"Not;A=Brand\";v=\"8\"")]
    [InlineData("\"Arc\";v=\"1\", \"Not_A Brand\";v=\"99\"")]
    public void Parse_OnlyGreaseOrUnknownBrands_KeepsTheUserAgentsBrowser(string secChUa)
    {
        var info = UserAgentParser.Parse(ChromeWindows, Brands(secChUa));

        Assert.Equal(("Chrome", "134"), (info.Browser, info.BrowserVersion));
    }

    [Fact]
    public void Parse_GreaseBrandWithCommaAndEscapedQuote_IsSkipped()
    {
        var info = UserAgentParser.Parse(ChromeWindows, Brands("\"Not,A\\\"Brand\";v=\"8\", \"Brave\";v=\"133\""));

        Assert.Equal(("Brave", "133"), (info.Browser, info.BrowserVersion));
    }

    [Fact]
    public void Parse_OnlyChromiumBrand_KeepsAMoreSpecificUserAgentBrowser()
    {
        const string vivaldi = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36 Vivaldi/7.1.3570.50";

        var info = UserAgentParser.Parse(vivaldi, Brands("\"Chromium\";v=\"132\", \"Not A(Brand\";v=\"8\""));

        Assert.Equal(("Vivaldi", "7"), (info.Browser, info.BrowserVersion));
    }

    [Fact]
    public void Parse_OnlyChromiumBrandAndNoUserAgent_IsChromium()
    {
        var info = UserAgentParser.Parse(null, Brands("\"Chromium\";v=\"132\", \"Not A(Brand\";v=\"8\""));

        Assert.Equal(new UserAgentInfo("Chromium", "132", null, null, null), info);
    }

    [Fact]
    public void Parse_InAppBrowserWithWebViewBrand_StaysMobileApp()
    {
        const string instagram = "Mozilla/5.0 (Linux; Android 15; CPH2557 Build/AP3A.240617.008; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/142.0.7444.142 Mobile Safari/537.36 Instagram 406.0.0.58.159 Android";

        var info = UserAgentParser.Parse(instagram, new ClientHints("\"Android WebView\";v=\"142\", \"Chromium\";v=\"142\"", "?1", "\"Android\"", "\"15.0.0\""));

        Assert.Equal(new UserAgentInfo("Mobile App", null, "Android", "15", DeviceTypes.Mobile), info);
    }

    [Fact]
    public void Parse_AndroidWebViewBrand_IsChromeWebview()
    {
        var info = UserAgentParser.Parse(ChromeAndroidPhone, Brands("\"Android WebView\";v=\"134\", \"Chromium\";v=\"134\""));

        Assert.Equal(("Chrome Webview", "134"), (info.Browser, info.BrowserVersion));
    }

    [Theory]
    [InlineData("\"15.0.0\"", "11")]
    [InlineData("\"13.0.0\"", "11")]
    [InlineData("\"19.0.0\"", "11")]
    [InlineData("\"10.0.0\"", "10")]
    [InlineData("\"1.0.0\"", "10")]
    [InlineData("\"0.3.0\"", "8.1")]
    [InlineData("\"0.2.0\"", "8")]
    [InlineData("\"0.1.0\"", "7")]
    [InlineData("\"11.0.0\"", "10")]
    [InlineData("15.0.0", "11")]
    [InlineData(" \"15.0.0\" ", "11")]
    public void Parse_WindowsPlatformVersion_GivesTheMarketingVersion(string platformVersion, string expected)
    {
        var info = UserAgentParser.Parse(ChromeWindows, Platform("\"Windows\"", platformVersion));

        Assert.Equal(("Windows", expected, DeviceTypes.Desktop), (info.OperatingSystem, info.OperatingSystemVersion, info.DeviceType));
    }

    [Theory]
    [InlineData("\"14.5.0\"", "14")]
    [InlineData("\"15.3.1\"", "15")]
    [InlineData("\"26.0.0\"", "26")]
    [InlineData("\"10.15.7\"", "10.15")]
    [InlineData("\"\"", "10.15")]
    [InlineData(null, "10.15")]
    public void Parse_MacPlatformVersion_ReplacesTheFrozenVersion(string? platformVersion, string expected)
    {
        var info = UserAgentParser.Parse(ChromeMac, Platform("\"macOS\"", platformVersion));

        Assert.Equal(("macOS", expected, DeviceTypes.Desktop), (info.OperatingSystem, info.OperatingSystemVersion, info.DeviceType));
    }

    [Fact]
    public void Parse_AndroidPhoneHints_GiveTheRealVersionAndMobile()
    {
        var hints = new ClientHints("\"Chromium\";v=\"134\", \"Google Chrome\";v=\"134\", \"Not:A-Brand\";v=\"24\"", "?1", "\"Android\"", "\"14.0.0\"");

        var info = UserAgentParser.Parse(ChromeAndroidPhone, hints);

        Assert.Equal(new UserAgentInfo("Chrome", "134", "Android", "14", DeviceTypes.Mobile), info);
    }

    [Fact]
    public void Parse_AndroidWithMobileFalse_IsATablet()
    {
        var info = UserAgentParser.Parse(ChromeAndroidTablet, Platform("\"Android\"", "\"13.0.0\""));

        Assert.Equal(("Android", "13", DeviceTypes.Tablet), (info.OperatingSystem, info.OperatingSystemVersion, info.DeviceType));
    }

    [Fact]
    public void Parse_MobileTrue_WinsOverTheUserAgent()
    {
        var info = UserAgentParser.Parse(ChromeAndroidTablet, Platform("\"Android\"", null, "?1"));

        Assert.Equal(("Android", "10", DeviceTypes.Mobile), (info.OperatingSystem, info.OperatingSystemVersion, info.DeviceType));
    }

    [Theory]
    [InlineData(ChromeOs, "\"Chrome OS\"", "Chrome OS")]
    [InlineData(ChromeOs, "\"Chromium OS\"", "Chrome OS")]
    [InlineData(ChromeLinux, "\"Linux\"", "Linux")]
    public void Parse_ChromeOsAndLinux_ReportNoVersion(string userAgent, string platform, string os)
    {
        var info = UserAgentParser.Parse(userAgent, Platform(platform, "\"15633.69.0\""));

        Assert.Equal((os, (string?)null, DeviceTypes.Desktop), (info.OperatingSystem, info.OperatingSystemVersion, info.DeviceType));
    }

    [Fact]
    public void Parse_PlatformDiffersFromUserAgent_HintWinsWithoutTheUserAgentsVersion()
    {
        // Chrome on Android asking for the desktop site sends a Linux user agent but the real platform.
        var info = UserAgentParser.Parse(ChromeLinux, Platform("\"Android\"", null));

        Assert.Equal(("Android", (string?)null, DeviceTypes.Tablet), (info.OperatingSystem, info.OperatingSystemVersion, info.DeviceType));
    }

    [Theory]
    [InlineData("\"Unknown\"")]
    [InlineData("\"Fuchsia\"")]
    [InlineData("\"\"")]
    [InlineData("Windows 11 Pro")]
    public void Parse_UnknownPlatform_KeepsTheUserAgentsSystem(string platform)
    {
        var info = UserAgentParser.Parse(ChromeMac, Platform(platform, "\"15.0.0\""));

        Assert.Equal(("macOS", "10.15"), (info.OperatingSystem, info.OperatingSystemVersion));
    }

    [Fact]
    public void Parse_ConsoleWithMobileFalse_StaysAConsole()
    {
        const string xbox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; Xbox; Xbox One) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36 Edge/44.18363.8131";

        var info = UserAgentParser.Parse(xbox, Platform("\"Windows\"", "\"10.0.0\""));

        Assert.Equal(DeviceTypes.Console, info.DeviceType);
    }

    [Fact]
    public void Parse_NullHints_IsTheUserAgentAlone()
    {
        Assert.Equal(UserAgentParser.Parse(ChromeWindows), UserAgentParser.Parse(ChromeWindows, null));
        Assert.Same(UserAgentInfo.Unknown, UserAgentParser.Parse(null, null));
    }

    [Fact]
    public void Parse_EmptyHints_IsTheUserAgentAlone()
    {
        Assert.Equal(UserAgentParser.Parse(ChromeWindows), UserAgentParser.Parse(ChromeWindows, new ClientHints(null, null, null, null)));
        Assert.Same(UserAgentInfo.Unknown, UserAgentParser.Parse(null, new ClientHints(null, null, null, null)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\"")]
    [InlineData("\"\"")]
    [InlineData(",,,,")]
    [InlineData(";;;")]
    [InlineData("\"Brave")]
    [InlineData("\"Brave\";")]
    [InlineData("\"Brave\";v=")]
    [InlineData("\"Brave\";v=\"")]
    [InlineData("\"Brave\";v=\"abc\"")]
    [InlineData("\"Brave\";v=\"99999999999\"")]
    [InlineData("\"Brave\\")]
    [InlineData("\\\"Brave\\\"")]
    [InlineData("?1")]
    [InlineData("?2")]
    [InlineData("\"Windows")]
    [InlineData("Windows\"")]
    [InlineData("99999999999999999999.0")]
    [InlineData("-1.0.0")]
    [InlineData(".5")]
    [InlineData("10.")]
    [InlineData("10.99999999999")]
    [InlineData("\u0000\u0001\r\n")]
    [InlineData("\uD800")]
    public void Parse_MalformedHintValue_DoesNotThrow(string value)
    {
        foreach (var userAgent in (string?[])[null, ChromeWindows, ChromeAndroidPhone, "garbage"])
        {
            var info = UserAgentParser.Parse(userAgent, new ClientHints(value, value, value, value, value));
            var brands = UserAgentParser.Parse(userAgent, new ClientHints(value, null, null, null, value));
            var windows = UserAgentParser.Parse(userAgent, new ClientHints(null, value, "\"Windows\"", value));
            var mac = UserAgentParser.Parse(userAgent, new ClientHints(null, value, "\"macOS\"", value));

            Assert.NotNull(info);
            Assert.True(brands.Browser is null or "Chrome" or "Brave", brands.Browser);
            Assert.True(windows.OperatingSystemVersion is null or "10" or "11" or "7" or "8" or "8.1", windows.OperatingSystemVersion);
            Assert.True(mac.OperatingSystemVersion is null || mac.OperatingSystemVersion.Length <= 11, mac.OperatingSystemVersion);
        }
    }

    [Fact]
    public void Parse_RandomHintValues_DoNotThrow()
    {
        var random = new Random(7);
        const string alphabet = "\"\\;,=?:/()._- v0123456789ABrandChromiumWindowsmacOS\t";
        for (var round = 0; round < 2000; round++)
        {
            string Next()
            {
                var chars = new char[random.Next(0, 80)];
                for (var i = 0; i < chars.Length; i++)
                {
                    chars[i] = alphabet[random.Next(alphabet.Length)];
                }

                return new string(chars);
            }

            var info = UserAgentParser.Parse(ChromeWindows, new ClientHints(Next(), Next(), Next(), Next(), Next()));

            Assert.NotNull(info);
        }
    }

    [Fact]
    public void Parse_HugeHints_AreIgnoredPastTheirLimit()
    {
        var padding = string.Concat(Enumerable.Repeat("\"Not A(Brand\";v=\"99\", ", 2000));

        var info = UserAgentParser.Parse(ChromeWindows, new ClientHints(padding + "\"Brave\";v=\"134\"", "?0", "\"" + new string('W', 100_000) + "\"", "\"15.0.0\""));

        Assert.Equal(new UserAgentInfo("Chrome", "134", "Windows", "10", DeviceTypes.Desktop), info);
    }
}

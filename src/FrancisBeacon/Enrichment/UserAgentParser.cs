using System.Globalization;

namespace FrancisBeacon.Enrichment;

/// <summary>
/// Reads browser, operating system and device type from a <c>User-Agent</c> header, the way Plausible names them.
/// </summary>
/// <remarks>
/// <para>The parser scans the string for well-known tokens (no regular expressions, no allocation besides the
/// result): it never throws, whatever the input (<see langword="null"/>, empty, control characters, kilobytes of
/// garbage), and it looks only at the first <see cref="MaxLength"/> characters.</para>
/// <para>What a user agent cannot tell, the parser does not guess:</para>
/// <list type="bullet">
/// <item>Brave and most Chromium forks send Chrome's user agent and are reported as <c>Chrome</c>, unless the client
/// hints are passed too (<see cref="Parse(string?, ClientHints?)"/>).</item>
/// <item>Windows 11 sends <c>Windows NT 10.0</c> and is reported as Windows <c>10</c>, unless the
/// <c>Sec-CH-UA-Platform-Version</c> client hint is passed too.</item>
/// <item>Safari and Chrome freeze macOS at 10.15.7, so every Mac reports <c>10.15</c> (Chromium browsers tell the real
/// version through <c>Sec-CH-UA-Platform-Version</c>); an iPad asking for the desktop site reports itself as a Mac.</item>
/// <item>Chrome's reduced user agent freezes Android at <c>10</c> with the device model <c>K</c> (again, the
/// platform-version hint tells the real one).</item>
/// <item>Since iOS 26, Safari freezes the iOS version at 18.x; when a Safari <c>Version/</c> of 26 or more stands
/// beside iOS 18, the Safari major is taken as the iOS major (they are released together).</item>
/// </list>
/// <para>In-app browsers (Facebook, Instagram, Snapchat, TikTok, Google app, WeChat, ...) are reported as
/// <c>Mobile App</c> with no version; other Android WebViews as <c>Chrome Webview</c> with the Chromium major.</para>
/// </remarks>
public static partial class UserAgentParser
{
    /// <summary>How many characters of a user agent are looked at: 512. Real browsers stay well below it.</summary>
    public const int MaxLength = 512;

    private const int MaxCachedNumber = 400;
    private static readonly string[] s_numbers = CreateNumbers();

    // In-app browsers and app WebViews: reported as "Mobile App". Checked before every browser token.
    private static readonly string[] s_appTokens =
    [
        "FBAN/", "FBAV/", "FB_IAB/", "FBIOS", "Instagram ", "Snapchat/", "Twitter for ", "TwitterAndroid", "Barcelona ",
        "Line/", "musical_ly", "BytedanceWebview", "trill_", "[Pinterest/", "Pinterest for ", "LinkedInApp", "GSA/",
        "MicroMessenger/", "KAKAOTALK", "NAVER(inapp", "DiscordMobile", "Reddit/", "MetaIAB",
    ];

    // Browsers that carry their own token beside Chrome's or Safari's; checked in this order, before Chrome.
    private static readonly (string Token, string Name)[] s_vendorTokens =
    [
        ("Edg/", "Edge"), ("EdgA/", "Edge"), ("EdgiOS/", "Edge"), ("Edge/", "Edge"),
        ("OPR/", "Opera"), ("OPT/", "Opera"), ("OPiOS/", "Opera"), ("OPX/", "Opera"), ("Opera Mini/", "Opera"),
        ("Opera Mobi/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("YaBrowser/", "Yandex Browser"), ("YaSearchBrowser/", "Yandex Browser"),
        ("UCBrowser/", "UC Browser"), ("UBrowser/", "UC Browser"), ("UCWEB/", "UC Browser"),
        ("Vivaldi/", "Vivaldi"),
        ("Brave/", "Brave"),
        ("DuckDuckGo/", "DuckDuckGo"), ("Ddg/", "DuckDuckGo"),
        ("MiuiBrowser/", "MIUI Browser"), ("XiaoMi/MiuiBrowser/", "MIUI Browser"),
        ("HuaweiBrowser/", "Huawei Browser"), ("HeyTapBrowser/", "HeyTap Browser"),
        ("QQBrowser/", "QQ Browser"), ("MQQBrowser/", "QQ Browser"),
        ("Whale/", "Whale"), ("coc_coc_browser/", "Coc Coc"), ("Silk/", "Amazon Silk"), ("Puffin/", "Puffin"),
        ("SeaMonkey/", "SeaMonkey"), ("PaleMoon/", "Pale Moon"), ("Waterfox/", "Waterfox"),
        ("Avast/", "Avast Secure Browser"), ("AVG/", "AVG Secure Browser"), ("MetaSr ", "Sogou Explorer"),
        ("SLBrowser/", "Smart Lenovo Browser"), ("Quark/", "Quark"), ("QuarkPC/", "Quark"), ("VivoBrowser/", "Vivo Browser"),
        ("Maxthon/", "Maxthon"), ("Falkon/", "Falkon"), ("Midori/", "Midori"), ("Electron/", "Electron"),
        ("CriOS/", "Chrome"), ("FxiOS/", "Firefox"),
    ];

    /// <summary>Parses a user agent. Never throws; unknown parts are <see langword="null"/>.</summary>
    /// <param name="userAgent">The <c>User-Agent</c> header, or <see langword="null"/>.</param>
    /// <returns>The browser, operating system and device type the user agent names.</returns>
    public static UserAgentInfo Parse(string? userAgent)
    {
        if (string.IsNullOrWhiteSpace(userAgent))
        {
            return UserAgentInfo.Unknown;
        }

        return userAgent.Length <= MaxLength ? s_cache.GetOrParse(userAgent) : ParseUncached(userAgent);
    }

    /// <summary>The parse itself, without the cache (<paramref name="userAgent"/> is not blank).</summary>
    internal static UserAgentInfo ParseUncached(string userAgent)
    {
        var ua = userAgent.AsSpan();
        if (ua.Length > MaxLength)
        {
            ua = ua[..MaxLength];
        }

        var (os, osVersion) = DetectOperatingSystem(ua);
        var (browser, browserVersion) = DetectBrowser(ua, os);
        var device = DetectDevice(ua, os);

        // iOS 26 Safari reports "iPhone OS 18_6" beside "Version/26.0": the Safari major is the iOS major.
        if (os is "iOS" or "iPadOS" && osVersion == "18" && Contains(ua, "Safari/") &&
            ReadMajor(ua, "Version/") is { } safari && int.TryParse(safari, NumberStyles.None, CultureInfo.InvariantCulture, out var major) &&
            major >= 26)
        {
            osVersion = safari;
        }

        if (browser is null && os is null && device is null)
        {
            return UserAgentInfo.Unknown;
        }

        return new UserAgentInfo(browser, browserVersion, os, osVersion, device);
    }

    private static (string? Name, string? Version) DetectBrowser(ReadOnlySpan<char> ua, string? os)
    {
        if (Contains(ua, "HeadlessChrome/"))
        {
            return ("Headless Chrome", ReadMajor(ua, "HeadlessChrome/"));
        }

        foreach (var token in s_appTokens)
        {
            if (Contains(ua, token))
            {
                return ("Mobile App", null);
            }
        }

        foreach (var (token, name) in s_vendorTokens)
        {
            if (Contains(ua, token))
            {
                return (name, ReadMajor(ua, token));
            }
        }

        if (Contains(ua, "Firefox/"))
        {
            return ("Firefox", ReadMajor(ua, "Firefox/"));
        }

        if (Contains(ua, "MSIE "))
        {
            return ("Internet Explorer", ReadMajor(ua, "MSIE "));
        }

        if (Contains(ua, "Trident/"))
        {
            return ("Internet Explorer", ReadMajor(ua, "rv:"));
        }

        if (StartsWith(ua, "Opera/"))
        {
            return ("Opera", ReadMajor(ua, "Version/") ?? ReadMajor(ua, "Opera/"));
        }

        if (Contains(ua, "Chrome/"))
        {
            // SRWare Iron puts its name between the Chrome and Safari tokens and keeps Chrome's version.
            if (Contains(ua, " Iron Safari/"))
            {
                return ("Iron", ReadMajor(ua, "Chrome/"));
            }

            // Android WebView: "; wv)" since Lollipop, "Version/4.0 Chrome/" before (and in some OEM shells).
            if (os == "Android" && (Contains(ua, "; wv)") || Contains(ua, "Version/4.0 Chrome/")))
            {
                return ("Chrome Webview", ReadMajor(ua, "Chrome/"));
            }

            return ("Chrome", ReadMajor(ua, "Chrome/"));
        }

        if (Contains(ua, "Chromium/"))
        {
            return ("Chromium", ReadMajor(ua, "Chromium/"));
        }

        if (os is "iOS" or "iPadOS")
        {
            // Safari has "Version/x ... Safari/"; a WKWebView inside an app has neither.
            return Contains(ua, "Safari/") && Contains(ua, "Version/")
                ? ("Safari", ReadMajor(ua, "Version/"))
                : ("Mobile App", null);
        }

        if (Contains(ua, "Safari/"))
        {
            if (os == "Android")
            {
                return ("Android Browser", ReadMajor(ua, "Version/"));
            }

            if (Contains(ua, "Version/"))
            {
                return ("Safari", ReadMajor(ua, "Version/"));
            }
        }

        return (null, null);
    }

    private static (string? Name, string? Version) DetectOperatingSystem(ReadOnlySpan<char> ua)
    {
        if (Contains(ua, "Windows Phone"))
        {
            return ("Windows Phone", ReadMajor(ua, "Windows Phone OS ") ?? ReadMajor(ua, "Windows Phone "));
        }

        if (Contains(ua, "HarmonyOS") || Contains(ua, "OpenHarmony"))
        {
            return ("HarmonyOS", ReadMajor(ua, "HarmonyOS ") ?? ReadMajor(ua, "OpenHarmony "));
        }

        if (Contains(ua, "iPad"))
        {
            var version = ReadMajor(ua, "CPU OS ") ?? ReadMajor(ua, "iPhone OS ");
            return (version is null || IsAtLeast(version, 13) ? "iPadOS" : "iOS", version);
        }

        if (Contains(ua, "iPhone") || Contains(ua, "iPod"))
        {
            return ("iOS", ReadMajor(ua, "iPhone OS ") ?? ReadMajor(ua, "CPU OS "));
        }

        if (Contains(ua, "Android"))
        {
            return ("Android", ReadMajor(ua, "Android "));
        }

        if (Contains(ua, "KAIOS") || Contains(ua, "KaiOS"))
        {
            return ("KaiOS", ReadMajor(ua, "KAIOS/") ?? ReadMajor(ua, "KaiOS/"));
        }

        if (Contains(ua, "CrOS "))
        {
            return ("Chrome OS", null);
        }

        var nt = IndexOf(ua, "Windows NT ");
        if (nt >= 0)
        {
            return ("Windows", WindowsVersion(ua[(nt + "Windows NT ".Length)..]));
        }

        if (Contains(ua, "Windows"))
        {
            return ("Windows", null);
        }

        if (Contains(ua, "Mac OS X") || Contains(ua, "Macintosh"))
        {
            return ("macOS", MacVersion(ua));
        }

        if (Contains(ua, "Tizen"))
        {
            return ("Tizen", ReadMajor(ua, "Tizen "));
        }

        if (Contains(ua, "Web0S") || Contains(ua, "webOS"))
        {
            return ("webOS", null);
        }

        if (Contains(ua, "PlayStation"))
        {
            return ("PlayStation", null);
        }

        if (Contains(ua, "Nintendo"))
        {
            return ("Nintendo", null);
        }

        if (Contains(ua, "BlackBerry") || Contains(ua, "BB10"))
        {
            return ("BlackBerry OS", null);
        }

        if (Contains(ua, "Symbian") || Contains(ua, "SymbOS"))
        {
            return ("Symbian", null);
        }

        if (Contains(ua, "FreeBSD"))
        {
            return ("FreeBSD", null);
        }

        if (Contains(ua, "OpenBSD"))
        {
            return ("OpenBSD", null);
        }

        if (Contains(ua, "NetBSD"))
        {
            return ("NetBSD", null);
        }

        if (Contains(ua, "Linux") || Contains(ua, "X11"))
        {
            return ("Linux", null);
        }

        return (null, null);
    }

    private static string? DetectDevice(ReadOnlySpan<char> ua, string? os)
    {
        if (IsTv(ua))
        {
            return DeviceTypes.TV;
        }

        if (os is "PlayStation" or "Nintendo" || Contains(ua, "Xbox"))
        {
            return DeviceTypes.Console;
        }

        switch (os)
        {
            case "iPadOS":
                return DeviceTypes.Tablet;
            case "iOS":
                return Contains(ua, "iPad") ? DeviceTypes.Tablet : DeviceTypes.Mobile;
            case "Android":
            case "HarmonyOS":
                if (Contains(ua, "Kindle") || Contains(ua, "Silk/"))
                {
                    return DeviceTypes.Tablet;
                }

                // Android phones say "Mobile"; tablets (and Chrome's reduced tablet UA) do not.
                return Contains(ua, "Mobile") ? DeviceTypes.Mobile : DeviceTypes.Tablet;
            case "Windows Phone":
            case "KaiOS":
            case "BlackBerry OS":
            case "Symbian":
                return DeviceTypes.Mobile;
            case "Windows":
            case "macOS":
            case "Linux":
            case "Chrome OS":
            case "FreeBSD":
            case "OpenBSD":
            case "NetBSD":
                return Contains(ua, "Mobile") && !Contains(ua, "Windows NT") && os == "Linux" ? DeviceTypes.Mobile : DeviceTypes.Desktop;
            default:
                break;
        }

        if (Contains(ua, "Kindle"))
        {
            return DeviceTypes.Tablet;
        }

        return Contains(ua, "Mobi") ? DeviceTypes.Mobile : null;
    }

    private static bool IsTv(ReadOnlySpan<char> ua) =>
        Contains(ua, "SmartTV") || Contains(ua, "SMART-TV") || Contains(ua, "Smart TV") || Contains(ua, "SmartTv") ||
        Contains(ua, "HbbTV") || Contains(ua, "Web0S") || Contains(ua, "webOS.TV") || Contains(ua, "AppleTV") ||
        Contains(ua, "Android TV") || Contains(ua, "GoogleTV") || Contains(ua, "BRAVIA") || Contains(ua, "CrKey") ||
        Contains(ua, "; AFT") || (Contains(ua, "Tizen") && Contains(ua, "TV"));

    private static string? WindowsVersion(ReadOnlySpan<char> version)
    {
        if (version.StartsWith("10.0", StringComparison.Ordinal))
        {
            return "10";
        }

        if (version.StartsWith("6.3", StringComparison.Ordinal))
        {
            return "8.1";
        }

        if (version.StartsWith("6.2", StringComparison.Ordinal))
        {
            return "8";
        }

        if (version.StartsWith("6.1", StringComparison.Ordinal))
        {
            return "7";
        }

        if (version.StartsWith("6.0", StringComparison.Ordinal))
        {
            return "Vista";
        }

        if (version.StartsWith("5.1", StringComparison.Ordinal) || version.StartsWith("5.2", StringComparison.Ordinal))
        {
            return "XP";
        }

        if (version.StartsWith("5.0", StringComparison.Ordinal))
        {
            return "2000";
        }

        return null;
    }

    private static string? MacVersion(ReadOnlySpan<char> ua)
    {
        var at = IndexOf(ua, "Mac OS X ");
        if (at < 0)
        {
            return null;
        }

        var rest = ua[(at + "Mac OS X ".Length)..];
        var majorLength = CountDigits(rest);
        if (majorLength is 0 or > 3)
        {
            return null;
        }

        var major = Number(rest[..majorLength]);
        if (major != "10")
        {
            return major;
        }

        // macOS 10.x: the minor is the release (10.15 Catalina), so keep it.
        rest = rest[majorLength..];
        if (rest.Length < 2 || (rest[0] != '_' && rest[0] != '.'))
        {
            return major;
        }

        var minorLength = CountDigits(rest[1..]);
        return minorLength is 0 or > 3 ? major : string.Concat("10.", rest.Slice(1, minorLength));
    }

    /// <summary>The digits right after <paramref name="token"/>, as a string, or <see langword="null"/>.</summary>
    private static string? ReadMajor(ReadOnlySpan<char> ua, string token)
    {
        var at = IndexOf(ua, token);
        if (at < 0)
        {
            return null;
        }

        var rest = ua[(at + token.Length)..];
        var length = CountDigits(rest);
        return length is 0 or > 5 ? null : Number(rest[..length]);
    }

    private static int CountDigits(ReadOnlySpan<char> value)
    {
        var length = 0;
        while (length < value.Length && char.IsAsciiDigit(value[length]))
        {
            length++;
        }

        return length;
    }

    private static string Number(ReadOnlySpan<char> digits)
    {
        // Drop leading zeros ("08" -> "8") and reuse cached strings for the common values.
        var trimmed = digits.TrimStart('0');
        if (trimmed.IsEmpty)
        {
            return s_numbers[0];
        }

        if (int.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value < MaxCachedNumber)
        {
            return s_numbers[value];
        }

        return trimmed.ToString();
    }

    private static bool IsAtLeast(string number, int minimum) =>
        int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= minimum;

    private static string[] CreateNumbers()
    {
        var numbers = new string[MaxCachedNumber];
        for (var i = 0; i < numbers.Length; i++)
        {
            numbers[i] = i.ToString(CultureInfo.InvariantCulture);
        }

        return numbers;
    }

    private static int IndexOf(ReadOnlySpan<char> ua, string token) => ua.IndexOf(token, StringComparison.Ordinal);

    private static bool Contains(ReadOnlySpan<char> ua, string token) => ua.IndexOf(token, StringComparison.Ordinal) >= 0;

    private static bool StartsWith(ReadOnlySpan<char> ua, string token) => ua.StartsWith(token, StringComparison.Ordinal);
}

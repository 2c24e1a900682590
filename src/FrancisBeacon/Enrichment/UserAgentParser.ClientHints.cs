using System.Globalization;

namespace FrancisBeacon.Enrichment;

public static partial class UserAgentParser
{
    /// <summary>How many characters of one client-hint header are looked at: 1 024.</summary>
    private const int MaxHintLength = 1024;

    /// <summary>How many brands of a brand list are looked at: real lists have three.</summary>
    private const int MaxBrands = 16;

    // The brands that name a browser, by precedence: a fork's own brand beats "Google Chrome", which beats nothing.
    // "Chromium" is only a fallback; GREASE brands ("Not A(Brand", "Not/A)Brand", ...) and brands not listed here are
    // ignored, so a header can never put a made-up name into the statistics.
    private static readonly (string Brand, string Name)[] s_brands =
    [
        ("Microsoft Edge", "Edge"),
        ("Opera", "Opera"), ("Opera GX", "Opera"), ("OperaMobile", "Opera"), ("Opera Mobile", "Opera"),
        ("Samsung Internet", "Samsung Internet"),
        ("Yandex", "Yandex Browser"), ("YaBrowser", "Yandex Browser"),
        ("Brave", "Brave"),
        ("DuckDuckGo", "DuckDuckGo"),
        ("Vivaldi", "Vivaldi"),
        ("Whale", "Whale"),
        ("Avast Secure Browser", "Avast Secure Browser"), ("AVG Secure Browser", "AVG Secure Browser"),
        ("HeadlessChrome", "Headless Chrome"),
        ("Android WebView", "Chrome Webview"),
        ("Google Chrome", "Chrome"),
    ];

    /// <summary>
    /// Parses a user agent and lets the User-Agent client hints, where present and readable, win over it. Never throws;
    /// unknown parts are <see langword="null"/>.
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item><b>Browser and major version</b> from <c>Sec-CH-UA-Full-Version-List</c>, else <c>Sec-CH-UA</c>: the most
    /// specific known brand (<c>Microsoft Edge</c> → Edge, <c>Opera</c> → Opera, <c>Brave</c> → Brave, <c>Google
    /// Chrome</c> → Chrome, ...). GREASE brands and unknown brands are ignored. A list with only <c>Chromium</c> keeps
    /// the browser the user agent names, or else reports <c>Chromium</c>. An in-app browser the user agent names
    /// (<c>Mobile App</c>) stays one: the app is more specific than its engine.</item>
    /// <item><b>Operating system</b> from <c>Sec-CH-UA-Platform</c> (<c>Windows</c>, <c>macOS</c>, <c>Android</c>,
    /// <c>Chrome OS</c>, <c>Linux</c>, <c>iOS</c>; other values are ignored), and its <b>version</b> from
    /// <c>Sec-CH-UA-Platform-Version</c>: on Windows 13 and above → <c>11</c>, 1 to 10 → <c>10</c>, 0.1 / 0.2 / 0.3 →
    /// <c>7</c> / <c>8</c> / <c>8.1</c>; on macOS the major (<c>14</c>), or <c>10.x</c> for 10; on Android and iOS the
    /// major. Chrome OS and Linux report no version (theirs is a build or kernel number). Without a readable version
    /// hint, the user agent's version is kept if it names the same system.</item>
    /// <item><b>Device type</b> from <c>Sec-CH-UA-Mobile</c>: <c>?1</c> → Mobile; <c>?0</c> → Tablet on Android,
    /// Desktop on Windows, macOS, Linux and Chrome OS, unless the user agent names a TV or a console.</item>
    /// </list>
    /// </remarks>
    /// <param name="userAgent">The <c>User-Agent</c> header, or <see langword="null"/>.</param>
    /// <param name="hints">The client hints of the same request, or <see langword="null"/> for none.</param>
    /// <returns>The browser, operating system and device type.</returns>
    public static UserAgentInfo Parse(string? userAgent, ClientHints? hints)
    {
        var info = Parse(userAgent);
        if (hints is null)
        {
            return info;
        }

        var (browser, browserVersion) = BrowserFromHints(hints, info);
        var (os, osVersion) = OperatingSystemFromHints(hints, info);
        var device = DeviceFromHints(hints, info, os);

        if (browser is null && os is null && device is null)
        {
            return UserAgentInfo.Unknown;
        }

        var result = new UserAgentInfo(browser, browserVersion, os, osVersion, device);
        return result == info ? info : result;
    }

    private static (string? Name, string? Version) BrowserFromHints(ClientHints hints, UserAgentInfo info)
    {
        if (info.Browser == "Mobile App")
        {
            return (info.Browser, info.BrowserVersion);
        }

        var brand = ReadBrands(hints.SecChUaFullVersionList);
        if (brand.Name is null)
        {
            var fromShortList = ReadBrands(hints.SecChUa);
            if (fromShortList.Name is not null || brand.ChromiumMajor is null)
            {
                brand = fromShortList;
            }
        }

        if (brand.Name is not null)
        {
            return (brand.Name, brand.Major);
        }

        if (brand.ChromiumMajor is not null && info.Browser is null)
        {
            return ("Chromium", brand.ChromiumMajor.Length == 0 ? null : brand.ChromiumMajor);
        }

        return (info.Browser, info.BrowserVersion);
    }

    private static (string? Name, string? Version) OperatingSystemFromHints(ClientHints hints, UserAgentInfo info)
    {
        var platform = Unquote(hints.SecChUaPlatform);
        string? os = null;
        foreach (var (value, name) in (ReadOnlySpan<(string, string)>)
                 [("Windows", "Windows"), ("macOS", "macOS"), ("Android", "Android"), ("Chrome OS", "Chrome OS"),
                  ("Chromium OS", "Chrome OS"), ("Linux", "Linux"), ("iOS", "iOS")])
        {
            if (platform.Equals(value, StringComparison.OrdinalIgnoreCase))
            {
                os = name;
                break;
            }
        }

        if (os is null)
        {
            return (info.OperatingSystem, info.OperatingSystemVersion);
        }

        if (os == "iOS" && info.OperatingSystem == "iPadOS")
        {
            os = "iPadOS";
        }

        var fallback = os == info.OperatingSystem ? info.OperatingSystemVersion : null;
        var version = Unquote(hints.SecChUaPlatformVersion);
        var majorLength = CountDigits(version);
        if (majorLength is 0 or > 5 || os is "Chrome OS" or "Linux")
        {
            return (os, os is "Chrome OS" or "Linux" ? null : fallback);
        }

        var major = int.Parse(version[..majorLength], NumberStyles.None, CultureInfo.InvariantCulture);
        var rest = version[majorLength..];
        var minorLength = rest.Length > 1 && rest[0] == '.' ? CountDigits(rest[1..]) : 0;
        var minorDigits = minorLength is > 0 and <= 5 ? rest.Slice(1, minorLength) : [];
        var minor = minorDigits.IsEmpty ? -1 : int.Parse(minorDigits, NumberStyles.None, CultureInfo.InvariantCulture);

        var mapped = os switch
        {
            "Windows" => major switch
            {
                >= 13 => "11",
                >= 1 and <= 10 => "10",
                0 => minor switch { 1 => "7", 2 => "8", 3 => "8.1", _ => fallback },
                _ => fallback,
            },
            "macOS" => major == 10 && minor >= 0 ? string.Concat("10.", Number(minorDigits)) : Number(version[..majorLength]),
            _ => major == 0 ? fallback : Number(version[..majorLength]),
        };
        return (os, mapped);
    }

    private static string? DeviceFromHints(ClientHints hints, UserAgentInfo info, string? os)
    {
        if (info.DeviceType is DeviceTypes.TV or DeviceTypes.Console)
        {
            return info.DeviceType;
        }

        var mobile = Unquote(hints.SecChUaMobile);
        if (mobile.SequenceEqual("?1"))
        {
            return DeviceTypes.Mobile;
        }

        if (mobile.SequenceEqual("?0"))
        {
            switch (os)
            {
                case "Android":
                    return DeviceTypes.Tablet;
                case "Windows" or "macOS" or "Linux" or "Chrome OS":
                    return DeviceTypes.Desktop;
                default:
                    break;
            }
        }

        return info.DeviceType;
    }

    /// <summary>
    /// The most specific known brand of a brand list (<c>"Brand";v="1", ...</c>) and its major version; and the
    /// <c>Chromium</c> brand's major ("" when it has none) when the list carries it.
    /// </summary>
    private static (string? Name, string? Major, string? ChromiumMajor) ReadBrands(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return default;
        }

        var list = header.AsSpan();
        if (list.Length > MaxHintLength)
        {
            list = list[..MaxHintLength];
        }

        var best = -1;
        string? bestMajor = null;
        string? chromiumMajor = null;
        for (var count = 0; !list.IsEmpty && count < MaxBrands; count++)
        {
            var itemLength = ItemLength(list);
            var item = list[..itemLength];
            list = itemLength < list.Length ? list[(itemLength + 1)..] : [];

            if (!TrySplitItem(item.Trim(), out var brand, out var parameters))
            {
                continue;
            }

            if (brand.Equals("Chromium", StringComparison.OrdinalIgnoreCase))
            {
                chromiumMajor ??= VersionParameter(parameters) ?? string.Empty;
                continue;
            }

            for (var i = 0; i < s_brands.Length && (best < 0 || i < best); i++)
            {
                if (brand.Equals(s_brands[i].Brand, StringComparison.OrdinalIgnoreCase))
                {
                    best = i;
                    bestMajor = VersionParameter(parameters);
                    break;
                }
            }
        }

        return (best < 0 ? null : s_brands[best].Name, bestMajor, chromiumMajor);
    }

    /// <summary>The length of the first list member: up to the first comma outside a quoted string.</summary>
    private static int ItemLength(ReadOnlySpan<char> list)
    {
        var quoted = false;
        for (var i = 0; i < list.Length; i++)
        {
            switch (list[i])
            {
                case '\\' when quoted:
                    i++;
                    break;
                case '"':
                    quoted = !quoted;
                    break;
                case ',' when !quoted:
                    return i;
                default:
                    break;
            }
        }

        return list.Length;
    }

    /// <summary>Splits a member <c>"Brand";v="1"</c> into its brand (without the quotes) and its parameters.</summary>
    private static bool TrySplitItem(ReadOnlySpan<char> item, out ReadOnlySpan<char> brand, out ReadOnlySpan<char> parameters)
    {
        brand = parameters = [];
        if (item.Length < 2 || item[0] != '"')
        {
            return false;
        }

        for (var i = 1; i < item.Length; i++)
        {
            if (item[i] == '\\')
            {
                i++;
            }
            else if (item[i] == '"')
            {
                brand = item[1..i];
                parameters = item[(i + 1)..];
                return !brand.IsEmpty;
            }
        }

        return false;
    }

    /// <summary>The major of the <c>v</c> parameter (<c>;v="134"</c>, <c>;v="134.0.6998.89"</c>), or <see langword="null"/>.</summary>
    private static string? VersionParameter(ReadOnlySpan<char> parameters)
    {
        while (!parameters.IsEmpty)
        {
            var semicolon = parameters.IndexOf(';');
            if (semicolon < 0)
            {
                return null;
            }

            parameters = parameters[(semicolon + 1)..].TrimStart();
            if (parameters.StartsWith("v=", StringComparison.Ordinal))
            {
                var value = parameters[2..];
                if (!value.IsEmpty && value[0] == '"')
                {
                    value = value[1..];
                }

                var length = CountDigits(value);
                return length is 0 or > 5 ? null : Number(value[..length]);
            }
        }

        return null;
    }

    /// <summary>A structured-header string or token without its quotes and surrounding white space; empty when unusable.</summary>
    private static ReadOnlySpan<char> Unquote(string? value)
    {
        if (value is null || value.Length > MaxHintLength)
        {
            return [];
        }

        var span = value.AsSpan().Trim();
        if (span.Length >= 2 && span[0] == '"' && span[^1] == '"')
        {
            span = span[1..^1];
        }

        return span;
    }
}

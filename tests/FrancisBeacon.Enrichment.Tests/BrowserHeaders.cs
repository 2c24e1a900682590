using System.Globalization;
using System.Text.RegularExpressions;

namespace FrancisBeacon.Enrichment.Tests;

/// <summary>How the hit reached the beacon.</summary>
public enum RequestKind
{
    /// <summary>The tracker script's <c>fetch</c>/<c>sendBeacon</c> to the JSON endpoint.</summary>
    ScriptBeacon,

    /// <summary>An <c>&lt;img&gt;</c> pixel.</summary>
    Pixel,

    /// <summary>A top-level navigation to one of the app's HTML pages (server-side page view).</summary>
    Navigation,
}

/// <summary>
/// The headers a browser sends with a given user agent, modelled on what the engines ship: Fetch Metadata
/// (<c>Sec-Fetch-*</c>) in Chromium 76+, Firefox 90+ and WebKit 16.4+ (taken as iOS/Safari 17+ here), User-Agent client
/// hints in Chromium 89+ outside iOS. The model is written from the engines' release history, not from the detector.
/// </summary>
internal static partial class BrowserHeaders
{
    public static BotSignals For(string userAgent, RequestKind kind)
    {
        var chromium = Major(ChromeToken().Match(userAgent));
        var firefox = Major(FirefoxToken().Match(userAgent));
        var isIos = userAgent.Contains("iPhone", StringComparison.Ordinal) || userAgent.Contains("iPad", StringComparison.Ordinal) ||
            userAgent.Contains("iPod", StringComparison.Ordinal);
        var iosVersion = Major(IosToken().Match(userAgent));
        var safariVersion = Major(SafariVersionToken().Match(userAgent));

        bool sendsFetchMetadata;
        if (isIos)
        {
            // Every iOS browser is WebKit; iOS 26 freezes the OS version at 18, Safari's Version/ tells the truth.
            sendsFetchMetadata = Math.Max(iosVersion, safariVersion) >= 17;
        }
        else if (userAgent.Contains("Macintosh", StringComparison.Ordinal) && chromium == 0 && firefox == 0)
        {
            sendsFetchMetadata = safariVersion >= 17;
        }
        else
        {
            sendsFetchMetadata = chromium >= 76 || firefox >= 90;
        }

        var sendsClientHints = chromium >= 89 && !isIos;

        var (accept, mode, dest, site) = kind switch
        {
            RequestKind.ScriptBeacon => ("*/*", "cors", "empty", "same-origin"),
            RequestKind.Pixel => ("image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8", "no-cors", "image", "same-origin"),
            _ => ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", "navigate", "document", "cross-site"),
        };

        return new BotSignals
        {
            UserAgent = userAgent,
            AcceptLanguage = "en-US,en;q=0.9",
            Accept = accept,
            SecFetchSite = sendsFetchMetadata ? site : null,
            SecFetchMode = sendsFetchMetadata ? mode : null,
            SecFetchDest = sendsFetchMetadata ? dest : null,
            SecChUa = sendsClientHints
                ? $"\"Chromium\";v=\"{chromium}\", \"Not(A:Brand\";v=\"24\", \"Google Chrome\";v=\"{chromium}\""
                : null,
            IsScriptRequest = kind == RequestKind.ScriptBeacon,
            IsHttps = true,
        };
    }

    private static int Major(Match match) =>
        match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var major) ? major : 0;

    [GeneratedRegex(@"(?:Chrome|Chromium)/(\d{1,4})")]
    private static partial Regex ChromeToken();

    [GeneratedRegex(@"Firefox/(\d{1,4})")]
    private static partial Regex FirefoxToken();

    [GeneratedRegex(@"(?:iPhone OS|CPU OS) (\d{1,3})_")]
    private static partial Regex IosToken();

    [GeneratedRegex(@"Version/(\d{1,3})")]
    private static partial Regex SafariVersionToken();
}

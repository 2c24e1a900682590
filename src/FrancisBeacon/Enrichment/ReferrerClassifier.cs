namespace FrancisBeacon.Enrichment;

/// <summary>What <see cref="ReferrerClassifier"/> looks at. Every field is optional.</summary>
public sealed record ReferrerSignals
{
    /// <summary>
    /// The referrer: an absolute URL (<c>https://www.google.com/</c>, <c>android-app://com.slack/</c>) or a bare host
    /// name (<c>www.google.com</c>).
    /// </summary>
    public string? Referrer { get; init; }

    /// <summary>The host of the page that was visited. A referrer from the same host is internal and is ignored.</summary>
    public string? PageHost { get; init; }

    /// <summary>The <c>utm_source</c> of the page URL. When present it names the source instead of the referrer.</summary>
    public string? UtmSource { get; init; }

    /// <summary>The <c>utm_medium</c> of the page URL.</summary>
    public string? UtmMedium { get; init; }

    /// <summary>The <c>utm_campaign</c> of the page URL.</summary>
    public string? UtmCampaign { get; init; }

    /// <summary>The ad click-id parameter present on the page URL, by name: <c>gclid</c> or <c>msclkid</c>.</summary>
    public string? ClickIdParameter { get; init; }
}

/// <summary>Where a visit came from.</summary>
/// <param name="Source">
/// The source's display name (<c>Google</c>, <c>Hacker News</c>), else the referrer's host without <c>www.</c>, else
/// the <c>utm_source</c> as given; <see langword="null"/> for direct traffic.
/// </param>
/// <param name="Channel">The acquisition channel, one of <see cref="TrafficChannels"/>.</param>
public sealed record TrafficSource(string? Source, string Channel);

/// <summary>
/// Names the source of a visit and its acquisition channel, following Plausible's rules (themselves Google
/// Analytics 4's default channel grouping with a few additions).
/// </summary>
/// <remarks>
/// <para><b>Source.</b> A <c>utm_source</c> wins over the referrer (as in Plausible). A <c>utm_source</c> or referrer
/// host that a known site uses is given that site's name, case-insensitively: <c>google.*</c> and
/// <c>com.google.android.googlequicksearchbox</c> → <c>Google</c>; <c>t.co</c>, <c>twitter.com</c>, <c>x.com</c> →
/// <c>Twitter</c>; <c>l.facebook.com</c>, <c>fb</c> → <c>Facebook</c>; <c>news.ycombinator.com</c> →
/// <c>Hacker News</c>; <c>fb-ads</c>, <c>googleads</c>, <c>adwords</c> → the network, marked as paid. Other hosts
/// are kept without <c>www.</c>; other <c>utm_source</c> values are kept as given (trimmed, at most
/// <see cref="HitLimits.MaxShortTextLength"/> characters).</para>
/// <para><b>Channel</b>, the first that applies: Cross-network, Paid Shopping, Paid Search, Paid Social, Paid Video,
/// Display, Paid Other, Organic Shopping, Organic Social, Organic Video, AI Assistants, Organic Search, Email,
/// Affiliates, Audio, SMS, Mobile Push Notifications, Referral, Direct. A medium is paid when it contains
/// <c>cp</c> or starts with <c>paid</c>, or is <c>ppc</c> or <c>retargeting</c>. The conditions of each are on
/// <see cref="TrafficChannels"/>.</para>
/// </remarks>
public static class ReferrerClassifier
{
    private static readonly string[] s_emailTags = ["email", "e-mail", "e_mail", "e mail", "newsletter"];
    private static readonly string[] s_displayMedia = ["display", "banner", "expandable", "interstitial", "cpm"];
    private static readonly string[] s_socialMedia = ["social", "social-network", "social-media", "sm", "social network", "social media"];
    private static readonly string[] s_referralMedia = ["referral", "app", "link"];

    /// <summary>Names the source and channel of a visit. Never throws.</summary>
    /// <param name="signals">The referrer, UTM parameters and click id of the landing page.</param>
    /// <returns>The source (or <see langword="null"/>) and the channel.</returns>
    public static TrafficSource Classify(ReferrerSignals signals)
    {
        ArgumentNullException.ThrowIfNull(signals);

        var utmSource = Clean(signals.UtmSource);
        if (utmSource is { Length: > HitLimits.MaxShortTextLength })
        {
            utmSource = utmSource[..HitLimits.MaxShortTextLength];
        }

        var medium = Clean(signals.UtmMedium)?.ToLowerInvariant() ?? string.Empty;
        var campaign = Clean(signals.UtmCampaign)?.ToLowerInvariant() ?? string.Empty;

        string? source;
        KnownSource? known;
        var paidSource = false;
        if (utmSource is not null)
        {
            (known, paidSource) = FromUtmSource(utmSource);
            source = known?.Name ?? utmSource;
        }
        else
        {
            var host = ReferrerHost(signals.Referrer, signals.PageHost);
            known = host is null ? null : KnownSources.ForHost(host);
            source = known?.Name ?? (host is not null && host.StartsWith("www.", StringComparison.Ordinal) ? host[4..] : host);
        }

        return new TrafficSource(source, Channel(source, known, paidSource, utmSource, medium, campaign, signals.ClickIdParameter));
    }

    /// <summary>
    /// The host of a referrer (URL or bare host), lower case, or <see langword="null"/> when it is missing, not
    /// http(s) or android-app, or the page's own host.
    /// </summary>
    internal static string? ReferrerHost(string? referrer, string? pageHost)
    {
        referrer = Clean(referrer);
        if (referrer is null || referrer.Length > HitLimits.MaxUrlLength)
        {
            return null;
        }

        string host;
        if (referrer.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(referrer, UriKind.Absolute, out var uri) ||
                (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != "android-app"))
            {
                return null;
            }

            if (UriHosts.IdnHostOrNull(uri) is not { } idnHost)
            {
                return null; // a host that breaks the IDN rules: no host to report
            }

            host = idnHost;
        }
        else
        {
            host = referrer;
        }

        host = host.TrimEnd('.').ToLowerInvariant();
        if (host.Length is 0 or > 253 || host == "localhost" || !IsHostName(host))
        {
            return null;
        }

        var page = Clean(pageHost)?.TrimEnd('.').ToLowerInvariant();
        return page is not null && (host == page || StripWww(host) == StripWww(page)) ? null : host;
    }

    private static (KnownSource? Known, bool Paid) FromUtmSource(string utmSource)
    {
        if (KnownSources.ForAlias(utmSource) is { } direct)
        {
            return (direct, false);
        }

        var lower = utmSource.ToLowerInvariant();
        if (lower == "adwords")
        {
            return (KnownSources.ForAlias("google"), true);
        }

        // Paid spellings: "fb-ads", "facebook_ad", "googleads", "yt-ads", "facebook_feed_ad".
        foreach (var suffix in (ReadOnlySpan<string>)["ads", "ad"])
        {
            if (!lower.EndsWith(suffix, StringComparison.Ordinal) || lower.Length == suffix.Length)
            {
                continue;
            }

            var stem = lower[..^suffix.Length].TrimEnd('-', '_', ' ', '.');
            if (stem.Length == 0)
            {
                continue;
            }

            var network = KnownSources.ForAlias(stem) ?? KnownSources.ForAlias(stem.Split('-', '_', ' ')[0]);
            if (network is not null)
            {
                return (network, true);
            }
        }

        return (lower.Contains('.', StringComparison.Ordinal) && IsHostName(lower) ? KnownSources.ForHost(lower) : null, false);
    }

    private static string Channel(
        string? source, KnownSource? known, bool paidSource, string? utmSource, string medium, string campaign, string? clickId)
    {
        var category = known?.Category ?? SourceCategory.None;
        var lowerSource = source?.ToLowerInvariant() ?? string.Empty;
        var lowerUtmSource = utmSource?.ToLowerInvariant() ?? string.Empty;
        var paidMedium = IsPaidMedium(medium);
        var shoppingCampaign = IsShoppingCampaign(campaign);

        if (campaign.Contains("cross-network", StringComparison.Ordinal))
        {
            return TrafficChannels.CrossNetwork;
        }

        if ((category == SourceCategory.Shopping || shoppingCampaign) && paidMedium)
        {
            return TrafficChannels.PaidShopping;
        }

        if ((category == SourceCategory.Search && (paidMedium || paidSource)) ||
            (lowerSource == "google" && string.Equals(clickId, "gclid", StringComparison.OrdinalIgnoreCase)) ||
            (lowerSource == "bing" && string.Equals(clickId, "msclkid", StringComparison.OrdinalIgnoreCase)))
        {
            return TrafficChannels.PaidSearch;
        }

        if (category == SourceCategory.Social && (paidMedium || paidSource))
        {
            return TrafficChannels.PaidSocial;
        }

        if (category == SourceCategory.Video && (paidMedium || paidSource))
        {
            return TrafficChannels.PaidVideo;
        }

        if (s_displayMedia.Contains(medium))
        {
            return TrafficChannels.Display;
        }

        if (paidMedium)
        {
            return TrafficChannels.PaidOther;
        }

        if (category == SourceCategory.Shopping || shoppingCampaign)
        {
            return TrafficChannels.OrganicShopping;
        }

        if (category == SourceCategory.Social || s_socialMedia.Contains(medium))
        {
            return TrafficChannels.OrganicSocial;
        }

        if (category == SourceCategory.Video || medium.Contains("video", StringComparison.Ordinal))
        {
            return TrafficChannels.OrganicVideo;
        }

        if (category == SourceCategory.AiAssistant)
        {
            return TrafficChannels.AiAssistants;
        }

        if (category == SourceCategory.Search || medium == "organic")
        {
            return TrafficChannels.OrganicSearch;
        }

        if (category == SourceCategory.Email || ContainsAny(lowerUtmSource, s_emailTags) || ContainsAny(medium, s_emailTags))
        {
            return TrafficChannels.Email;
        }

        if (medium == "affiliate")
        {
            return TrafficChannels.Affiliates;
        }

        if (medium == "audio")
        {
            return TrafficChannels.Audio;
        }

        if (lowerUtmSource == "sms" || medium == "sms")
        {
            return TrafficChannels.Sms;
        }

        if (medium.EndsWith("push", StringComparison.Ordinal) || medium.Contains("mobile", StringComparison.Ordinal) ||
            medium.Contains("notification", StringComparison.Ordinal) || lowerSource == "firebase")
        {
            return TrafficChannels.MobilePushNotifications;
        }

        if (s_referralMedia.Contains(medium) || lowerSource.Length > 0)
        {
            return TrafficChannels.Referral;
        }

        return TrafficChannels.Direct;
    }

    /// <summary>GA4's paid medium: <c>^(.*cp.*|ppc|retargeting|paid.*)$</c>.</summary>
    private static bool IsPaidMedium(string medium) =>
        medium.Contains("cp", StringComparison.Ordinal) || medium == "ppc" || medium == "retargeting" ||
        medium.StartsWith("paid", StringComparison.Ordinal);

    /// <summary>GA4's shopping campaign: <c>^(.*(([^a-df-z]|^)shop|shopping).*)$</c>.</summary>
    private static bool IsShoppingCampaign(string campaign)
    {
        if (campaign.Contains("shopping", StringComparison.Ordinal))
        {
            return true;
        }

        for (var at = campaign.IndexOf("shop", StringComparison.Ordinal); at >= 0;
             at = campaign.IndexOf("shop", at + 1, StringComparison.Ordinal))
        {
            if (at == 0 || campaign[at - 1] is not ((>= 'a' and <= 'd') or (>= 'f' and <= 'z')))
            {
                return true;
            }
        }

        return false;
    }

    private static bool ContainsAny(string value, string[] parts)
    {
        foreach (var part in parts)
        {
            if (value.Contains(part, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsHostName(string host)
    {
        foreach (var c in host)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static string StripWww(string host) => host.StartsWith("www.", StringComparison.Ordinal) ? host[4..] : host;

    private static string? Clean(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return null;
            }
        }

        return value;
    }
}

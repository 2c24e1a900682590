namespace FrancisBeacon.Enrichment;

/// <summary>
/// The acquisition channels <see cref="ReferrerClassifier"/> assigns, named as Plausible (and Google Analytics 4)
/// name them.
/// </summary>
public static class TrafficChannels
{
    /// <summary><c>utm_campaign</c> contains <c>cross-network</c>.</summary>
    public const string CrossNetwork = "Cross-network";

    /// <summary>A shopping site or shopping campaign with a paid medium.</summary>
    public const string PaidShopping = "Paid Shopping";

    /// <summary>A search engine with a paid medium or paid source, or Google with <c>gclid</c>, or Bing with <c>msclkid</c>.</summary>
    public const string PaidSearch = "Paid Search";

    /// <summary>A social network with a paid medium or paid source (<c>fb-ads</c>, ...).</summary>
    public const string PaidSocial = "Paid Social";

    /// <summary>A video site with a paid medium or paid source (<c>yt-ads</c>, ...).</summary>
    public const string PaidVideo = "Paid Video";

    /// <summary><c>utm_medium</c> is <c>display</c>, <c>banner</c>, <c>expandable</c>, <c>interstitial</c> or <c>cpm</c>.</summary>
    public const string Display = "Display";

    /// <summary>Any other paid medium (<c>cpc</c>, <c>ppc</c>, <c>retargeting</c>, <c>paid...</c>).</summary>
    public const string PaidOther = "Paid Other";

    /// <summary>A shopping site, or a campaign whose name mentions shopping.</summary>
    public const string OrganicShopping = "Organic Shopping";

    /// <summary>A social network, or a social <c>utm_medium</c>.</summary>
    public const string OrganicSocial = "Organic Social";

    /// <summary>A video site, or a <c>utm_medium</c> containing <c>video</c>.</summary>
    public const string OrganicVideo = "Organic Video";

    /// <summary>An AI assistant (ChatGPT, Claude, Perplexity, Gemini, Copilot, ...).</summary>
    public const string AiAssistants = "AI Assistants";

    /// <summary>A search engine.</summary>
    public const string OrganicSearch = "Organic Search";

    /// <summary>A web-mail site, or an e-mail or newsletter <c>utm_source</c> or <c>utm_medium</c>.</summary>
    public const string Email = "Email";

    /// <summary><c>utm_medium</c> is <c>affiliate</c>.</summary>
    public const string Affiliates = "Affiliates";

    /// <summary><c>utm_medium</c> is <c>audio</c>.</summary>
    public const string Audio = "Audio";

    /// <summary><c>utm_source</c> or <c>utm_medium</c> is <c>sms</c>.</summary>
    public const string Sms = "SMS";

    /// <summary><c>utm_medium</c> ends with <c>push</c> or contains <c>mobile</c> or <c>notification</c>, or the source is Firebase.</summary>
    public const string MobilePushNotifications = "Mobile Push Notifications";

    /// <summary>Any other source, or <c>utm_medium</c> <c>referral</c>, <c>app</c> or <c>link</c>.</summary>
    public const string Referral = "Referral";

    /// <summary>No source and no medium.</summary>
    public const string Direct = "Direct";
}

// Referrer-spam domains: a short list kept by hand from widely reported spammers. Each entry also covers its
// subdomains. Add entries here (lower case, one per line, sorted); a larger community list can replace it once one is
// available from a package registry this project can use.

namespace FrancisBeacon.Enrichment;

/// <summary>The referrer-spam domains behind <see cref="ReferrerSpam"/>, one per line, lower case.</summary>
internal static class ReferrerSpamList
{
    /// <summary>Where <see cref="Domains"/> comes from.</summary>
    public const string Source = "FrancisBeacon's hand-kept list (src/FrancisBeacon/Enrichment/ReferrerSpamList.cs)";

    /// <summary>36 domains; each also covers its subdomains.</summary>
    public const int Count = 36;

    /// <summary>The domains, one per line.</summary>
    public const string Domains = """
        100dollars-seo.com
        4webmasters.org
        7makemoneyonline.com
        anticrawler.org
        best-seo-offer.com
        best-seo-solution.com
        blackhatworth.com
        buttons-for-website.com
        buttons-for-your-website.com
        darodar.com
        event-tracking.com
        floating-share-buttons.com
        free-share-buttons.com
        free-social-buttons.com
        get-free-traffic-now.com
        googlsucks.com
        hulfingtonpost.com
        humanorightswatch.org
        ilovevitaly.com
        ilovevitaly.ru
        kambasoft.com
        o-o-6-o-o.com
        priceg.com
        rank-checker.online
        ranksonic.info
        savetubevideo.com
        semalt.com
        seo-platform.com
        sharebutton.net
        simple-share-buttons.com
        social-buttons.com
        success-seo.com
        trafficmonetize.com
        trafficmonetizer.org
        videos-for-your-business.com
        webmonetizer.net
        """;
}

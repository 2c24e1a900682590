using FrancisBeacon.Enrichment;
using Microsoft.AspNetCore.Http;

namespace FrancisBeacon.AspNetCore;

/// <summary>What the collection endpoints received, before it becomes a <see cref="Hit"/>.</summary>
/// <param name="Url">The page URL (absolute http or https).</param>
/// <param name="Referrer">The document referrer, if any.</param>
/// <param name="EventName">The event name; <c>pageview</c> when empty.</param>
/// <param name="ScreenWidth">The screen width in CSS pixels, if known.</param>
/// <param name="Properties">Custom properties, already checked against <see cref="HitLimits"/>.</param>
/// <param name="Domain">A site id (or a comma-separated list) to use when the page's host belongs to no configured site.</param>
/// <param name="RevenueAmount">The revenue amount; needs <paramref name="RevenueCurrency"/>.</param>
/// <param name="RevenueCurrency">The ISO 4217 currency of <paramref name="RevenueAmount"/>.</param>
internal sealed record HitInput(
    string? Url,
    string? Referrer,
    string? EventName,
    int? ScreenWidth,
    IReadOnlyDictionary<string, string>? Properties,
    string? Domain = null,
    decimal? RevenueAmount = null,
    string? RevenueCurrency = null);

/// <summary>The outcome of turning input into a hit.</summary>
internal readonly record struct HitBuildResult(Hit? Hit, string? Error, string? DropReason)
{
    public static HitBuildResult Invalid(string error) => new(null, error, null);
}

/// <summary>Validates raw input and builds the hit: site, host, normalised path, referrer, UTM, visitor id.</summary>
internal sealed class HitFactory
{
    private readonly SiteResolver _sites;
    private readonly HitPipeline _pipeline;
    private readonly TimeProvider _time;

    // What the URL parsing below gave for recent page URLs and referrers (docs/performance.md, round 10): the same
    // answers, without two Uri objects, their host and path strings and the query scan on every hit.
    private readonly ParseCache<ParsedPage> _pages = new();
    private readonly ParseCache<ParsedReferrer> _referrers = new();

    public HitFactory(SiteResolver sites, HitPipeline pipeline, TimeProvider time)
    {
        _sites = sites;
        _pipeline = pipeline;
        _time = time;
    }

    public HitBuildResult Build(HitInput input, HttpContext context, HitSource source)
    {
        var headers = context.Request.Headers;
        return Build(input, new HitRequestSignals(source, context.Connection.RemoteIpAddress, new RequestHeaderReader(headers).Read, context.Request.IsHttps));
    }

    /// <summary>Builds the hit from input and whatever is known about its sender (nothing, for app code outside a request).</summary>
    public HitBuildResult Build(HitInput input, HitRequestSignals signals)
    {
        if (string.IsNullOrWhiteSpace(input.Url))
        {
            return HitBuildResult.Invalid("The page URL is missing: pass it as 'u' (or 'url' in JSON) or send a Referer header.");
        }

        if (input.Url.Length > HitLimits.MaxUrlLength)
        {
            return HitBuildResult.Invalid($"The page URL is longer than {HitLimits.MaxUrlLength} characters.");
        }

        Uri? page = null;
        if (!_pages.TryGet(input.Url, out var cached) &&
            (!Uri.TryCreate(input.Url, UriKind.Absolute, out page) ||
             (page.Scheme != Uri.UriSchemeHttp && page.Scheme != Uri.UriSchemeHttps) ||
             string.IsNullOrEmpty(page.Host)))
        {
            return HitBuildResult.Invalid("The page URL must be an absolute http or https URL.");
        }

        var eventName = string.IsNullOrWhiteSpace(input.EventName) ? Hit.PageviewEvent : input.EventName.Trim();
        if (eventName.Length > HitLimits.MaxShortTextLength || HasControlCharacters(eventName))
        {
            return HitBuildResult.Invalid($"The event name must be at most {HitLimits.MaxShortTextLength} printable characters.");
        }

        if (input.ScreenWidth is < 0 or > 100_000)
        {
            return HitBuildResult.Invalid("screen_width must be between 0 and 100000.");
        }

        if (!Revenue.TryNormalise(input.RevenueAmount, input.RevenueCurrency, out var revenueAmount, out var revenueError))
        {
            return HitBuildResult.Invalid(revenueError);
        }

        if ((cached?.PageHost ?? IdnHost(page!)) is not { } pageHost)
        {
            return HitBuildResult.Invalid("The page URL's host name is not a valid international domain name.");
        }

        var site = _sites.ForHost(pageHost, input.Domain);
        if (site is null)
        {
            return new HitBuildResult(null, null, DropReasons.UnknownSite);
        }

        var settings = site.Settings;
        if (settings.RespectGlobalPrivacyControl && signals.Header("Sec-GPC")?.Trim() == "1")
        {
            return new HitBuildResult(null, null, DropReasons.GlobalPrivacyControl);
        }

        if (settings.RespectDoNotTrack && signals.Header("DNT")?.Trim() == "1")
        {
            return new HitBuildResult(null, null, DropReasons.DoNotTrack);
        }

        // The host name, path and campaign parameters depend on the URL and on the site's URL settings alone.
        if (cached is null || !ReferenceEquals(cached.Settings, settings))
        {
            page ??= new Uri(input.Url, UriKind.Absolute); // cached under another site's settings (a domain hint)
            var (normalisedHost, normalisedPath) = PageUrl.Normalise(page, settings.QueryParameters.AsReadOnly(), settings.HashRouting, settings.TrailingSlash);
            cached = new ParsedPage(pageHost, settings, normalisedHost, normalisedPath, ParseQuery(page.Query));
            _pages.Set(input.Url, cached);
        }

        var (hostname, path, query) = (cached.Hostname, cached.Path, cached.Query);
        string? referrer = null;
        string? referrerSource = null;
        ParsedReferrer? referrerHost = null;
        if (!string.IsNullOrWhiteSpace(input.Referrer) && input.Referrer.Length <= HitLimits.MaxUrlLength &&
            ParseReferrer(input.Referrer) is { Host: { } parsedHost } parsedReferrer)
        {
            if (!string.Equals(parsedHost, hostname, StringComparison.Ordinal))
            {
                referrer = input.Referrer;
                referrerHost = parsedReferrer;
                referrerSource = parsedHost.StartsWith("www.", StringComparison.Ordinal) ? parsedHost[4..] : parsedHost;
            }
        }

        var utmSource = Limit(query.Get(CampaignParameters.UtmSource) ?? query.Get(CampaignParameters.Ref) ?? query.Get(CampaignParameters.Source));
        var now = _time.GetUtcNow();
        var draft = new HitDraft(signals, site.TimeZone)
        {
            SiteId = site.Id,
            Timestamp = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero),
            EventName = eventName,
            Hostname = hostname,
            Path = path,
            Referrer = referrer,
            ReferrerSource = referrerSource,
            UtmSource = utmSource,
            UtmMedium = Limit(query.Get(CampaignParameters.UtmMedium)),
            UtmCampaign = Limit(query.Get(CampaignParameters.UtmCampaign)),
            UtmTerm = Limit(query.Get(CampaignParameters.UtmTerm)),
            UtmContent = Limit(query.Get(CampaignParameters.UtmContent)),
            ScreenWidth = input.ScreenWidth,
            Language = PrimaryLanguage(signals.Header("Accept-Language")),
            Properties = input.Properties ?? Hit.EmptyProperties,
            RevenueAmount = revenueAmount,
            RevenueCurrency = revenueAmount is null ? null : input.RevenueCurrency,
        };
        if (referrer is not null)
        {
            draft.SetParsedReferrer(referrer, referrerHost!.Host!, referrerHost.IsSpam);
        }

        var hit = _pipeline.Run(draft);
        return hit is null
            ? new HitBuildResult(null, null, draft.DropReason)
            : new HitBuildResult(hit, null, null);
    }

    /// <summary>
    /// The lower-case punycode host of an absolute http or https referrer URL (<see cref="ParsedReferrer.NotAUrl"/>
    /// for any other referrer), and whether that host is referrer spam.
    /// </summary>
    private ParsedReferrer ParseReferrer(string referrer)
    {
        if (_referrers.TryGet(referrer, out var cached))
        {
            return cached;
        }

        var host = Uri.TryCreate(referrer, UriKind.Absolute, out var referrerUri) &&
            (referrerUri.Scheme == Uri.UriSchemeHttp || referrerUri.Scheme == Uri.UriSchemeHttps)
            ? IdnHost(referrerUri)
            : null;
        var parsed = host is null ? ParsedReferrer.NotAUrl : new ParsedReferrer(host, ReferrerSpam.IsSpam(host));
        _referrers.Set(referrer, parsed);
        return parsed;
    }

    /// <summary>The lower-case punycode host, or <see langword="null"/> when the host breaks the IDN rules (Uri throws for those).</summary>
    private static string? IdnHost(Uri uri)
    {
        try
        {
            return uri.IdnHost.ToLowerInvariant();
        }
        catch (UriFormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The campaign parameters of a page's query string: for each name (case-insensitive), the first value, as
    /// <c>QueryHelpers.ParseQuery</c> gives it — except that a name whose only value is empty counts as absent.
    /// Scans the query once without building a dictionary; only the seven names read here are decoded.
    /// </summary>
    internal static CampaignParameters ParseQuery(string query)
    {
        var result = default(CampaignParameters);
        if (string.IsNullOrEmpty(query))
        {
            return result;
        }

        foreach (var pair in new Microsoft.AspNetCore.WebUtilities.QueryStringEnumerable(query))
        {
            var encoded = pair.EncodedName.Span;
            var name = encoded.ContainsAny('%', '+') ? pair.DecodeName().Span : encoded;
            var slot = CampaignParameters.Slot(name);
            if (slot >= 0)
            {
                result.Add(slot, pair.DecodeValue().ToString());
            }
        }

        return result;
    }

    private static string? Limit(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        value = value.Trim();
        return value.Length > HitLimits.MaxShortTextLength ? value[..HitLimits.MaxShortTextLength] : value;
    }

    internal static string? PrimaryLanguage(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        // The first entry without its weight, as header.Split(',')[0].Split(';')[0].Trim(), allocating only the result.
        var first = header.AsSpan();
        var comma = first.IndexOf(',');
        first = comma >= 0 ? first[..comma] : first;
        var semicolon = first.IndexOf(';');
        first = (semicolon >= 0 ? first[..semicolon] : first).Trim();
        if (first.Length is 0 or > 35 || first is "*" || first.ContainsAnyInRange('\0', '\u001F') || first.ContainsAnyInRange('\u007F', '\u009F'))
        {
            return null;
        }

        return first.Length == header.Length ? header : first.ToString();
    }

    private static bool HasControlCharacters(string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>What a valid page URL gave under one site's URL settings: its host (for the site lookup), the stored host name and path, and its campaign parameters.</summary>
internal sealed record ParsedPage(string PageHost, BeaconSiteOptions Settings, string Hostname, string Path, CampaignParameters Query);

/// <summary>
/// The host of a referrer URL and whether it is referrer spam (<see cref="ReferrerSpam.IsSpam"/> of the host);
/// <see cref="NotAUrl"/> for a referrer that is not an absolute http or https URL with a valid host.
/// </summary>
internal sealed record ParsedReferrer(string? Host, bool IsSpam = false)
{
    public static readonly ParsedReferrer NotAUrl = new((string?)null);
}

/// <summary>The first value of each campaign parameter in a query string (see <see cref="HitFactory.ParseQuery"/>).</summary>
internal struct CampaignParameters
{
    public const int UtmSource = 0;
    public const int UtmMedium = 1;
    public const int UtmCampaign = 2;
    public const int UtmTerm = 3;
    public const int UtmContent = 4;
    public const int Ref = 5;
    public const int Source = 6;

    private Values _first;
    private int _seen;
    private int _repeated;

    /// <summary>The slot of a decoded parameter name, or -1 when it is not one of the seven.</summary>
    public static int Slot(ReadOnlySpan<char> name)
    {
        if (name.StartsWith("utm_", StringComparison.OrdinalIgnoreCase))
        {
            var rest = name[4..];
            return rest.Equals("source", StringComparison.OrdinalIgnoreCase) ? UtmSource
                : rest.Equals("medium", StringComparison.OrdinalIgnoreCase) ? UtmMedium
                : rest.Equals("campaign", StringComparison.OrdinalIgnoreCase) ? UtmCampaign
                : rest.Equals("term", StringComparison.OrdinalIgnoreCase) ? UtmTerm
                : rest.Equals("content", StringComparison.OrdinalIgnoreCase) ? UtmContent
                : -1;
        }

        return name.Equals("ref", StringComparison.OrdinalIgnoreCase) ? Ref
            : name.Equals("source", StringComparison.OrdinalIgnoreCase) ? Source
            : -1;
    }

    public void Add(int slot, string value)
    {
        var bit = 1 << slot;
        if ((_seen & bit) == 0)
        {
            _first[slot] = value;
            _seen |= bit;
        }
        else
        {
            _repeated |= bit;
        }
    }

    /// <summary>The first value; <see langword="null"/> when absent or given once and empty.</summary>
    public readonly string? Get(int slot)
    {
        var bit = 1 << slot;
        if ((_seen & bit) == 0)
        {
            return null;
        }

        var value = _first[slot];
        return (_repeated & bit) == 0 && string.IsNullOrEmpty(value) ? null : value;
    }

    [System.Runtime.CompilerServices.InlineArray(7)]
    private struct Values
    {
        private string? _element;
    }
}

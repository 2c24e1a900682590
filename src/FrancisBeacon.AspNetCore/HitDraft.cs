using FrancisBeacon.Enrichment;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// A hit while the pipeline builds it: the fields of <see cref="Hit"/>, mutable, so that the built-in enrichers fill
/// them in place and the <see cref="Hit"/> is allocated once at the end, instead of copied with <c>with</c> by every
/// step (four hit objects per request before). A custom <see cref="IHitEnricher"/> still gets a real
/// <see cref="HitEnrichmentContext"/> whose <see cref="HitEnrichmentContext.Hit"/> holds everything the steps before
/// it set, and whatever it sets is read back (<see cref="HitPipeline.Run(HitDraft)"/>); so the public contract is
/// unchanged.
/// </summary>
/// <remarks>Also carries what the steps share about the request: the user agent (read once) and the referrer's host
/// as <see cref="HitFactory"/> parsed it (so the referrer URL is parsed once, not three times).</remarks>
internal sealed class HitDraft
{
    private string? _userAgent;
    private bool _userAgentRead;
    private string? _parsedReferrer;
    private string? _parsedReferrerHost;
    private bool _parsedReferrerIsSpam;

    public HitDraft(HitRequestSignals signals, TimeZoneInfo siteTimeZone)
    {
        Signals = signals;
        SiteTimeZone = siteTimeZone;
    }

    /// <summary>What the request said about its sender.</summary>
    public HitRequestSignals Signals { get; }

    /// <summary>The time zone of the hit's site.</summary>
    public TimeZoneInfo SiteTimeZone { get; }

    /// <summary>Why a step dropped the hit, or <see langword="null"/> while it is kept.</summary>
    public string? DropReason { get; set; }

    /// <summary>The bot step's verdict, once it ran (custom steps find it in <c>Items["bot"]</c>).</summary>
    public BotVerdict? Bot { get; set; }

    /// <summary>The <c>User-Agent</c> header, read once.</summary>
    public string? UserAgent
    {
        get
        {
            if (!_userAgentRead)
            {
                _userAgent = Signals.UserAgent;
                _userAgentRead = true;
            }

            return _userAgent;
        }
    }

    /// <summary>
    /// The referrer's host (lower-case punycode) when <see cref="Referrer"/> is still the URL that
    /// <see cref="SetParsedReferrer"/> was given; <see langword="null"/> when it was not parsed or a step changed it.
    /// </summary>
    public string? ParsedReferrerHost => _parsedReferrer is not null && ReferenceEquals(_parsedReferrer, Referrer) ? _parsedReferrerHost : null;

    /// <summary>
    /// <see cref="ReferrerSpam.IsSpam"/> of <see cref="ParsedReferrerHost"/>, as <see cref="HitFactory"/> remembered it
    /// with the parsed host; meaningful only while <see cref="ParsedReferrerHost"/> is not <see langword="null"/>.
    /// </summary>
    public bool ParsedReferrerIsSpam => _parsedReferrerIsSpam;

    public Guid? Id { get; set; }

    public required string SiteId { get; set; }

    public DateTimeOffset Timestamp { get; set; }

    public string EventName { get; set; } = Hit.PageviewEvent;

    public string Hostname { get; set; } = string.Empty;

    public required string Path { get; set; }

    public string? Referrer { get; set; }

    public string? ReferrerSource { get; set; }

    public string? Channel { get; set; }

    public string? UtmSource { get; set; }

    public string? UtmMedium { get; set; }

    public string? UtmCampaign { get; set; }

    public string? UtmTerm { get; set; }

    public string? UtmContent { get; set; }

    public long VisitorId { get; set; }

    public long? PreviousVisitorId { get; set; }

    public string? Browser { get; set; }

    public string? BrowserVersion { get; set; }

    public string? OperatingSystem { get; set; }

    public string? OperatingSystemVersion { get; set; }

    public string? DeviceType { get; set; }

    public string? Country { get; set; }

    public string? Region { get; set; }

    public string? City { get; set; }

    public int? ScreenWidth { get; set; }

    public string? Language { get; set; }

    public decimal? RevenueAmount { get; set; }

    public string? RevenueCurrency { get; set; }

    public IReadOnlyDictionary<string, string> Properties { get; set; } = Hit.EmptyProperties;

    /// <summary>
    /// Remembers the host <see cref="HitFactory"/> parsed from the referrer URL it stored in <see cref="Referrer"/>.
    /// Not kept for a referrer with control characters (the classifier treats those as no referrer at all).
    /// </summary>
    public void SetParsedReferrer(string referrer, string host, bool isSpam)
    {
        foreach (var c in referrer)
        {
            if (char.IsControl(c))
            {
                return;
            }
        }

        _parsedReferrer = referrer;
        _parsedReferrerHost = host;
        _parsedReferrerIsSpam = isSpam;
    }

    /// <summary>A draft of an existing hit (for a step run on its own, outside the pipeline).</summary>
    public static HitDraft From(Hit hit, HitRequestSignals signals, TimeZoneInfo siteTimeZone)
    {
        var draft = new HitDraft(signals, siteTimeZone) { SiteId = hit.SiteId, Path = hit.Path };
        draft.Load(hit);
        return draft;
    }

    /// <summary>Takes every field of <paramref name="hit"/> (what a custom step left in its context).</summary>
    public void Load(Hit hit)
    {
        Id = hit.Id;
        SiteId = hit.SiteId;
        Timestamp = hit.Timestamp;
        EventName = hit.EventName;
        Hostname = hit.Hostname;
        Path = hit.Path;
        Referrer = hit.Referrer;
        ReferrerSource = hit.ReferrerSource;
        Channel = hit.Channel;
        UtmSource = hit.UtmSource;
        UtmMedium = hit.UtmMedium;
        UtmCampaign = hit.UtmCampaign;
        UtmTerm = hit.UtmTerm;
        UtmContent = hit.UtmContent;
        VisitorId = hit.VisitorId;
        PreviousVisitorId = hit.PreviousVisitorId;
        Browser = hit.Browser;
        BrowserVersion = hit.BrowserVersion;
        OperatingSystem = hit.OperatingSystem;
        OperatingSystemVersion = hit.OperatingSystemVersion;
        DeviceType = hit.DeviceType;
        Country = hit.Country;
        Region = hit.Region;
        City = hit.City;
        ScreenWidth = hit.ScreenWidth;
        Language = hit.Language;
        RevenueAmount = hit.RevenueAmount;
        RevenueCurrency = hit.RevenueCurrency;
        Properties = hit.Properties;
    }

    /// <summary>The hit as drafted so far. Its <see cref="Hit.Id"/> is kept, so later calls give the same id.</summary>
    public Hit ToHit()
    {
        var hit = new Hit
        {
            SiteId = SiteId,
            Timestamp = Timestamp,
            EventName = EventName,
            Hostname = Hostname,
            Path = Path,
            Referrer = Referrer,
            ReferrerSource = ReferrerSource,
            Channel = Channel,
            UtmSource = UtmSource,
            UtmMedium = UtmMedium,
            UtmCampaign = UtmCampaign,
            UtmTerm = UtmTerm,
            UtmContent = UtmContent,
            VisitorId = VisitorId,
            PreviousVisitorId = PreviousVisitorId,
            Browser = Browser,
            BrowserVersion = BrowserVersion,
            OperatingSystem = OperatingSystem,
            OperatingSystemVersion = OperatingSystemVersion,
            DeviceType = DeviceType,
            Country = Country,
            Region = Region,
            City = City,
            ScreenWidth = ScreenWidth,
            Language = Language,
            RevenueAmount = RevenueAmount,
            RevenueCurrency = RevenueCurrency,
            Properties = Properties,
        };
        if (Id is { } id)
        {
            return hit.Id == id ? hit : hit with { Id = id };
        }

        Id = hit.Id;
        return hit;
    }
}

/// <summary>
/// A built-in step that works on the <see cref="HitDraft"/> in place. Its public <see cref="IHitEnricher.Enrich"/>
/// (for a caller outside the pipeline) runs the same code on a draft of the context's hit.
/// </summary>
internal interface IBuiltInHitEnricher : IHitEnricher
{
    void Enrich(HitDraft draft);
}

internal static class BuiltInHitEnricher
{
    /// <summary>Runs a built-in step on a context: through a draft of its hit, then back.</summary>
    public static void Run(IBuiltInHitEnricher step, HitEnrichmentContext context)
    {
        var draft = HitDraft.From(context.Hit, context.Request, context.SiteTimeZone);
        step.Enrich(draft);
        if (draft.Bot is { } verdict)
        {
            context.Items["bot"] = verdict;
        }

        if (draft.DropReason is { } reason)
        {
            context.Drop(reason);
            return;
        }

        context.Hit = draft.ToHit();
    }
}

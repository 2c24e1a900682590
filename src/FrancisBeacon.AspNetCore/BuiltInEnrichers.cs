using FrancisBeacon.Enrichment;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>The built-in first step: drops crawlers, headless browsers, automation and prefetches.</summary>
internal sealed class BotEnricher : IBuiltInHitEnricher
{
    private readonly BotDetector _detector;
    private readonly bool _includeBots;
    private readonly BotLog _log;
    private readonly TimeProvider _time;

    public BotEnricher(IOptions<BeaconOptions> options, BotLog log, TimeProvider time)
    {
        _detector = new BotDetector(options.Value.BotDetection);
        _includeBots = options.Value.IncludeBots;
        _log = log;
        _time = time;
    }

    public int Order => HitEnricherOrder.Bots;

    public void Enrich(HitEnrichmentContext context) => BuiltInHitEnricher.Run(this, context);

    public void Enrich(HitDraft draft)
    {
        if (draft.Signals.Source == HitSource.Tracker)
        {
            return; // events from the app's own code are not bot traffic
        }

        var request = draft.Signals;
        var userAgent = draft.UserAgent;
        var verdict = _detector.Classify(new BotSignals
        {
            UserAgent = userAgent,
            AcceptLanguage = request.Header("Accept-Language"),
            Accept = request.Header("Accept"),
            Purpose = request.Header("Purpose"),
            SecPurpose = request.Header("Sec-Purpose"),
            SecFetchSite = request.Header("Sec-Fetch-Site"),
            SecFetchMode = request.Header("Sec-Fetch-Mode"),
            SecFetchDest = request.Header("Sec-Fetch-Dest"),
            SecChUa = request.Header("Sec-CH-UA"),
            IsScriptRequest = request.Source == HitSource.Script,
            IsHttps = request.IsHttps,
        });
        draft.Bot = verdict;
        if (!verdict.IsBot || _includeBots)
        {
            return;
        }

        var reason = "bot_" + (verdict.Reason ?? "unknown");
        _log.Add(new BotLogEntry(_time.GetUtcNow(), draft.SiteId, draft.Path, reason, UserAgentParser.Parse(userAgent).Browser));
        draft.DropReason = reason;
    }
}

/// <summary>The built-in referrer step: a readable source name from the referrer and campaign parameters.</summary>
internal sealed class ReferrerEnricher : IBuiltInHitEnricher
{
    public int Order => HitEnricherOrder.Referrer;

    public void Enrich(HitEnrichmentContext context) => BuiltInHitEnricher.Run(this, context);

    public void Enrich(HitDraft draft)
    {
        // The host HitFactory already parsed from this referrer URL gives the same answers as the URL (both checks
        // take a bare host), without parsing the URL twice more; HitFactory also remembered the spam check's answer
        // for that host with it.
        var parsedHost = draft.ParsedReferrerHost;
        var referrer = parsedHost ?? draft.Referrer;
        if (referrer is not null && (parsedHost is not null ? draft.ParsedReferrerIsSpam : ReferrerSpam.IsSpam(referrer)))
        {
            draft.DropReason = "referrer_spam";
            return;
        }

        var source = ReferrerClassifier.Classify(new ReferrerSignals
        {
            Referrer = referrer,
            PageHost = draft.Hostname,
            UtmSource = draft.UtmSource,
            UtmMedium = draft.UtmMedium,
            UtmCampaign = draft.UtmCampaign,
        });
        (draft.ReferrerSource, draft.Channel) = (source.Source, source.Channel);
    }
}

/// <summary>The built-in user-agent step: browser, operating system and device. The user agent itself is not kept.</summary>
internal sealed class UserAgentEnricher : IBuiltInHitEnricher
{
    public int Order => HitEnricherOrder.UserAgent;

    public void Enrich(HitEnrichmentContext context) => BuiltInHitEnricher.Run(this, context);

    public void Enrich(HitDraft draft)
    {
        var request = draft.Signals;
        var brands = request.Header("Sec-CH-UA");
        var platform = request.Header("Sec-CH-UA-Platform");
        var hints = brands is null && platform is null
            ? null
            : new ClientHints(brands, request.Header("Sec-CH-UA-Mobile"), platform, request.Header("Sec-CH-UA-Platform-Version"));
        var info = UserAgentParser.Parse(draft.UserAgent, hints);
        draft.Browser = info.Browser;
        draft.BrowserVersion = info.BrowserVersion;
        draft.OperatingSystem = info.OperatingSystem;
        draft.OperatingSystemVersion = info.OperatingSystemVersion;
        draft.DeviceType = info.DeviceType;
    }
}

/// <summary>One dropped bot hit, for the owner's audit. Holds no IP address and no user-agent string.</summary>
/// <param name="Timestamp">When it arrived.</param>
/// <param name="SiteId">The site it claimed.</param>
/// <param name="Path">The page it claimed.</param>
/// <param name="Reason">Why it was dropped, e.g. <c>bot_user_agent_pattern</c>.</param>
/// <param name="Browser">The browser family its user agent claimed, when recognisable.</param>
internal sealed record BotLogEntry(DateTimeOffset Timestamp, string SiteId, string Path, string Reason, string? Browser);

/// <summary>The last <see cref="BeaconOptions.BotLogSize"/> dropped bot hits, in memory only.</summary>
internal sealed class BotLog(IOptions<BeaconOptions> options)
{
    private readonly Lock _gate = new();
    private readonly Queue<BotLogEntry> _entries = new();
    private readonly int _capacity = options.Value.BotLogSize;

    public void Add(BotLogEntry entry)
    {
        if (_capacity == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_entries.Count == _capacity)
            {
                _entries.Dequeue();
            }

            _entries.Enqueue(entry);
        }
    }

    public IReadOnlyList<BotLogEntry> Snapshot()
    {
        lock (_gate)
        {
            return [.. _entries.Reverse()];
        }
    }
}

using FrancisBeacon.Enrichment;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>The built-in first step: drops crawlers, headless browsers, automation and prefetches.</summary>
internal sealed class BotEnricher : IHitEnricher
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

    public void Enrich(HitEnrichmentContext context)
    {
        if (context.Request.Source == HitSource.Tracker)
        {
            return; // events from the app's own code are not bot traffic
        }

        var request = context.Request;
        var verdict = _detector.Classify(new BotSignals
        {
            UserAgent = request.UserAgent,
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
        context.Items["bot"] = verdict;
        if (!verdict.IsBot || _includeBots)
        {
            return;
        }

        var reason = "bot_" + (verdict.Reason ?? "unknown");
        _log.Add(new BotLogEntry(_time.GetUtcNow(), context.Hit.SiteId, context.Hit.Path, reason, UserAgentParser.Parse(request.UserAgent).Browser));
        context.Drop(reason);
    }
}

/// <summary>The built-in referrer step: a readable source name from the referrer and campaign parameters.</summary>
internal sealed class ReferrerEnricher : IHitEnricher
{
    public int Order => HitEnricherOrder.Referrer;

    public void Enrich(HitEnrichmentContext context)
    {
        var hit = context.Hit;
        if (hit.Referrer is { } referrer && ReferrerSpam.IsSpam(referrer))
        {
            context.Drop("referrer_spam");
            return;
        }

        var source = ReferrerClassifier.Classify(new ReferrerSignals
        {
            Referrer = hit.Referrer,
            PageHost = hit.Hostname,
            UtmSource = hit.UtmSource,
            UtmMedium = hit.UtmMedium,
            UtmCampaign = hit.UtmCampaign,
        });
        context.Hit = hit with { ReferrerSource = source.Source, Channel = source.Channel };
    }
}

/// <summary>The built-in user-agent step: browser, operating system and device. The user agent itself is not kept.</summary>
internal sealed class UserAgentEnricher : IHitEnricher
{
    public int Order => HitEnricherOrder.UserAgent;

    public void Enrich(HitEnrichmentContext context)
    {
        var request = context.Request;
        var hints = request.Header("Sec-CH-UA") is null && request.Header("Sec-CH-UA-Platform") is null
            ? null
            : new ClientHints(request.Header("Sec-CH-UA"), request.Header("Sec-CH-UA-Mobile"), request.Header("Sec-CH-UA-Platform"), request.Header("Sec-CH-UA-Platform-Version"));
        var info = UserAgentParser.Parse(request.UserAgent, hints);
        context.Hit = context.Hit with
        {
            Browser = info.Browser,
            BrowserVersion = info.BrowserVersion,
            OperatingSystem = info.OperatingSystem,
            OperatingSystemVersion = info.OperatingSystemVersion,
            DeviceType = info.DeviceType,
        };
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

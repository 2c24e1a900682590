using FrancisBeacon.Enrichment;

namespace FrancisBeacon.AspNetCore;

/// <summary>Runs the registered <see cref="IHitEnricher"/> steps in order, stopping at the first drop.</summary>
internal sealed class HitPipeline
{
    private readonly IHitEnricher[] _steps;

    public HitPipeline(IEnumerable<IHitEnricher> steps) =>
        _steps = [.. steps.Select((s, i) => (Step: s, Index: i)).OrderBy(x => x.Step.Order).ThenBy(x => x.Index).Select(x => x.Step)];

    public IReadOnlyList<IHitEnricher> Steps => _steps;

    /// <summary>
    /// Runs the steps on a draft and returns the hit, its text cleaned with <see cref="HitText.Clean(Hit)"/> and cut to
    /// <see cref="HitLimits"/> with <see cref="HitText.Truncate(Hit)"/>, or
    /// <see langword="null"/> when a step dropped it (<see cref="HitDraft.DropReason"/>). Built-in steps fill the draft in place; a custom step gets a
    /// <see cref="HitEnrichmentContext"/> whose hit holds everything set before it, and what it sets is read back. With
    /// only built-in steps, the hit is allocated once.
    /// </summary>
    public Hit? Run(HitDraft draft)
    {
        HitEnrichmentContext? context = null;
        Hit? handed = null; // the hit the context holds, while no built-in step changed the draft since
        foreach (var step in _steps)
        {
            if (step is IBuiltInHitEnricher builtIn)
            {
                builtIn.Enrich(draft);
                handed = null;
                if (draft.DropReason is not null)
                {
                    return null;
                }

                if (context is not null && draft.Bot is { } verdict)
                {
                    context.Items["bot"] = verdict;
                }

                continue;
            }

            if (context is null)
            {
                handed = draft.ToHit();
                context = new HitEnrichmentContext(handed, draft.Signals, draft.SiteTimeZone);
                if (draft.Bot is { } verdict)
                {
                    context.Items["bot"] = verdict;
                }
            }
            else if (handed is null)
            {
                context.Hit = handed = draft.ToHit();
            }

            step.Enrich(context);
            if (context.DropReason is { } reason)
            {
                draft.DropReason = reason;
                return null;
            }

            if (!ReferenceEquals(context.Hit, handed))
            {
                handed = context.Hit;
                draft.Load(handed);
            }
        }

        // The one place every hit is made (pixel, event, drop-ins, server-side tracking, IBeaconTracker), after every
        // step (a custom one included): a NUL or an unpaired surrogate becomes U+FFFD, and a value longer than its
        // HitLimits size in bytes of UTF-8 is cut (HitText), so no store is handed a value it cannot hold or key.
        return HitText.Truncate(HitText.Clean(handed ?? draft.ToHit()));
    }
}

/// <summary>
/// The built-in last step: the cookie-less visitor id, and — during the first <see cref="LinkWindow"/> after the
/// site's local midnight — the id the same person had yesterday, so a session that crosses midnight stays one.
/// </summary>
internal sealed class VisitorIdEnricher(VisitorIdHasher hasher) : IBuiltInHitEnricher
{
    /// <summary>How long after local midnight a hit carries yesterday's id: the default session timeout.</summary>
    public static readonly TimeSpan LinkWindow = TimeSpan.FromMinutes(30);

    public int Order => HitEnricherOrder.VisitorId;

    public void Enrich(HitEnrichmentContext context) => BuiltInHitEnricher.Run(this, context);

    public void Enrich(HitDraft draft)
    {
        var request = draft.Signals;
        var userAgent = draft.UserAgent;
        if (request.Source == HitSource.Tracker && request.ClientIp is null && userAgent is null)
        {
            return; // app code outside a request: no visitor (id 0)
        }

        (draft.VisitorId, draft.PreviousVisitorId) = hasher.ComputeWithPrevious(draft.SiteId, draft.SiteTimeZone, request.ClientIp, userAgent, LinkWindow, draft.Timestamp);
    }
}

/// <summary>The built-in geography step: country, region and city from an <see cref="IGeoLocator"/>, when one is registered.</summary>
internal sealed class GeoEnricher(IServiceProvider services) : IBuiltInHitEnricher
{
    private readonly IGeoLocator? _locator = (IGeoLocator?)services.GetService(typeof(IGeoLocator));

    public int Order => HitEnricherOrder.Geography;

    public void Enrich(HitEnrichmentContext context) => BuiltInHitEnricher.Run(this, context);

    public void Enrich(HitDraft draft)
    {
        if (_locator is null || draft.Signals.ClientIp is not { } ip)
        {
            return;
        }

        GeoLocation? location;
        try
        {
            location = _locator.Locate(ip);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A failed lookup never costs the hit.
            return;
        }

        if (location is not null)
        {
            (draft.Country, draft.Region, draft.City) = (location.Country, location.Region, location.City);
        }
    }
}

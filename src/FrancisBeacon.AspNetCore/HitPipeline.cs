using FrancisBeacon.Enrichment;

namespace FrancisBeacon.AspNetCore;

/// <summary>Runs the registered <see cref="IHitEnricher"/> steps in order, stopping at the first drop.</summary>
internal sealed class HitPipeline
{
    private readonly IHitEnricher[] _steps;

    public HitPipeline(IEnumerable<IHitEnricher> steps) =>
        _steps = [.. steps.Select((s, i) => (Step: s, Index: i)).OrderBy(x => x.Step.Order).ThenBy(x => x.Index).Select(x => x.Step)];

    public IReadOnlyList<IHitEnricher> Steps => _steps;

    public void Run(HitEnrichmentContext context)
    {
        foreach (var step in _steps)
        {
            step.Enrich(context);
            if (context.DropReason is not null)
            {
                return;
            }
        }
    }
}

/// <summary>
/// The built-in last step: the cookie-less visitor id, and — during the first <see cref="LinkWindow"/> after the
/// site's local midnight — the id the same person had yesterday, so a session that crosses midnight stays one.
/// </summary>
internal sealed class VisitorIdEnricher(VisitorIdHasher hasher) : IHitEnricher
{
    /// <summary>How long after local midnight a hit carries yesterday's id: the default session timeout.</summary>
    public static readonly TimeSpan LinkWindow = TimeSpan.FromMinutes(30);

    public int Order => HitEnricherOrder.VisitorId;

    public void Enrich(HitEnrichmentContext context)
    {
        var request = context.Request;
        if (request.Source == HitSource.Tracker && request.ClientIp is null && request.UserAgent is null)
        {
            return; // app code outside a request: no visitor (id 0)
        }

        var (today, yesterday) = hasher.ComputeWithPrevious(context.Hit.SiteId, context.SiteTimeZone, request.ClientIp, request.UserAgent, LinkWindow);
        context.Hit = context.Hit with { VisitorId = today, PreviousVisitorId = yesterday };
    }
}

/// <summary>The built-in geography step: country, region and city from an <see cref="IGeoLocator"/>, when one is registered.</summary>
internal sealed class GeoEnricher(IServiceProvider services) : IHitEnricher
{
    private readonly IGeoLocator? _locator = (IGeoLocator?)services.GetService(typeof(IGeoLocator));

    public int Order => HitEnricherOrder.Geography;

    public void Enrich(HitEnrichmentContext context)
    {
        if (_locator is null || context.Request.ClientIp is not { } ip)
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
            context.Hit = context.Hit with { Country = location.Country, Region = location.Region, City = location.City };
        }
    }
}

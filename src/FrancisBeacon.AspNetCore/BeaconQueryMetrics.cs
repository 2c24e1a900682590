using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// <c>beacon.query.duration</c> on the <c>FrancisBeacon</c> meter: how long each query API request took in its handler
/// (parsing, every store query it ran, and building the answer), tagged with the API endpoint (<c>stats</c>,
/// <c>v2/query</c>, <c>export</c>, ...). Kept apart from <see cref="BeaconMetrics"/> so the ingestion metrics and the
/// query metrics can change independently; <see cref="IMeterFactory"/> hands both the same meter.
/// </summary>
internal sealed class BeaconQueryMetrics
{
    public const string InstrumentName = "beacon.query.duration";

    public const string RejectedInstrumentName = "beacon.query.rejected";

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _rejected;

    public BeaconQueryMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(BeaconMetrics.MeterName);
        _duration = meter.CreateHistogram<double>(
            InstrumentName, "s", "Time to answer one query API request, store queries included.");
        _rejected = meter.CreateCounter<long>(
            RejectedInstrumentName, "{request}", "Query API requests answered 503 because too many queries were running or waiting, by reason.");
    }

    public void Rejected(string reason) => _rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Record(string endpoint, TimeSpan duration, string? errorType)
    {
        var tags = new TagList { { "endpoint", endpoint } };
        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        _duration.Record(duration.TotalSeconds, tags);
    }
}

/// <summary>Times every query API endpoint of one <c>MapBeaconApi</c> group into <see cref="BeaconQueryMetrics"/>.</summary>
internal sealed class QueryDurationFilter(BeaconQueryMetrics metrics, string groupPattern) : IEndpointFilter
{
    private readonly string _groupPattern = groupPattern.TrimEnd('/');

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        string? errorType = null;
        try
        {
            return await next(context);
        }
        catch (Exception ex)
        {
            errorType = ex.GetType().FullName;
            throw;
        }
        finally
        {
            metrics.Record(EndpointName(context.HttpContext), Stopwatch.GetElapsedTime(started), errorType);
        }
    }

    private string EndpointName(HttpContext context)
    {
        var raw = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? string.Empty;
        if (raw.StartsWith(_groupPattern, StringComparison.OrdinalIgnoreCase))
        {
            raw = raw[_groupPattern.Length..];
        }

        return raw.Trim('/');
    }
}

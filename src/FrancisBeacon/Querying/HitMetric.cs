namespace FrancisBeacon.Querying;

/// <summary>A number a <see cref="HitQuery"/> can ask for.</summary>
public enum HitMetric
{
    /// <summary>Unique visitors: distinct <see cref="Hit.VisitorId"/> values among all hits in the group.</summary>
    Visitors,

    /// <summary>Page views: hits whose <see cref="Hit.EventName"/> is <see cref="Hit.PageviewEvent"/>.</summary>
    Pageviews,
}

/// <summary>Names of <see cref="HitMetric"/> values in the query API (Plausible Stats API spelling).</summary>
public static class HitMetricNames
{
    /// <summary>The API name of a metric, for example <c>visitors</c>.</summary>
    public static string ToApiName(this HitMetric metric) => metric switch
    {
        HitMetric.Visitors => "visitors",
        HitMetric.Pageviews => "pageviews",
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric."),
    };

    /// <summary>Parses an API metric name; returns <see langword="false"/> for an unknown one.</summary>
    public static bool TryParse(string? name, out HitMetric metric)
    {
        switch (name)
        {
            case "visitors": metric = HitMetric.Visitors; return true;
            case "pageviews": metric = HitMetric.Pageviews; return true;
            default: metric = default; return false;
        }
    }
}

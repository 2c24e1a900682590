namespace FrancisBeacon.Querying;

/// <summary>A number a <see cref="HitQuery"/> can ask for.</summary>
/// <remarks>
/// <para><b>Sessions.</b> Hits in the query range are grouped by visitor and ordered by time (ties by path, then
/// event name, in UTF-8 byte order, then by <see cref="Hit.Id"/> in <see cref="Guid.CompareTo(Guid)"/> order, so the
/// order is total and a session's first hit never depends on the order hits were stored in); a new session starts when the gap to the visitor's previous hit is at least
/// <see cref="HitQuery.SessionTimeout"/>. Only hits inside the range take part, so a session is cut at the range's
/// edges. A session's entry page is the path of its first hit, its exit page that of its last.</para>
/// <para><b>Session metrics</b> (<see cref="Visits"/>, <see cref="BounceRate"/>, <see cref="VisitDuration"/>,
/// <see cref="ViewsPerVisit"/>) can be grouped by time dimensions (a session counts in the bucket where it starts) and
/// by visit dimensions, not by event dimensions such as <see cref="HitDimension.Page"/>. With a visit dimension, every
/// metric is computed over the matching sessions and their hits.</para>
/// </remarks>
public enum HitMetric
{
    /// <summary>Unique visitors: distinct <see cref="Hit.VisitorId"/> values among all hits in the group.</summary>
    Visitors,

    /// <summary>Page views: hits whose <see cref="Hit.EventName"/> is <see cref="Hit.PageviewEvent"/>.</summary>
    Pageviews,

    /// <summary>All hits: page views and custom events.</summary>
    Events,

    /// <summary>Sessions (visits).</summary>
    Visits,

    /// <summary>
    /// Percentage of sessions that bounced — exactly one hit, a page view — rounded half up to a whole number;
    /// 0 with no sessions.
    /// </summary>
    BounceRate,

    /// <summary>Mean session duration (last hit minus first hit) in seconds, rounded half up; 0 with no sessions.</summary>
    VisitDuration,

    /// <summary>Page views per session, rounded half up to two decimals; 0 with no sessions.</summary>
    ViewsPerVisit,

    /// <summary>
    /// Visitors who completed the goal (of the row, or of the <c>event:goal</c> filter) as a percentage of all visitors
    /// of the same group without the goal condition, rounded half up to two decimals; needs goals
    /// (<see cref="HitQuery.Goals"/>) and an <c>event:goal</c> dimension or filter. See <see cref="CompositeQueries"/>.
    /// </summary>
    ConversionRate,

    /// <summary>The row's visitors as a percentage of the visitors of the whole query (no dimensions), rounded half up to one decimal.</summary>
    Percentage,

    /// <summary>
    /// Revenue: the sum of <see cref="Hit.RevenueAmount"/> over the counted hits whose <see cref="Hit.RevenueCurrency"/>
    /// is <see cref="HitQuery.RevenueCurrency"/> (no currency conversion; other currencies are left out), exact to
    /// six decimals.
    /// </summary>
    TotalRevenue,

    /// <summary>
    /// <see cref="TotalRevenue"/> divided by the number of hits it sums (the revenue-carrying conversions), rounded half
    /// up to six decimals (toward zero for ties below zero); 0 with none.
    /// </summary>
    AverageRevenue,
}

/// <summary>Names of <see cref="HitMetric"/> values in the query API (Plausible Stats API spelling).</summary>
public static class HitMetricNames
{
    /// <summary>The API name of a metric, for example <c>visitors</c>.</summary>
    public static string ToApiName(this HitMetric metric) => metric switch
    {
        HitMetric.Visitors => "visitors",
        HitMetric.Pageviews => "pageviews",
        HitMetric.Events => "events",
        HitMetric.Visits => "visits",
        HitMetric.BounceRate => "bounce_rate",
        HitMetric.VisitDuration => "visit_duration",
        HitMetric.ViewsPerVisit => "views_per_visit",
        HitMetric.ConversionRate => "conversion_rate",
        HitMetric.Percentage => "percentage",
        HitMetric.TotalRevenue => "total_revenue",
        HitMetric.AverageRevenue => "average_revenue",
        _ => throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric."),
    };

    /// <summary>Parses an API metric name; returns <see langword="false"/> for an unknown one.</summary>
    public static bool TryParse(string? name, out HitMetric metric)
    {
        foreach (var candidate in Enum.GetValues<HitMetric>())
        {
            if (string.Equals(candidate.ToApiName(), name, StringComparison.Ordinal))
            {
                metric = candidate;
                return true;
            }
        }

        metric = default;
        return false;
    }

    /// <summary>Whether a metric is computed from sessions.</summary>
    public static bool IsSessionMetric(this HitMetric metric) =>
        metric is HitMetric.Visits or HitMetric.BounceRate or HitMetric.VisitDuration or HitMetric.ViewsPerVisit;
}

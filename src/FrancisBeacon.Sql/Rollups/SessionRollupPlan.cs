// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>
/// Whether a query that needs sessions (a visit dimension, a session metric or a visit filter) can be answered from the
/// session rollups (<c>rollup_sessions</c>, <c>rollup_session_hits</c>): the shape checks only; <see cref="SessionRollups"/>
/// also needs a ready site, whole days in the site's zone and no day waiting for a rebuild. <see cref="Create"/>
/// returns <see langword="null"/> for anything else.
/// </summary>
internal sealed class SessionRollupPlan
{
    private static readonly HashSet<HitMetric> Allowed =
    [
        HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events, HitMetric.Visits, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit,
    ];

    /// <summary>The one dimension, or null for totals.</summary>
    public HitDimension? Dimension { get; private init; }

    /// <summary>The filter (conditions on visit dimensions and event page, name and hostname only).</summary>
    public HitFilter? Filter { get; private init; }

    /// <summary>
    /// Whether the filter tests an event value outside its behavioural filters, so kept hits must be read per (page,
    /// name, host). A behavioural filter's own conditions are judged in a subquery of its own (SessionRollups.Query.cs).
    /// </summary>
    public bool HasEventCondition { get; private init; }

    /// <summary>
    /// Whether the filter holds <c>has_done</c> / <c>has_not_done</c>: answered only when no day of the range waits for a
    /// rebuild (the days cut from raw hits in memory cannot see the stored part of a session that continues into them).
    /// </summary>
    public bool Behavioral { get; private init; }

    /// <summary>
    /// The segment (code in <see cref="RollupDimensions.Segment"/>, value) when the filter is exactly one case-sensitive
    /// <c>is</c> condition with one value on a segment dimension: the segment rollups can answer for the sessions that
    /// are never merged across midnight; null otherwise.
    /// </summary>
    public (int Code, string Value)? Segment { get; private init; }

    /// <summary>
    /// The page segment (page, visit dimension code or 0, value) when the filter is exactly one case-sensitive <c>is</c>
    /// condition with one value on <c>event:page</c> (dim 0), or that and one such condition on a visit dimension (totals
    /// and time series only), and the query is not grouped by an event dimension: the page-segment rows
    /// (SessionRollups.PageSegments.cs) can answer for the untouched sessions of the days they cover; null otherwise.
    /// </summary>
    public (string Path, int Dim, string Value)? PageSegment { get; private init; }

    /// <summary>Grouped by a visit dimension: every metric over the matching sessions.</summary>
    public bool VisitMode => Dimension is { IsVisit: true };

    /// <summary>Grouped by an event dimension (page, name or hostname).</summary>
    public bool EventMode => Dimension is { IsVisit: false, IsTime: false };

    /// <summary>The query's shape, or null when the session rollups cannot answer it.</summary>
    public static SessionRollupPlan? Create(HitQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        // has_done / has_not_done (behavioural filters) need each visit's other hits: a subquery over the session-hit rows
        // names the (merged) sessions with a hit passing the inner filter, so their conditions must be rollup dimensions too.
        // The site's goals (HitQuery.Goals, set on every query the HTTP API asks for a site with goals) do not matter
        // here: CompositeQueries turned every goal dimension and condition into page and event filters before the store
        // sees the query, and one left (a store called without it) is refused by the dimension checks below. Refusing
        // any query with goals sent every filtered session query of such a site to the raw path (2-3 s instead of
        // 4-200 ms on 300 198 hits).
        // Event metrics under event conditions the per-day rollups cannot take (two conditions, a pattern, a list: what a
        // page goal resolves to, "event:name is pageview and event:page matches ^/blog/.*$") are counted from the
        // session-hit rows alone; the raw path read every hit of the range for them (a goals panel 2-3x the slowest
        // other panel at 300 000 hits, seconds per goal at 10 M).
        if ((!query.NeedsSessions && query.Filter is null) || query.SessionTimeout != TimeSpan.FromMinutes(30) ||
            query.Metrics.Count == 0 || query.Metrics.Any(m => !Allowed.Contains(m)) || query.Dimensions.Count > 1)
        {
            return null;
        }

        var dimension = query.Dimensions.Count == 1 ? query.Dimensions[0] : null;
        if (dimension is not null && !(dimension == HitDimension.Day || dimension == HitDimension.Week || dimension == HitDimension.Month ||
                                       RollupDimensions.VisitCode(dimension) > 0 || RollupDimensions.EventCode(dimension) > 0))
        {
            return null;
        }

        var conditions = query.Filter?.Conditions().ToList() ?? [];
        if (conditions.Any(c => RollupDimensions.VisitCode(c.Dimension) <= 0 && RollupDimensions.EventCode(c.Dimension) <= 0))
        {
            return null;
        }

        return new SessionRollupPlan
        {
            Dimension = dimension,
            Filter = query.Filter,
            HasEventCondition = OutsideBehavioral(query.Filter).Any(c => RollupDimensions.EventCode(c.Dimension) > 0),
            Behavioral = HitFilter.IsBehavioral(query.Filter),
            Segment = SegmentOf(query.Filter),
            PageSegment = PageSegmentOf(query.Filter, dimension),
        };
    }

    // The conditions of a filter that are not inside a has_done / has_not_done.
    private static IEnumerable<HitFilterCondition> OutsideBehavioral(HitFilter? filter) => filter switch
    {
        HitFilterCondition condition => [condition],
        HitFilterAnd and => and.Filters.SelectMany(OutsideBehavioral),
        HitFilterOr or => or.Filters.SelectMany(OutsideBehavioral),
        HitFilterNot not => OutsideBehavioral(not.Filter),
        _ => [],
    };

    private static (string Path, int Dim, string Value)? PageSegmentOf(HitFilter? filter, HitDimension? dimension)
    {
        if (dimension is { IsVisit: false, IsTime: false })
        {
            return null;
        }

        IReadOnlyList<HitFilter> parts = filter is HitFilterAnd and ? and.Filters : filter is null ? [] : [filter];
        var conditions = parts.OfType<HitFilterCondition>().Where(c => c is { Operator: HitFilterOperator.Is, IgnoreCase: false, Values.Count: 1 }).ToList();
        if (parts.Count is 0 or > 2 || conditions.Count != parts.Count)
        {
            return null;
        }

        var page = conditions.FindAll(c => c.Dimension == HitDimension.Page);
        if (page.Count != 1)
        {
            return null;
        }

        if (conditions.Count == 1)
        {
            return (page[0].Values[0], 0, string.Empty);
        }

        var other = conditions.Find(c => !ReferenceEquals(c, page[0]))!;
        var code = RollupDimensions.VisitCode(other.Dimension);
        return code > 0 && dimension is null or { IsTime: true } ? (page[0].Values[0], code, other.Values[0]) : null;
    }

    private static (int Code, string Value)? SegmentOf(HitFilter? filter)
    {
        if (filter is HitFilterAnd { Filters.Count: 1 } and)
        {
            filter = and.Filters[0];
        }

        return filter is HitFilterCondition { Operator: HitFilterOperator.Is, IgnoreCase: false, Values.Count: 1 } condition &&
               RollupDimensions.SegmentCode(condition.Dimension) is var code and > 0 && RollupDimensions.KeepsSegment(code, condition.Values[0])
            ? (code, condition.Values[0])
            : null;
    }
}

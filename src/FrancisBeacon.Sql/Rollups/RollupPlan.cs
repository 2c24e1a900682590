// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>
/// Whether a query can be answered from rollups, and how: which rollup rows (event and/or visit dimension code, an
/// optional single value), grouped by day, by value or not at all. <see cref="Create"/> returns <see langword="null"/>
/// for anything else (the raw path answers it).
/// </summary>
internal sealed class RollupPlan
{
    private static readonly HashSet<HitMetric> EventMetrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events];
    private static readonly HashSet<HitMetric> SessionMetrics = [HitMetric.Visits, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit];

    /// <summary>Code of the event dimension to read (0 = site total), or null.</summary>
    public int? EventDim { get; private init; }

    /// <summary>Only rows of this event value (a single-value <c>is</c> filter on <see cref="EventDim"/>).</summary>
    public string? EventValue { get; private init; }

    /// <summary>Code of the visit dimension to read (0 = site total), or null.</summary>
    public int? VisitDim { get; private init; }

    /// <summary>Every metric from the visit rows (a visit dimension): visitors and hits of the matching sessions.</summary>
    public bool VisitMode { get; private init; }

    /// <summary>Rows grouped by day (a time dimension).</summary>
    public bool ByDay { get; private init; }

    /// <summary>Rows grouped by value (an event or visit dimension).</summary>
    public bool ByValue { get; private init; }

    /// <summary>The time dimension, if any.</summary>
    public HitDimension? Time { get; private init; }

    /// <summary>A filter evaluated on the grouped value (a filter on the grouped event dimension itself).</summary>
    public HitFilter? ValueFilter { get; private init; }

    /// <summary>Whether session counts are read, so links across midnight matter.</summary>
    public bool NeedsLinks => VisitDim is not null;

    public static RollupPlan? Create(HitQuery query)
    {
        if (query.SessionTimeout != TimeSpan.FromMinutes(30) || query.Metrics.Any(m => !EventMetrics.Contains(m) && !SessionMetrics.Contains(m)))
        {
            return null;
        }

        var hasSessionMetric = query.Metrics.Any(SessionMetrics.Contains);
        var dims = query.Dimensions;
        if (dims.Count > 1)
        {
            return null;
        }

        var dim = dims.Count == 1 ? dims[0] : null;
        if (dim is not null && dim.IsTime && dim != HitDimension.Day && dim != HitDimension.Week && dim != HitDimension.Month)
        {
            return null; // hours are not kept
        }

        if (dim is not null && dim.IsVisit)
        {
            var code = RollupDimensions.VisitCode(dim);
            return code <= 0 || query.Filter is not null ? null : new RollupPlan { VisitDim = code, VisitMode = true, ByValue = true };
        }

        if (dim is not null && !dim.IsTime)
        {
            // An event dimension: event metrics only (the model refuses session metrics here); a filter is fine when
            // it only looks at the grouped dimension, since it then selects whole rows.
            var code = RollupDimensions.EventCode(dim);
            if (code <= 0 || hasSessionMetric || (query.Filter is not null && !OnlyOn(query.Filter, dim)))
            {
                return null;
            }

            return new RollupPlan { EventDim = code, ByValue = true, ValueFilter = query.Filter };
        }

        // Totals or a time series.
        int eventDim = 0;
        string? eventValue = null;
        if (query.Filter is not null)
        {
            if (hasSessionMetric || query.Filter is not HitFilterCondition { Operator: HitFilterOperator.Is, Values.Count: 1, IgnoreCase: false } condition ||
                RollupDimensions.EventCode(condition.Dimension) is var code && code <= 0)
            {
                return null;
            }

            eventDim = code;
            eventValue = condition.Values[0];
        }

        return new RollupPlan
        {
            // A time series reads the event totals even for session metrics alone: a day whose hits all continue a visit
            // of the day before has no session of its own but is a row (of zeros) in the reference's answer.
            EventDim = query.Metrics.Any(EventMetrics.Contains) || dim is not null ? eventDim : null,
            EventValue = eventValue,
            VisitDim = hasSessionMetric ? 0 : null,
            ByDay = dim is not null,
            Time = dim,
        };
    }

    /// <summary>Whether the grouped value passes <see cref="ValueFilter"/>; null when the filter is not understood.</summary>
    public bool? Passes(string value) => ValueFilter is null ? true : Evaluate(ValueFilter, value);

    private static bool OnlyOn(HitFilter filter, HitDimension dimension) =>
        filter.Conditions().All(c => c.Dimension == dimension) && Evaluate(filter, string.Empty) is not null;

    private static bool? Evaluate(HitFilter filter, string value)
    {
        switch (filter)
        {
            case HitFilterCondition { IgnoreCase: true }:
                return null; // case-folded comparisons are left to the raw path
            case HitFilterCondition c:
                return c.Operator switch
                {
                    HitFilterOperator.Is => c.Values.Contains(value, StringComparer.Ordinal),
                    HitFilterOperator.IsNot => !c.Values.Contains(value, StringComparer.Ordinal),
                    HitFilterOperator.Contains => c.Values.Any(v => value.Contains(v, StringComparison.Ordinal)),
                    HitFilterOperator.ContainsNot => !c.Values.Any(v => value.Contains(v, StringComparison.Ordinal)),
                    _ => null,
                };
            case HitFilterAnd and:
                bool? all = true;
                foreach (var child in and.Filters)
                {
                    var r = Evaluate(child, value);
                    if (r is null)
                    {
                        return null;
                    }

                    all &= r;
                }

                return all;
            case HitFilterOr or:
                bool? any = false;
                foreach (var child in or.Filters)
                {
                    var r = Evaluate(child, value);
                    if (r is null)
                    {
                        return null;
                    }

                    any |= r;
                }

                return any;
            case HitFilterNot not:
                return !Evaluate(not.Filter, value);
            default:
                return null;
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Testing;

/// <summary>
/// Random queries of the shapes a dashboard sends after a click on a row: visit filters, event filters (page, name,
/// host) and mixed and/or/not trees of both, with totals, a time series, one visit dimension or one event dimension.
/// Stores with session rollups answer these from them; the kit checks the answers against the reference.
/// </summary>
internal static class SessionRollupQueries
{
    private static readonly HitMetric[] AllMetrics =
    [
        HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit, HitMetric.Events,
    ];

    private static readonly HitMetric[] EventMetrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events];

    private static readonly HitDimension?[] Dimensions =
    [
        null, null, HitDimension.Day, HitDimension.Week, HitDimension.Month, HitDimension.Source, HitDimension.Country, HitDimension.EntryPage,
        HitDimension.ExitPage, HitDimension.Device, HitDimension.Browser, HitDimension.Channel, HitDimension.Screen, HitDimension.Page,
        HitDimension.Page, HitDimension.EventName, HitDimension.Hostname,
    ];

    private static readonly HitDimension[] VisitFilterDimensions =
    [
        HitDimension.Source, HitDimension.Country, HitDimension.EntryPage, HitDimension.ExitPage, HitDimension.Device, HitDimension.Browser,
        HitDimension.Channel, HitDimension.Screen, HitDimension.OperatingSystem, HitDimension.City,
    ];

    private static readonly HitDimension[] EventFilterDimensions = [HitDimension.Page, HitDimension.Page, HitDimension.EventName, HitDimension.Hostname];

    /// <summary>A random query over <paramref name="range"/>'s site, range and zone, with values drawn from <paramref name="hits"/>.</summary>
    public static HitQuery Next(Random random, HitQuery range, IReadOnlyList<Hit> hits)
    {
        var dimension = Dimensions[random.Next(Dimensions.Length)];
        var eventDimension = dimension is { IsVisit: false, IsTime: false };
        // The filter kind: visit only, event only (with a session metric or visit dimension to need sessions), mixed.
        var kind = random.Next(3);
        var filter = kind switch
        {
            0 => Tree(random, hits, VisitFilterDimensions, 0),
            1 => Tree(random, hits, EventFilterDimensions, 0),
            _ => random.Next(2) == 0
                ? new HitFilterAnd([Tree(random, hits, VisitFilterDimensions, 1), Tree(random, hits, EventFilterDimensions, 1)])
                : Tree(random, hits, [.. VisitFilterDimensions, .. EventFilterDimensions], 0),
        };
        var pool = eventDimension ? EventMetrics : AllMetrics;
        var metrics = pool.OrderBy(_ => random.Next()).Take(1 + random.Next(pool.Length)).ToList();
        // An event filter alone needs no sessions: half the time a session metric or a visit condition is added, half the
        // time the event metrics stay alone (counted from the session-hit rows, as a page goal's are).
        var eventOnly = random.Next(2) == 0;
        if (!eventOnly && !eventDimension && dimension is not { IsVisit: true } && !filter.Conditions().Any(c => c.Dimension.IsVisit) && !metrics.Any(m => m.IsSessionMetric()))
        {
            metrics.Add(HitMetric.Visits);
        }

        if (!eventOnly && eventDimension && !filter.Conditions().Any(c => c.Dimension.IsVisit))
        {
            filter = new HitFilterAnd([filter, Tree(random, hits, VisitFilterDimensions, 1)]);
        }

        return range with
        {
            Metrics = metrics,
            Dimensions = dimension is null ? [] : [dimension],
            Filter = filter,
            Limit = random.Next(3) == 0 ? 1 + random.Next(8) : null,
            Offset = random.Next(5) == 0 ? random.Next(3) : 0,
        };
    }

    /// <summary>
    /// A query of <see cref="Next"/>'s shapes whose filter holds a <c>has_done</c> or <c>has_not_done</c> of a visit,
    /// event or mixed tree: alone, beside <see cref="Next"/>'s filter, or under <c>or</c> or <c>not</c>.
    /// </summary>
    public static HitQuery NextBehavioral(Random random, HitQuery range, IReadOnlyList<Hit> hits)
    {
        var query = Next(random, range, hits);
        var inner = random.Next(3) switch
        {
            0 => Tree(random, hits, EventFilterDimensions, 1),
            1 => Tree(random, hits, VisitFilterDimensions, 1),
            _ => Tree(random, hits, [.. VisitFilterDimensions, .. EventFilterDimensions], 1),
        };
        var behavioral = new HitFilterHasDone(inner) { Negated = random.Next(3) == 0 };
        HitFilter filter = random.Next(4) switch
        {
            0 => behavioral,
            1 => new HitFilterAnd([query.Filter!, behavioral]),
            2 => new HitFilterOr([query.Filter!, behavioral]),
            _ => new HitFilterAnd([query.Filter!, new HitFilterNot(behavioral)]),
        };
        return query with { Filter = filter };
    }

    private static HitFilter Tree(Random random, IReadOnlyList<Hit> hits, HitDimension[] dimensions, int depth)
    {
        var pick = depth < 2 ? random.Next(9) : random.Next(6);
        if (pick >= 6)
        {
            var children = Enumerable.Range(0, 1 + random.Next(2)).Select(_ => Tree(random, hits, dimensions, depth + 1)).ToArray();
            return pick == 6 ? new HitFilterAnd(children) : pick == 7 ? new HitFilterOr(children) : new HitFilterNot(children[0]);
        }

        var dimension = dimensions[random.Next(dimensions.Length)];
        if (pick == 5)
        {
            // "^\/blog\/.*$" and "^/blog/2" as page goals write them: the stores add a range of the path index for their prefix.
            string[] patterns = ["^/blog", "Google|Bing", "^/[a-z]+$", "e$", "^(DE|US)$", "[0-9]", @"^\/blog\/.*$", "^/blog/2"];
            return new HitFilterCondition(random.Next(2) == 0 ? HitFilterOperator.Matches : HitFilterOperator.MatchesNot, dimension, [patterns[random.Next(patterns.Length)]]);
        }

        var values = Enumerable.Range(0, 1 + random.Next(2)).Select(_ => Value(random, dimension, hits[random.Next(hits.Count)])).ToArray();
        var op = pick switch
        {
            0 or 1 => HitFilterOperator.Is,
            2 => HitFilterOperator.IsNot,
            3 => HitFilterOperator.Contains,
            _ => HitFilterOperator.ContainsNot,
        };
        if (op is HitFilterOperator.Contains or HitFilterOperator.ContainsNot)
        {
            values = [.. values.Select(v => v.Length > 2 ? v.Substring(random.Next(v.Length / 2), 1 + random.Next(v.Length / 2)) : v)];
        }

        return new HitFilterCondition(op, dimension, values) { IgnoreCase = random.Next(5) == 0 };
    }

    private static string Value(Random random, HitDimension dimension, Hit hit) =>
        random.Next(12) == 0 ? HitDimension.NotSet
        : dimension == HitDimension.EntryPage || dimension == HitDimension.ExitPage ? hit.Path
        : dimension.ValueOf(hit);
}

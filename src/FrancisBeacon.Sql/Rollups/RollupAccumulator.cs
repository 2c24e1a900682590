// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;
using System.Runtime.InteropServices;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>Adds up rollup rows, on-the-fly days and link corrections per group, then computes and orders the result.</summary>
internal sealed class RollupAccumulator(RollupPlan plan)
{
    private readonly Dictionary<string, EventCounts> _events = new(StringComparer.Ordinal);
    private readonly Dictionary<string, VisitCounts> _visits = new(StringComparer.Ordinal);

    /// <summary>The visit counts added so far, per key (before buckets and filters).</summary>
    public IReadOnlyDictionary<string, VisitCounts> VisitRows => _visits;

    /// <summary>The keys added so far, event and visit rows together.</summary>
    public HashSet<string> Keys()
    {
        var keys = new HashSet<string>(_events.Keys, StringComparer.Ordinal);
        keys.UnionWith(_visits.Keys);
        return keys;
    }

    /// <summary>The event counts added so far for <paramref name="key"/> (zero when none).</summary>
    public EventCounts EventsOf(string key) => _events.GetValueOrDefault(key);

    public void AddEvents(string key, EventCounts counts) =>
        CollectionsMarshal.GetValueRefOrAddDefault(_events, key, out _).Add(counts);

    public void AddVisits(string key, VisitCounts counts) =>
        CollectionsMarshal.GetValueRefOrAddDefault(_visits, key, out _).Add(counts);

    /// <summary>Adds a day computed from raw hits, taking the rows the plan reads.</summary>
    public void AddDay(RollupDay day)
    {
        if (plan.EventDim is { } eventDim)
        {
            foreach (var ((dim, value), counts) in day.Events)
            {
                if (dim == eventDim && (plan.EventValue is null || string.Equals(plan.EventValue, value, StringComparison.Ordinal)))
                {
                    AddEvents(Key(day.Day, value), counts);
                }
            }
        }

        if (plan.VisitDim is { } visitDim)
        {
            foreach (var ((dim, value), counts) in day.Visits)
            {
                if (dim == visitDim)
                {
                    AddVisits(Key(day.Day, value), counts);
                }
            }
        }
    }

    /// <summary>
    /// Applies the join of a session of <paramref name="day"/> to one of the day before; false when the rollups cannot
    /// tell the exact answer (the query then takes the raw path).
    /// </summary>
    public bool AddLink(long day, RollupLink link, long firstDay)
    {
        if (plan.VisitDim is not { } visitDim || day - 1 < firstDay)
        {
            return true;
        }

        if (link.TLinked && day - 2 >= firstDay)
        {
            return false; // T may itself continue an earlier session: rare, left to the raw path
        }

        var sValue = visitDim == 0 ? string.Empty : link.SValues[visitDim - 1];
        var tValue = visitDim == 0 ? string.Empty : link.TValues[visitDim - 1];
        var sKey = Key(day, sValue);
        var tKey = Key(day - 1, tValue);
        var countVisitors = plan.VisitMode;
        long sLoss, tLoss = 1, sGain = 1;
        if (link.Version >= 2)
        {
            // Exact: a visitor leaves a group only when no other visit of theirs that day has the group's value.
            sLoss = visitDim == 0 ? (link.SAlone ? 1 : 0) : (link.SOtherSame & (1 << (visitDim - 1))) != 0 ? 0 : 1;
            if (visitDim == 2)
            {
                var sameExit = string.Equals(sValue, tValue, StringComparison.Ordinal);
                tLoss = sameExit || link.TOtherSameExit ? 0 : 1;
                sGain = sameExit || link.TOtherSExit ? 0 : 1;
            }
        }
        else
        {
            if (countVisitors && (!link.SAlone || (visitDim == 2 && !link.TAlone)))
            {
                return false;
            }

            sLoss = 1;
        }

        AddVisits(sKey, new VisitCounts
        {
            Visitors = countVisitors ? -sLoss : 0, Visits = -1, Bounces = link.SBounce ? -1 : 0,
            DurationMs = -(link.SEnd - link.SStart), Pageviews = -link.SPageviews, Events = -link.SEvents,
        });
        if (visitDim == 2)
        {
            // The exit page moves: the joined session leaves T's exit and lands on S's.
            AddVisits(tKey, new VisitCounts
            {
                Visitors = -tLoss, Visits = -1, Bounces = link.TBounce ? -1 : 0,
                DurationMs = -(link.TEnd - link.TStart), Pageviews = -link.TPageviews, Events = -link.TEvents,
            });
            AddVisits(Key(day - 1, sValue), new VisitCounts
            {
                Visitors = sGain, Visits = 1, DurationMs = link.SEnd - link.TStart,
                Pageviews = link.TPageviews + link.SPageviews, Events = link.TEvents + link.SEvents,
            });
        }
        else
        {
            AddVisits(tKey, new VisitCounts
            {
                Bounces = link.TBounce ? -1 : 0, DurationMs = link.SEnd - link.TEnd, Pageviews = link.SPageviews, Events = link.SEvents,
            });
        }

        return true;
    }

    public AggregateResult? Result(HitQuery query)
    {
        // Buckets: days fold into weeks or months; value groups pass the value filter.
        var events = plan.ByDay ? new Dictionary<string, EventCounts>(StringComparer.Ordinal) : _events;
        var visits = plan.ByDay ? new Dictionary<string, VisitCounts>(StringComparer.Ordinal) : _visits;
        if (plan.ByDay)
        {
            foreach (var (key, counts) in _events)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(events, Label(key), out _).Add(counts);
            }

            foreach (var (key, counts) in _visits)
            {
                CollectionsMarshal.GetValueRefOrAddDefault(visits, Label(key), out _).Add(counts);
            }
        }

        var rows = new List<(string Key, double[] Metrics)>();
        var keys = plan.VisitMode
            ? visits.Where(v => v.Value.Visits > 0).Select(v => v.Key)
            : events.Where(e => e.Value.Events > 0).Select(e => e.Key).Union(visits.Where(v => v.Value.Visits > 0).Select(v => v.Key), StringComparer.Ordinal);
        foreach (var key in keys)
        {
            if (plan.ByValue && plan.Passes(key) is not true)
            {
                if (plan.Passes(key) is null)
                {
                    return null;
                }

                continue;
            }

            events.TryGetValue(key, out var e);
            visits.TryGetValue(key, out var v);
            rows.Add((key, query.Metrics.Select(m => Metric(m, e, v)).ToArray()));
        }

        if (query.Dimensions.Count == 0 && rows.Count == 0)
        {
            rows.Add((string.Empty, query.Metrics.Select(_ => 0d).ToArray()));
        }

        IEnumerable<(string Key, double[] Metrics)> ordered = query.Dimensions.Count > 0 && query.Dimensions[0].IsTime
            ? rows.OrderBy(r => r.Key, Utf8OrdinalComparer.Instance)
            : rows.OrderByDescending(r => r.Metrics[0]).ThenBy(r => r.Key, Utf8OrdinalComparer.Instance);
        ordered = ordered.Skip(query.Offset);
        if (query.Limit is { } limit)
        {
            ordered = ordered.Take(limit);
        }

        return new AggregateResult(ordered
            .Select(r => new AggregateRow(query.Dimensions.Count == 0 ? [] : [r.Key], r.Metrics))
            .ToList());
    }

    private double Metric(HitMetric metric, EventCounts e, VisitCounts v)
    {
        long visits = v.Visits;
        return metric switch
        {
            HitMetric.Visitors => plan.VisitMode ? v.Visitors : e.Visitors,
            HitMetric.Pageviews => plan.VisitMode ? v.Pageviews : e.Pageviews,
            HitMetric.Events => plan.VisitMode ? v.Events : e.Events,
            HitMetric.Visits => visits,
            HitMetric.BounceRate => visits == 0 ? 0 : ((200 * v.Bounces) + visits) / (2 * visits),
            HitMetric.VisitDuration => visits == 0 ? 0 : (v.DurationMs + (500 * visits)) / (1000 * visits),
            HitMetric.ViewsPerVisit => visits == 0 ? 0 : (((200 * v.Pageviews) + visits) / (2 * visits)) / 100.0,
            _ => throw new HitQueryException("metrics", $"Unsupported metric {metric}."),
        };
    }

    private string Key(long day, string value) =>
        plan.ByDay ? day.ToString(CultureInfo.InvariantCulture) : plan.ByValue ? value : string.Empty;

    private string Label(string key)
    {
        if (!plan.ByDay)
        {
            return key;
        }

        var date = TimeZoneSegments.DayNumberToDate(long.Parse(key, CultureInfo.InvariantCulture));
        return plan.Time!.BucketLabel(date.ToDateTime(TimeOnly.MinValue));
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Runtime.InteropServices;
using FrancisBeacon.Querying;
using Counts = FrancisBeacon.Sql.Rollups.SessionRollups.Counts;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>
/// The session route's hit-driven rows (a page, name or host condition) folded into merged sessions in memory: one row
/// per kept session-hit row comes in, keyed by the merged session (visitor, start); a merged session's own values (day,
/// group value, pageviews, events, end) are the same on every row of it, its kept counts add up. Doing this here instead
/// of two nested GROUP BYs in the database halves the statement's cost on both stores (the inner grouping over CASE
/// expressions needed a temporary B-tree on SQLite and an external sort on PostgreSQL; docs/performance.md).
/// </summary>
internal sealed class SessionHitRows
{
    private readonly Dictionary<(long Visitor, long Start), Session> _sessions = [];

    public void Add(long visitor, long start, long day, string value, long pageviews, long events, long end, long keptPageviews, long keptEvents)
    {
        ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(_sessions, (visitor, start), out var exists);
        if (!exists)
        {
            s = new Session { Day = day, Value = value, Pageviews = pageviews, Events = events, End = end };
        }
        else
        {
            // The database's MIN over the session's rows (they agree; kept for exactness if they ever did not).
            s.Day = Math.Min(s.Day, day);
            s.Pageviews = Math.Min(s.Pageviews, pageviews);
            s.Events = Math.Min(s.Events, events);
            s.End = Math.Min(s.End, end);
            if (string.CompareOrdinal(value, s.Value) < 0)
            {
                s.Value = value;
            }
        }

        s.KeptPageviews += keptPageviews;
        s.KeptEvents += keptEvents;
    }

    /// <summary>Per group value: distinct visitors, visits, kept pageviews and events, bounces, duration, session pageviews.</summary>
    public IEnumerable<(string Value, Counts Counts)> ByValue()
    {
        var groups = new Dictionary<string, (Counts Counts, HashSet<long> Visitors)>(StringComparer.Ordinal);
        foreach (var ((visitor, start), s) in _sessions)
        {
            ref var g = ref CollectionsMarshal.GetValueRefOrAddDefault(groups, s.Value, out var exists);
            if (!exists)
            {
                g.Visitors = [];
            }

            g.Visitors.Add(visitor);
            Add(ref g.Counts, start, s);
        }

        foreach (var (value, g) in groups)
        {
            var counts = g.Counts;
            counts.Visitors = g.Visitors.Count;
            yield return (value, counts);
        }
    }

    /// <summary>Per time bucket of the merged session's start day (0 without a time dimension): the session counts.</summary>
    public IEnumerable<(long Bucket, Counts Counts)> ByBucket(HitDimension? dimension)
    {
        var groups = new Dictionary<long, Counts>();
        foreach (var ((_, start), s) in _sessions)
        {
            ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(groups, Bucket(dimension, s.Day), out _);
            Add(ref c, start, s);
        }

        foreach (var (bucket, c) in groups)
        {
            yield return (bucket, c);
        }
    }

    // As the SQL buckets of SessionRollups: the day, the ISO week number ((day + 3) / 7) or the month (year * 12 + month - 1).
    private static long Bucket(HitDimension? dimension, long day)
    {
        if (dimension is null)
        {
            return 0;
        }

        if (dimension == HitDimension.Day)
        {
            return day;
        }

        if (dimension == HitDimension.Week)
        {
            return (day + 3) / 7;
        }

        var date = TimeZoneSegments.DayNumberToDate(day);
        return (date.Year * 12L) + date.Month - 1;
    }

    private static void Add(ref Counts c, long start, Session s)
    {
        c.Visits++;
        c.KeptPv += s.KeptPageviews;
        c.KeptN += s.KeptEvents;
        c.Bounces += s.Events == 1 && s.Pageviews == 1 ? 1 : 0;
        c.DurationMs += s.End - start;
        c.SessionPv += s.Pageviews;
    }

    private struct Session
    {
        public long Day;
        public string Value;
        public long Pageviews;
        public long Events;
        public long End;
        public long KeptPageviews;
        public long KeptEvents;
    }
}

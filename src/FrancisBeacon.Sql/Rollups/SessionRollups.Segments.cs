// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data;
using System.Data.Common;
using System.Runtime.InteropServices;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Segment rollups: per site-local day, the day rollups' additive counts (event rows per page, event name and host;
/// visit rows per value of every visit dimension; dim 0 the day's totals) restricted to the sessions whose value of a
/// segment dimension F (<see cref="RollupDimensions.Segment"/>) is f, keyed (site_id, day, fdim, fvalue, dim, value).
/// </content>
/// <remarks>
/// <para>
/// Only the sessions of <em>untouched</em> visitors count in them. A (day, visitor) is touched when one of the visitor's
/// sessions that day continues a session of the day before (<c>t_vid</c>) or ends late enough to be continued
/// (<c>nx_vid</c>); those are the only sessions the session route ever merges across midnight, and which it merges
/// depends on the range. An untouched visitor's sessions are never merged, so their counts do not depend on the range
/// and add up across days (a visitor id lives one site-local day). The touched visitors' session rows carry
/// <c>touched = 1</c>; a segment query reads the segment rows and runs the session route's statements over the touched
/// rows only (whose joins only ever reach touched rows: a continuation row has <c>t_vid</c>), and adds the two: they
/// are disjoint in visitors, so even distinct visitor counts add.
/// </para>
/// <para>
/// The rows' key starts with (site_id, day) so that a day's rebuild and the raw-hit retention delete a key range;
/// a query reads one (day, fdim, fvalue, dim) range per day of the range (<c>day IN (…)</c>).
/// </para>
/// </remarks>
internal sealed partial class SessionRollups
{
    private static readonly string[] SegmentEventColumns = ["site_id", "day", "fdim", "fvalue", "dim", "value", "visitors", "pageviews", "events"];

    private static readonly RollupColumnType[] SegmentEventTypes =
    [
        RollupColumnType.Text, RollupColumnType.ShortNumber, RollupColumnType.ShortNumber, RollupColumnType.Text, RollupColumnType.ShortNumber, RollupColumnType.Text,
        RollupColumnType.Number, RollupColumnType.Number, RollupColumnType.Number,
    ];

    private static readonly string[] SegmentVisitColumns =
        ["site_id", "day", "fdim", "fvalue", "dim", "value", "visitors", "visits", "bounces", "duration_ms", "pageviews", "events"];

    private static readonly RollupColumnType[] SegmentVisitTypes =
    [
        RollupColumnType.Text, RollupColumnType.ShortNumber, RollupColumnType.ShortNumber, RollupColumnType.Text, RollupColumnType.ShortNumber, RollupColumnType.Text,
        RollupColumnType.Number, RollupColumnType.Number, RollupColumnType.Number, RollupColumnType.Number, RollupColumnType.Number, RollupColumnType.Number,
    ];

    // Index in RollupDimensions.Attributes of each segment dimension (code = position + 1).
    private static readonly int[] SegmentAttributes = [.. RollupDimensions.Segment.Select(d => Array.IndexOf(RollupDimensions.Attributes, d))];

    // Whether each segment dimension keeps its "(not set)" segment (RollupDimensions.KeepsSegment).
    private static readonly bool[] KeptSegments = [.. Enumerable.Range(1, RollupDimensions.Segment.Length).Select(code => RollupDimensions.KeepsSegment(code, HitDimension.NotSet))];

    /// <summary>The visitors of <paramref name="day"/> whose sessions the session route may merge across midnight.</summary>
    private static HashSet<long> TouchedVisitors(RollupDay day, Dictionary<RollupSession, RollupSession> chosen, long nextDayStart)
    {
        var touched = new HashSet<long>();
        foreach (var s in day.Sessions)
        {
            if (chosen.ContainsKey(s) || s.End > nextDayStart - TimeoutMs)
            {
                touched.Add(s.VisitorId);
            }
        }

        return touched;
    }

    /// <summary>Writes the segment rows of <paramref name="day"/> (its untouched visitors' sessions) inside <paramref name="transaction"/>.</summary>
    private async ValueTask WriteSegmentsAsync(DbConnection connection, DbTransaction transaction, string siteId, RollupDay day, HashSet<long> touched, CancellationToken cancellationToken)
    {
        var events = new Dictionary<SegmentKey, EventCounts>();
        var visits = new Dictionary<SegmentKey, VisitCounts>();
        var seenEvents = new HashSet<SegmentKey>();
        var seenVisits = new HashSet<SegmentKey>();
        var values = new string[RollupDimensions.Visit.Length];
        var sessions = day.Sessions;
        for (var start = 0; start < sessions.Count;)
        {
            // A day's sessions come in (visitor, start) order (RollupDay.Compute): one visitor's sessions at a time, so
            // a distinct visitor is counted once per (segment, dimension, value) with a set reset per visitor.
            var visitor = sessions[start].VisitorId;
            var end = start + 1;
            while (end < sessions.Count && sessions[end].VisitorId == visitor)
            {
                end++;
            }

            if (!touched.Contains(visitor))
            {
                seenEvents.Clear();
                seenVisits.Clear();
                for (var k = start; k < end; k++)
                {
                    var s = sessions[k];
                    values[0] = s.First.Path;
                    values[1] = s.Exit;
                    Array.Copy(s.First.Attributes, 0, values, 2, s.First.Attributes.Length);
                    for (var f = 0; f < SegmentAttributes.Length; f++)
                    {
                        var code = f + 1;
                        var fvalue = s.First.Attributes[SegmentAttributes[f]];
                        if (!KeptSegments[f] && string.Equals(fvalue, HitDimension.NotSet, StringComparison.Ordinal))
                        {
                            continue;
                        }

                        AddVisit(visits, seenVisits, new SegmentKey(code, fvalue, 0, string.Empty), s);
                        for (var i = 0; i < values.Length; i++)
                        {
                            AddVisit(visits, seenVisits, new SegmentKey(code, fvalue, i + 1, values[i]), s);
                        }

                        foreach (var hit in s.Hits)
                        {
                            var pageview = string.Equals(hit.EventName, Hit.PageviewEvent, StringComparison.Ordinal);
                            AddEvent(events, seenEvents, new SegmentKey(code, fvalue, 0, string.Empty), pageview);
                            AddEvent(events, seenEvents, new SegmentKey(code, fvalue, 1, hit.Path), pageview);
                            AddEvent(events, seenEvents, new SegmentKey(code, fvalue, 2, hit.EventName), pageview);
                            AddEvent(events, seenEvents, new SegmentKey(code, fvalue, 3, hit.Hostname), pageview);
                        }
                    }
                }
            }

            start = end;
        }

        // In key order: a day's rows are one new key range, and inserting them in order appends to it (in random order
        // the range's pages outgrow SQLite's page cache and every insert touches a cold page).
        var eventRows = new RollupRows(_segmentEvents, SegmentEventColumns, SegmentEventTypes, Math.Clamp(events.Count, 1, ChunkRows));
        foreach (var (key, c) in Sorted(events))
        {
            var r = await eventRows.AddAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
            eventRows.Set(r, 0, siteId);
            eventRows.Set(r, 1, day.Day);
            eventRows.Set(r, 2, key.Fdim);
            eventRows.Set(r, 3, key.Fvalue);
            eventRows.Set(r, 4, key.Dim);
            eventRows.Set(r, 5, key.Value);
            eventRows.Set(r, 6, c.Visitors);
            eventRows.Set(r, 7, c.Pageviews);
            eventRows.Set(r, 8, c.Events);
        }

        await eventRows.FlushAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
        var visitRows = new RollupRows(_segmentVisits, SegmentVisitColumns, SegmentVisitTypes, Math.Clamp(visits.Count, 1, ChunkRows));
        foreach (var (key, c) in Sorted(visits))
        {
            var r = await visitRows.AddAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
            visitRows.Set(r, 0, siteId);
            visitRows.Set(r, 1, day.Day);
            visitRows.Set(r, 2, key.Fdim);
            visitRows.Set(r, 3, key.Fvalue);
            visitRows.Set(r, 4, key.Dim);
            visitRows.Set(r, 5, key.Value);
            visitRows.Set(r, 6, c.Visitors);
            visitRows.Set(r, 7, c.Visits);
            visitRows.Set(r, 8, c.Bounces);
            visitRows.Set(r, 9, c.DurationMs);
            visitRows.Set(r, 10, c.Pageviews);
            visitRows.Set(r, 11, c.Events);
        }

        await visitRows.FlushAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
    }

    private static KeyValuePair<SegmentKey, T>[] Sorted<T>(Dictionary<SegmentKey, T> rows)
    {
        var sorted = rows.ToArray();
        Array.Sort(sorted, static (x, y) =>
        {
            var c = x.Key.Fdim.CompareTo(y.Key.Fdim);
            if (c == 0)
            {
                c = Utf8OrdinalComparer.Instance.Compare(x.Key.Fvalue, y.Key.Fvalue);
            }

            if (c == 0)
            {
                c = x.Key.Dim.CompareTo(y.Key.Dim);
            }

            return c == 0 ? Utf8OrdinalComparer.Instance.Compare(x.Key.Value, y.Key.Value) : c;
        });
        return sorted;
    }

    private static void AddEvent(Dictionary<SegmentKey, EventCounts> rows, HashSet<SegmentKey> seen, SegmentKey key, bool pageview)
    {
        ref var counts = ref CollectionsMarshal.GetValueRefOrAddDefault(rows, key, out _);
        counts.Events++;
        if (pageview)
        {
            counts.Pageviews++;
        }

        if (seen.Add(key))
        {
            counts.Visitors++;
        }
    }

    private static void AddVisit(Dictionary<SegmentKey, VisitCounts> rows, HashSet<SegmentKey> seen, SegmentKey key, RollupSession session)
    {
        ref var counts = ref CollectionsMarshal.GetValueRefOrAddDefault(rows, key, out _);
        counts.Visits++;
        counts.Bounces += session.Bounce ? 1 : 0;
        counts.DurationMs += session.End - session.Start;
        counts.Pageviews += session.Pageviews;
        counts.Events += session.Events;
        if (seen.Add(key))
        {
            counts.Visitors++;
        }
    }

    /// <summary>A segment row's key within a site and day.</summary>
    internal readonly record struct SegmentKey(int Fdim, string Fvalue, int Dim, string Value);
}

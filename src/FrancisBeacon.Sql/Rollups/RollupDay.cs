// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Runtime.InteropServices;
using System.Text.Json.Serialization;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>
/// One hit as the rollup builder reads it: time, visitor, link, page, event, host, visit attributes, and its id (the last
/// tie-break of a visitor's hits, as in the raw queries and the reference).
/// </summary>
internal sealed record RollupHit(long Ms, long VisitorId, long? PreviousVisitorId, string Path, string EventName, string Hostname, string[] Attributes, Guid Id);

/// <summary>Additive event counts of one (day, dimension value).</summary>
internal struct EventCounts
{
    public long Visitors;
    public long Pageviews;
    public long Events;

    public void Add(EventCounts other)
    {
        Visitors += other.Visitors;
        Pageviews += other.Pageviews;
        Events += other.Events;
    }
}

/// <summary>Additive session counts of one (day, dimension value): sessions are counted on the day they start.</summary>
internal struct VisitCounts
{
    public long Visitors;
    public long Visits;
    public long Bounces;
    public long DurationMs;
    public long Pageviews;
    public long Events;

    public void Add(VisitCounts other)
    {
        Visitors += other.Visitors;
        Visits += other.Visits;
        Bounces += other.Bounces;
        DurationMs += other.DurationMs;
        Pageviews += other.Pageviews;
        Events += other.Events;
    }
}

/// <summary>
/// A session of day d that continues a session of day d - 1 across the site's midnight (the raw query joins the
/// two): what the join changes, so a range holding both days can correct the per-day counts.
/// </summary>
internal sealed class RollupLink
{
    [JsonPropertyName("ss")] public long SStart { get; set; }
    [JsonPropertyName("se")] public long SEnd { get; set; }
    [JsonPropertyName("sv")] public long SVisitor { get; set; }
    [JsonPropertyName("sp")] public long SPageviews { get; set; }
    [JsonPropertyName("sn")] public long SEvents { get; set; }
    [JsonPropertyName("sa")] public bool SAlone { get; set; }
    [JsonPropertyName("ts")] public long TStart { get; set; }
    [JsonPropertyName("te")] public long TEnd { get; set; }
    [JsonPropertyName("tp")] public long TPageviews { get; set; }
    [JsonPropertyName("tn")] public long TEvents { get; set; }
    [JsonPropertyName("ta")] public bool TAlone { get; set; }

    /// <summary>T's first hit links to a yet earlier day, so with that day in range T may itself be joined.</summary>
    [JsonPropertyName("tl")] public bool TLinked { get; set; }

    /// <summary>2 when the membership fields below are filled.</summary>
    [JsonPropertyName("v")] public int Version { get; set; }

    /// <summary>Bit i: S's visitor has another visit that day with the same value of visit dimension i + 1.</summary>
    [JsonPropertyName("so")] public int SOtherSame { get; set; }

    /// <summary>T's visitor has another visit that day with T's exit page.</summary>
    [JsonPropertyName("to")] public bool TOtherSameExit { get; set; }

    /// <summary>T's visitor has another visit that day with S's exit page.</summary>
    [JsonPropertyName("tz")] public bool TOtherSExit { get; set; }

    /// <summary>Values of every <see cref="RollupDimensions.Visit"/> dimension for S and for T.</summary>
    [JsonPropertyName("sx")] public string[] SValues { get; set; } = [];
    [JsonPropertyName("tx")] public string[] TValues { get; set; } = [];

    public bool SBounce => SEvents == 1 && SPageviews == 1;

    public bool TBounce => TEvents == 1 && TPageviews == 1;
}

/// <summary>A session within one site-local day (visitor ids never repeat across the site's days).</summary>
internal sealed class RollupSession
{
    public required long VisitorId { get; init; }
    public required RollupHit First { get; init; }
    public long Start => First.Ms;
    public long End { get; set; }
    public string Exit { get; set; } = string.Empty;
    public long Pageviews { get; set; }
    public long Events { get; set; }
    public bool Bounce => Events == 1 && Pageviews == 1;

    /// <summary>The session's hits in order (for the session rollups).</summary>
    public List<RollupHit> Hits { get; } = [];

    public string[] Values()
    {
        var values = new string[RollupDimensions.Visit.Length];
        values[0] = First.Path;
        values[1] = Exit;
        Array.Copy(First.Attributes, 0, values, 2, First.Attributes.Length);
        return values;
    }
}

/// <summary>The rollup rows of one site-local day, computed from its hits (and its links to the day before).</summary>
internal sealed class RollupDay
{
    public required long Day { get; init; }

    /// <summary>(event dimension code, value) → counts.</summary>
    public Dictionary<(int Dim, string Value), EventCounts> Events { get; } = [];

    /// <summary>(visit dimension code, value) → counts.</summary>
    public Dictionary<(int Dim, string Value), VisitCounts> Visits { get; } = [];

    public List<RollupSession> Sessions { get; } = [];

    public List<RollupLink> Links { get; } = [];

    /// <summary>
    /// The order of one visitor's hits in a session: time, path, event name (UTF-8 bytes), then id
    /// (<see cref="Guid.CompareTo(Guid)"/>): a total order, as in the raw queries and the reference (docs/query-api.md,
    /// "Sessions"), so the session's first hit does not depend on the order the database returned them in.
    /// </summary>
    public static int CompareInSession(RollupHit x, RollupHit y)
    {
        var c = x.Ms.CompareTo(y.Ms);
        if (c == 0)
        {
            c = Utf8OrdinalComparer.Instance.Compare(x.Path, y.Path);
        }

        if (c == 0)
        {
            c = Utf8OrdinalComparer.Instance.Compare(x.EventName, y.EventName);
        }

        return c == 0 ? x.Id.CompareTo(y.Id) : c;
    }

    /// <summary>Computes a day from its hits; <paramref name="previous"/> (the day before, or null) gives the links.</summary>
    /// <remarks>
    /// One sort of the hits by (visitor, time, path, event name, id), then one pass per visitor: a visitor's
    /// distinct values are counted once per value without a set of visitor ids per value, and the sessions come out in
    /// (visitor id, start) order, the key order of the session rollup tables, so their rows are inserted in key order.
    /// </remarks>
    public static RollupDay Compute(long day, List<RollupHit> hits, RollupDay? previous, long timeoutMs)
    {
        var result = new RollupDay { Day = day };
        var order = hits.ToArray();
        Array.Sort(order, static (x, y) =>
        {
            var c = x.VisitorId.CompareTo(y.VisitorId);
            return c == 0 ? CompareInSession(x, y) : c;
        });

        // Values a visitor has already been counted for (events, visits), reset per visitor.
        var seenEvents = new HashSet<(int, string)>();
        var seenVisits = new HashSet<(int, string)>();
        var values = new string[RollupDimensions.Visit.Length];
        for (var start = 0; start < order.Length;)
        {
            var visitor = order[start].VisitorId;
            var end = start + 1;
            while (end < order.Length && order[end].VisitorId == visitor)
            {
                end++;
            }

            // Events: distinct visitors per value are exact per day. Sessions, as the raw query and the reference cut
            // them: per visitor by (time, path, event), gap >= timeout.
            seenEvents = Reset(seenEvents);
            var firstSession = result.Sessions.Count;
            RollupSession? current = null;
            for (var i = start; i < end; i++)
            {
                var hit = order[i];
                var pageview = string.Equals(hit.EventName, Hit.PageviewEvent, StringComparison.Ordinal);
                AddEvent(result.Events, seenEvents, (0, string.Empty), pageview);
                AddEvent(result.Events, seenEvents, (1, hit.Path), pageview);
                AddEvent(result.Events, seenEvents, (2, hit.EventName), pageview);
                AddEvent(result.Events, seenEvents, (3, hit.Hostname), pageview);
                if (current is null || hit.Ms - current.End >= timeoutMs)
                {
                    current = new RollupSession { VisitorId = visitor, First = hit, End = hit.Ms };
                    result.Sessions.Add(current);
                }

                current.End = hit.Ms;
                current.Hits.Add(hit);
                current.Exit = hit.Path;
                current.Events++;
                if (pageview)
                {
                    current.Pageviews++;
                }
            }

            seenVisits = Reset(seenVisits);
            for (var n = firstSession; n < result.Sessions.Count; n++)
            {
                var session = result.Sessions[n];
                values[0] = session.First.Path;
                values[1] = session.Exit;
                Array.Copy(session.First.Attributes, 0, values, 2, session.First.Attributes.Length);
                AddVisit(result.Visits, seenVisits, (0, string.Empty), session);
                for (var i = 0; i < values.Length; i++)
                {
                    AddVisit(result.Visits, seenVisits, (i + 1, values[i]), session);
                }
            }

            start = end;
        }

        if (previous is not null)
        {
            result.Links.AddRange(ComputeLinks(previous, result, timeoutMs));
        }

        return result;
    }

    private static IEnumerable<RollupLink> ComputeLinks(RollupDay previous, RollupDay day, long timeoutMs)
    {
        var before = previous.Sessions.ToLookup(s => s.VisitorId);
        var sessionsPerVisitorToday = day.Sessions.GroupBy(s => s.VisitorId).ToDictionary(g => g.Key, g => g.Count());
        var sessionsPerVisitorBefore = previous.Sessions.GroupBy(s => s.VisitorId).ToDictionary(g => g.Key, g => g.Count());
        var candidates = new List<(RollupSession S, RollupSession T)>();
        foreach (var s in day.Sessions)
        {
            if (s.First.PreviousVisitorId is not { } link)
            {
                continue;
            }

            foreach (var t in before[link])
            {
                if (t.End <= s.Start && s.Start - t.End < timeoutMs)
                {
                    candidates.Add((s, t));
                }
            }
        }

        // One continuation per earlier session: the earliest, then the lowest visitor id (as the reference picks).
        var chosen = candidates.GroupBy(c => c.T).Select(g => g.OrderBy(c => c.S.Start).ThenBy(c => c.S.VisitorId).First()).ToList();
        var joined = chosen.Select(c => c.S).ToHashSet();
        foreach (var (s, t) in chosen)
        {
            var sValues = s.Values();
            var sOthers = day.Sessions.Where(o => o.VisitorId == s.VisitorId && !joined.Contains(o)).Select(o => o.Values()).ToList();
            var mask = 0;
            for (var i = 0; i < sValues.Length; i++)
            {
                if (sOthers.Any(o => string.Equals(o[i], sValues[i], StringComparison.Ordinal)))
                {
                    mask |= 1 << i;
                }
            }

            var tOthers = previous.Sessions.Where(o => o.VisitorId == t.VisitorId && !ReferenceEquals(o, t)).ToList();
            yield return new RollupLink
            {
                Version = 2,
                SOtherSame = mask,
                TOtherSameExit = tOthers.Any(o => string.Equals(o.Exit, t.Exit, StringComparison.Ordinal)),
                TOtherSExit = tOthers.Any(o => string.Equals(o.Exit, s.Exit, StringComparison.Ordinal)),
                SStart = s.Start, SEnd = s.End, SVisitor = s.VisitorId, SPageviews = s.Pageviews, SEvents = s.Events,
                SAlone = sessionsPerVisitorToday[s.VisitorId] == 1,
                TStart = t.Start, TEnd = t.End, TPageviews = t.Pageviews, TEvents = t.Events,
                TAlone = sessionsPerVisitorBefore[t.VisitorId] == 1,
                TLinked = t.First.PreviousVisitorId is not null,
                SValues = s.Values(), TValues = t.Values(),
            };
        }
    }

    // Clear keeps the capacity, and clearing costs the capacity: a set a heavy visitor grew is replaced instead.
    private static HashSet<(int, string)> Reset(HashSet<(int, string)> set)
    {
        if (set.Count > 256)
        {
            return [];
        }

        set.Clear();
        return set;
    }

    private static void AddEvent(Dictionary<(int, string), EventCounts> rows, HashSet<(int, string)> seen, (int, string) key, bool pageview)
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

    private static void AddVisit(Dictionary<(int, string), VisitCounts> rows, HashSet<(int, string)> seen, (int, string) key, RollupSession session)
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
}

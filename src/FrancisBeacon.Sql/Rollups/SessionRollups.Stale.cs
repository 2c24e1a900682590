// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data;
using System.Data.Common;
using System.Globalization;
using Dapper;
using FrancisBeacon.Querying;
using static FrancisBeacon.Sql.Rollups.RollupReader;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>
/// The session route's days waiting for a rebuild: the last days of a range (today, yesterday) cut into sessions from
/// the raw hits and evaluated in memory with the query's filter, merged across midnight exactly as the stored rows and
/// the reference merge them, and added to the stored rows' counts.
/// </summary>
/// <remarks>
/// The split keeps distinct visitor counts additive: the stored rows count the sessions that start before the cut day
/// and the hits of the days before it, this part the sessions that start on or after the cut day and the hits of those
/// days. A visitor id lives one site-local day and a merged session counts under its first part's id, so the two parts
/// never count the same visitor. The cut day is the last clean day: its sessions may continue into the first stale
/// day, and its sessions that continue one of the day before (stored, clean) are known from its stored rows.
/// </remarks>
internal sealed partial class SessionRollups
{
    /// <summary>At most this many days at the end of a range are computed from raw hits; more take the raw path.</summary>
    private const int MaxStaleDays = 4;

    private static readonly string StoredLinkColumns =
        "vid, start_ms, t_vid, t_prev, t_entry_path" +
        string.Concat(Enumerable.Range(0, RollupDimensions.Attributes.Length).Select(i => string.Create(CultureInfo.InvariantCulture, $", t_a{i}")));

    private async ValueTask ComputeStaleAsync(
        DbConnection connection, HitQuery query, SessionRollupPlan plan, long firstDay, long endDay, long cut,
        Func<long, CancellationToken, ValueTask<List<RollupHit>>> readDay, Dictionary<string, Counts> values, Dictionary<long, Counts> groups,
        CancellationToken cancellationToken)
    {
        // The cut day's sessions that continue one of the day before, from its stored rows (the day is clean): whether
        // they have a predecessor (prev), and, for the joined ones, the earlier session's visit values.
        var stored = new Dictionary<(long Vid, long Start), (bool Joined, bool TPrev, string[] TValues)>();
        if (cut > firstDay)
        {
            await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
                $"SELECT {StoredLinkColumns} FROM {_sessions} WHERE site_id = @site_id AND day = @day AND prev = 1", Parameters(query.SiteId, cut), cancellationToken: cancellationToken)).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var joined = !reader.IsDBNull(2);
                var tValues = new string[RollupDimensions.Visit.Length];
                if (joined)
                {
                    tValues[0] = reader.GetString(4);
                    for (var i = 0; i < RollupDimensions.Attributes.Length; i++)
                    {
                        tValues[i + 2] = reader.GetString(5 + i);
                    }
                }

                stored[(Long(reader, 0), Long(reader, 1))] = (joined, joined && Long(reader, 3) == 1, tValues);
            }
        }

        var days = new List<RollupDay>();
        for (var day = cut; day < endDay; day++)
        {
            days.Add(RollupDay.Compute(day, await readDay(day, cancellationToken).ConfigureAwait(false), null, TimeoutMs));
        }

        // Joins across midnight between the computed days, as the rows record them (WriteDayAsync) and the query
        // applies them: S (day d) continues T (day d - 1) when it is T's chosen continuation, d - 1 is in the range and
        // T does not itself continue a session of day d - 2 in the range.
        var hasPrevious = new HashSet<RollupSession>();
        var continuation = new Dictionary<RollupSession, RollupSession>();
        for (var i = 1; i < days.Count; i++)
        {
            var before = days[i - 1].Sessions.ToLookup(s => s.VisitorId);
            var candidates = new List<(RollupSession S, RollupSession T)>();
            foreach (var s in days[i].Sessions)
            {
                if (s.First.PreviousVisitorId is not { } link)
                {
                    continue;
                }

                foreach (var t in before[link])
                {
                    if (t.End <= s.Start && s.Start - t.End < TimeoutMs)
                    {
                        candidates.Add((s, t));
                        hasPrevious.Add(s);
                    }
                }
            }

            foreach (var group in candidates.GroupBy(c => c.T))
            {
                var (s, t) = group.OrderBy(c => c.S.Start).ThenBy(c => c.S.VisitorId).First();
                continuation[t] = s;
            }
        }

        bool HasPrevious(RollupSession session, long day) =>
            day == cut ? stored.ContainsKey((session.VisitorId, session.Start)) : hasPrevious.Contains(session);

        var absorbed = new HashSet<RollupSession>();
        var merged = new List<Merged>();
        foreach (var day in days)
        {
            foreach (var t in day.Sessions)
            {
                if (absorbed.Contains(t))
                {
                    continue;
                }

                if (day.Day == cut && cut > firstDay && stored.TryGetValue((t.VisitorId, t.Start), out var link) && link.Joined &&
                    !(link.TPrev && cut - 1 > firstDay))
                {
                    // Continues a stored session of the day before: its session counts there; only its hits count here,
                    // judged by the merged visit's values (the earlier part's entry and attributes, this part's exit).
                    var values1 = (string[])link.TValues.Clone();
                    values1[1] = t.Exit;
                    merged.Add(new Merged(t, null, day.Day, null, values1, CountsSession: false));
                    continue;
                }

                RollupSession? s = null;
                long? sDay = null;
                if (continuation.TryGetValue(t, out var next) && !(HasPrevious(t, day.Day) && day.Day > firstDay))
                {
                    s = next;
                    sDay = day.Day + 1;
                    absorbed.Add(next);
                }

                var v = t.Values();
                if (s is not null)
                {
                    v[1] = s.Exit;
                }

                merged.Add(new Merged(t, s, day.Day, sDay, v, CountsSession: true));
            }
        }

        var filter = plan.Filter;
        var visitors = new Dictionary<string, HashSet<long>>(StringComparer.Ordinal);
        var bucketVisitors = new Dictionary<long, HashSet<long>>();
        foreach (var m in merged)
        {
            var keptPv = 0L;
            var keptN = 0L;
            foreach (var (hit, hitDay) in m.Hits())
            {
                if (filter is not null && !Evaluate(filter, hit, m.Values))
                {
                    continue;
                }

                var pageview = string.Equals(hit.EventName, Hit.PageviewEvent, StringComparison.Ordinal);
                keptPv += pageview ? 1 : 0;
                keptN++;
                if (plan.EventMode)
                {
                    var key = plan.Dimension == HitDimension.Page ? hit.Path : plan.Dimension == HitDimension.EventName ? hit.EventName : hit.Hostname;
                    values.TryGetValue(key, out var c);
                    c.EvPv += pageview ? 1 : 0;
                    c.EvN++;
                    values[key] = c;
                    Add(visitors, key, hit.VisitorId);
                }
                else if (!plan.VisitMode)
                {
                    var bucket = Bucket(plan, hitDay);
                    groups.TryGetValue(bucket, out var c);
                    c.EvPv += pageview ? 1 : 0;
                    c.EvN++;
                    c.HasEvents = true;
                    groups[bucket] = c;
                    Add(bucketVisitors, bucket, hit.VisitorId);
                }
            }

            if (keptN == 0 || !m.CountsSession)
            {
                continue;
            }

            var pv = m.T.Pageviews + (m.S?.Pageviews ?? 0);
            var n = m.T.Events + (m.S?.Events ?? 0);
            var duration = (m.S?.End ?? m.T.End) - m.T.Start;
            var bounce = n == 1 && pv == 1 ? 1 : 0;
            if (plan.VisitMode)
            {
                var key = m.Values[VisitIndex(plan.Dimension!)];
                values.TryGetValue(key, out var c);
                c.Visits++;
                c.KeptPv += keptPv;
                c.KeptN += keptN;
                c.Bounces += bounce;
                c.DurationMs += duration;
                c.SessionPv += pv;
                values[key] = c;
                Add(visitors, key, m.T.VisitorId);
            }
            else if (!plan.EventMode)
            {
                var bucket = Bucket(plan, m.TDay);
                groups.TryGetValue(bucket, out var c);
                c.Visits++;
                c.Bounces += bounce;
                c.DurationMs += duration;
                c.SessionPv += pv;
                groups[bucket] = c;
            }
        }

        // Distinct visitors: this part's ids are disjoint from the stored part's, so the counts add up.
        foreach (var (key, set) in visitors)
        {
            var c = values[key];
            if (plan.VisitMode)
            {
                c.Visitors += set.Count;
            }
            else
            {
                c.EvVisitors += set.Count;
            }

            values[key] = c;
        }

        foreach (var (bucket, set) in bucketVisitors)
        {
            var c = groups[bucket];
            c.EvVisitors += set.Count;
            groups[bucket] = c;
        }
    }

    private static DynamicParameters Parameters(string siteId, long day)
    {
        var parameters = new DynamicParameters();
        parameters.Add("site_id", siteId, DbType.String);
        parameters.Add("day", day, DbType.Int64);
        return parameters;
    }

    private static void Add<TKey>(Dictionary<TKey, HashSet<long>> sets, TKey key, long visitor)
        where TKey : notnull
    {
        if (!sets.TryGetValue(key, out var set))
        {
            sets[key] = set = [];
        }

        set.Add(visitor);
    }

    // The time bucket of a day, as the SQL computes it (day number, week number, year * 12 + month - 1).
    private static long Bucket(SessionRollupPlan plan, long day)
    {
        if (plan.Dimension is null)
        {
            return 0;
        }

        if (plan.Dimension == HitDimension.Day)
        {
            return day;
        }

        if (plan.Dimension == HitDimension.Week)
        {
            return (day + 3) / 7;
        }

        var date = TimeZoneSegments.DayNumberToDate(day);
        return (date.Year * 12L) + date.Month - 1;
    }

    // Index of a visit dimension in RollupSession.Values(): entry, exit, then the attributes.
    private static int VisitIndex(HitDimension dimension) =>
        dimension == HitDimension.EntryPage ? 0
        : dimension == HitDimension.ExitPage ? 1
        : Array.IndexOf(RollupDimensions.Attributes, dimension) is var i and >= 0 ? i + 2
        : throw new HitQueryException("dimensions", $"Unsupported dimension {dimension.Name}.");

    // The filter on one hit of a merged session with the session's visit values, as the reference evaluates it.
    private static bool Evaluate(HitFilter filter, RollupHit hit, string[] sessionValues) => filter switch
    {
        HitFilterCondition condition => condition.Test(
            condition.Dimension == HitDimension.Page ? hit.Path
            : condition.Dimension == HitDimension.EventName ? hit.EventName
            : condition.Dimension == HitDimension.Hostname ? hit.Hostname
            : sessionValues[VisitIndex(condition.Dimension)]),
        HitFilterAnd and => and.Filters.All(f => Evaluate(f, hit, sessionValues)),
        HitFilterOr or => or.Filters.Any(f => Evaluate(f, hit, sessionValues)),
        HitFilterNot not => !Evaluate(not.Filter, hit, sessionValues),
        _ => throw new HitQueryException("filters", "Unknown filter."),
    };

    /// <summary>A session (T) of a computed day with the continuation it absorbs (S), or a session whose visit counts in the stored part (only its hits count here).</summary>
    private sealed record Merged(RollupSession T, RollupSession? S, long TDay, long? SDay, string[] Values, bool CountsSession)
    {
        public IEnumerable<(RollupHit Hit, long Day)> Hits() =>
            T.Hits.Select(h => (h, TDay)).Concat(S is null ? [] : S.Hits.Select(h => (h, SDay!.Value)));
    }
}

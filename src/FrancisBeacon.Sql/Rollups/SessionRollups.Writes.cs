// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using System.Globalization;
using Dapper;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Writing a day's session rows: inside the caller's transaction (with the day's other rollup rows), in chunks of
/// <see cref="RollupRows"/> that the store inserts in bulk (<see cref="RollupTables.InsertRows"/>), with no boxed value
/// or list per row.
/// </content>
internal sealed partial class SessionRollups
{
    private const int ChunkRows = 4096;

    private static readonly int AttributeCount = RollupDimensions.Attributes.Length;

    private static readonly string[] SessionColumns =
    [
        "site_id", "day", "vid", "start_ms", "end_ms", "pv", "n", "entry_path", "exit_path",
        .. Enumerable.Range(0, RollupDimensions.Attributes.Length).Select(i => string.Create(CultureInfo.InvariantCulture, $"a{i}")),
        "prev", "nx_vid", "t_vid", "t_start", "t_prev", "t_pv", "t_n", "t_entry_path",
        .. Enumerable.Range(0, RollupDimensions.Attributes.Length).Select(i => string.Create(CultureInfo.InvariantCulture, $"t_a{i}")),
        "touched",
    ];

    private static readonly RollupColumnType[] SessionTypes = [.. SessionColumns.Select(TypeOf)];

    // "touched": the session's flag, repeated on its session-hit rows for their partial index (SessionRollups.TouchedRows.cs).
    private static readonly string[] HitColumns = ["site_id", "day", "vid", "start_ms", "path", "event_name", "hostname", "pv", "n", "touched"];

    private static readonly RollupColumnType[] HitTypes = [.. HitColumns.Select(TypeOf)];

    // Ordinals of the session row's columns after the attributes.
    private static readonly int PrevColumn = 9 + AttributeCount;

    private static readonly int TouchedColumn = PrevColumn + 8 + AttributeCount;

    /// <summary>
    /// Writes the session rows of <paramref name="day"/>, with its links to <paramref name="previous"/> (the day before),
    /// inside <paramref name="transaction"/>; the caller has deleted the day's old rows. A <paramref name="live"/> day (the
    /// site's latest day with hits) gets no segment and page-segment rows and is listed in <c>rollup_live_days</c> instead.
    /// </summary>
    public async ValueTask WriteDayAsync(DbConnection connection, DbTransaction transaction, string siteId, RollupDay day, RollupDay? previous, TimeZoneInfo zone, bool live, CancellationToken cancellationToken)
    {
        // Raw pairs (S continues T), exactly as the reference finds them; one S per T: the earliest, then the lowest id.
        // (A visitor's sessions are 30 minutes apart, so at most one T of a visitor is within reach of an S.)
        var sForT = new Dictionary<RollupSession, RollupSession>(ReferenceEqualityComparer.Instance);
        var hasPrevious = new HashSet<RollupSession>(ReferenceEqualityComparer.Instance);
        Dictionary<long, List<RollupSession>>? before = null;
        foreach (var s in day.Sessions)
        {
            if (s.First.PreviousVisitorId is not { } link || previous is null)
            {
                continue;
            }

            before ??= ByVisitor(previous.Sessions);
            if (!before.TryGetValue(link, out var ts))
            {
                continue;
            }

            foreach (var t in ts)
            {
                if (t.End <= s.Start && s.Start - t.End < TimeoutMs)
                {
                    hasPrevious.Add(s);
                    if (!sForT.TryGetValue(t, out var best) || s.Start < best.Start || (s.Start == best.Start && s.VisitorId < best.VisitorId))
                    {
                        sForT[t] = s;
                    }
                }
            }
        }

        var chosen = new Dictionary<RollupSession, RollupSession>(ReferenceEqualityComparer.Instance);
        foreach (var (t, s) in sForT)
        {
            chosen[s] = t;
        }

        var tPrevious = new Dictionary<(long, long), long>();
        if (chosen.Count > 0)
        {
            // Whether T continues a session of its own day before: stored with T's row (written before this day).
            var rows = await connection.QueryAsync<(long Vid, long Start, long Prev)>(new CommandDefinition(
                $"SELECT vid, start_ms, prev FROM {_sessions} WHERE site_id = @site_id AND day = @day AND nx_vid IS NOT NULL",
                new { site_id = siteId, day = day.Day - 1 }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            foreach (var (vid, start, prev) in rows)
            {
                tPrevious[(vid, start)] = prev;
            }
        }

        var nextDayStart = HitRollups.StartOfDayMs(day.Day + 1, zone);
        var touched = TouchedVisitors(day, chosen, nextDayStart);
        var sessionRows = new RollupRows(_sessions, SessionColumns, SessionTypes, Math.Clamp(day.Sessions.Count, 1, ChunkRows));
        var hitRows = new RollupRows(_hits, HitColumns, HitTypes, ChunkRows);
        var folded = new List<(RollupHit Hit, long Pageviews, long Events)>();
        foreach (var s in day.Sessions)
        {
            var isTouched = touched.Contains(s.VisitorId) ? 1L : 0L;
            var r = await sessionRows.AddAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
            sessionRows.Set(r, 0, siteId);
            sessionRows.Set(r, 1, day.Day);
            sessionRows.Set(r, 2, s.VisitorId);
            sessionRows.Set(r, 3, s.Start);
            sessionRows.Set(r, 4, s.End);
            sessionRows.Set(r, 5, s.Pageviews);
            sessionRows.Set(r, 6, s.Events);
            sessionRows.Set(r, 7, s.First.Path);
            sessionRows.Set(r, 8, s.Exit);
            for (var i = 0; i < AttributeCount; i++)
            {
                sessionRows.Set(r, 9 + i, s.First.Attributes[i]);
            }

            sessionRows.Set(r, PrevColumn, hasPrevious.Contains(s) ? 1L : 0L);
            sessionRows.Set(r, TouchedColumn, isTouched);
            if (s.End > nextDayStart - TimeoutMs)
            {
                sessionRows.Set(r, PrevColumn + 1, s.VisitorId);
            }

            if (chosen.TryGetValue(s, out var t))
            {
                sessionRows.Set(r, PrevColumn + 2, t.VisitorId);
                sessionRows.Set(r, PrevColumn + 3, t.Start);
                sessionRows.Set(r, PrevColumn + 4, tPrevious.GetValueOrDefault((t.VisitorId, t.Start)));
                sessionRows.Set(r, PrevColumn + 5, t.Pageviews);
                sessionRows.Set(r, PrevColumn + 6, t.Events);
                sessionRows.Set(r, PrevColumn + 7, t.First.Path);
                for (var i = 0; i < AttributeCount; i++)
                {
                    sessionRows.Set(r, PrevColumn + 8 + i, t.First.Attributes[i]);
                }
            }

            // The session's hits folded to one row per distinct (page, event name, host), in order of first appearance.
            foreach (var (hit, pv, n) in Fold(s.Hits, folded))
            {
                var h = await hitRows.AddAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
                hitRows.Set(h, 0, siteId);
                hitRows.Set(h, 1, day.Day);
                hitRows.Set(h, 2, s.VisitorId);
                hitRows.Set(h, 3, s.Start);
                hitRows.Set(h, 4, hit.Path);
                hitRows.Set(h, 5, hit.EventName);
                hitRows.Set(h, 6, hit.Hostname);
                hitRows.Set(h, 7, pv);
                hitRows.Set(h, 8, n);
                hitRows.Set(h, 9, isTouched);
            }
        }

        await sessionRows.FlushAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
        await hitRows.FlushAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
        await CopyTouchedSessionsAsync(connection, transaction, siteId, day.Day, null, cancellationToken).ConfigureAwait(false);
        if (live)
        {
            // The site's latest day: its segment and page-segment rows wait until it is no longer live (SessionRollups.LiveDays.cs).
            await MarkLiveAsync(connection, transaction, siteId, day.Day, cancellationToken).ConfigureAwait(false);
            await DeletePageBlocksOfDayAsync(connection, transaction, siteId, day.Day, null, cancellationToken).ConfigureAwait(false);
            return;
        }

        await WriteSegmentsAsync(connection, transaction, siteId, day, touched, cancellationToken).ConfigureAwait(false);
        await WritePageSegmentsAsync(connection, transaction, siteId, day, touched, cancellationToken).ConfigureAwait(false);
    }

    // A session's hits per distinct (page, event name, host): a linear scan for the usual few hits, a map for many.
    private static List<(RollupHit Hit, long Pageviews, long Events)> Fold(List<RollupHit> hits, List<(RollupHit Hit, long Pageviews, long Events)> folded)
    {
        folded.Clear();
        Dictionary<(string, string, string), int>? index = hits.Count > 32 ? [] : null;
        foreach (var hit in hits)
        {
            var pageview = string.Equals(hit.EventName, Hit.PageviewEvent, StringComparison.Ordinal) ? 1 : 0;
            var at = -1;
            if (index is not null)
            {
                if (index.TryGetValue((hit.Path, hit.EventName, hit.Hostname), out var i))
                {
                    at = i;
                }
                else
                {
                    index[(hit.Path, hit.EventName, hit.Hostname)] = folded.Count;
                }
            }
            else
            {
                for (var i = 0; i < folded.Count; i++)
                {
                    var other = folded[i].Hit;
                    if (string.Equals(other.Path, hit.Path, StringComparison.Ordinal) && string.Equals(other.EventName, hit.EventName, StringComparison.Ordinal) &&
                        string.Equals(other.Hostname, hit.Hostname, StringComparison.Ordinal))
                    {
                        at = i;
                        break;
                    }
                }
            }

            if (at < 0)
            {
                folded.Add((hit, pageview, 1));
            }
            else
            {
                var (first, pv, n) = folded[at];
                folded[at] = (first, pv + pageview, n + 1);
            }
        }

        return folded;
    }

    private static Dictionary<long, List<RollupSession>> ByVisitor(List<RollupSession> sessions)
    {
        var map = new Dictionary<long, List<RollupSession>>();
        foreach (var s in sessions)
        {
            if (!map.TryGetValue(s.VisitorId, out var list))
            {
                map[s.VisitorId] = list = [];
            }

            list.Add(s);
        }

        return map;
    }

    private static RollupColumnType TypeOf(string column) =>
        column is "day" or "prev" or "t_prev" or "touched" ? RollupColumnType.ShortNumber
        : column is "site_id" or "entry_path" or "exit_path" or "t_entry_path" or "path" or "event_name" or "hostname" ||
          (column.StartsWith('a') && column.Length <= 3) || column.StartsWith("t_a", StringComparison.Ordinal) ? RollupColumnType.Text
        : RollupColumnType.Number;
}

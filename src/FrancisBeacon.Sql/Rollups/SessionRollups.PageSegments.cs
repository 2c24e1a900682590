// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using Dapper;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Page segments (migration SQLite 0015 / PostgreSQL 0015): for a filter <c>event:page is P</c>, per site-local day and
/// page P, the visit rows a page-filtered query counts (<c>rollup_page_visits</c>, keyed (site_id, day, path, dim,
/// value); dim 0 the day's totals, else a visit dimension's code), over the <em>untouched</em> visitors' sessions that
/// contain a hit on P (as the segment rows, SessionRollups.Segments.cs): visitors, visits, bounces and duration of those
/// sessions, the pageviews and events of their hits on P only, and the sessions' own pageviews (views per visit).
/// </content>
/// <remarks>
/// <para>
/// Only the pages worth it: a (day, page) gets rows when at least <see cref="MinPageSessions"/> untouched sessions
/// contain the page that day (a page with fewer is cheap on the session route). <c>rollup_page_days</c> lists those
/// (day, page) pairs: their rows are complete, and a query reads the listed days from the rows and sends the others
/// through the session route. The incremental upkeep keeps the listed pages' rows exact by per-visitor deltas (a
/// visitor's contribution is additive, as for the segment rows) and lists no new page: a page that grows past the
/// threshold on a day kept by deltas gets its rows at the day's next whole rebuild.
/// </para>
/// </remarks>
internal sealed partial class SessionRollups
{
    /// <summary>The untouched sessions containing a page on a day from which the day gets page-segment rows for it.</summary>
    internal const int MinPageSessions = 100;

    private static readonly string[] PageVisitColumns =
        ["site_id", "day", "path", "dim", "value", "visitors", "visits", "bounces", "duration_ms", "pageviews", "events", "session_pv"];

    private static readonly RollupColumnType[] PageVisitTypes =
    [
        RollupColumnType.Text, RollupColumnType.ShortNumber, RollupColumnType.Text, RollupColumnType.ShortNumber, RollupColumnType.Text,
        RollupColumnType.Number, RollupColumnType.Number, RollupColumnType.Number, RollupColumnType.Number, RollupColumnType.Number, RollupColumnType.Number, RollupColumnType.Number,
    ];

    private static readonly string[] PageDayColumns = ["site_id", "day", "path"];

    private static readonly RollupColumnType[] PageDayTypes = [RollupColumnType.Text, RollupColumnType.ShortNumber, RollupColumnType.Text];

    private string PageDays => _t.Prefix + "rollup_page_days";

    private string PageVisits => _t.Prefix + "rollup_page_visits";

    /// <summary>Writes the page-segment rows of <paramref name="day"/> (its untouched visitors' sessions) inside <paramref name="transaction"/>.</summary>
    private async ValueTask WritePageSegmentsAsync(DbConnection connection, DbTransaction transaction, string siteId, RollupDay day, HashSet<long> touched, CancellationToken cancellationToken)
    {
        // The page blocks holding the day are sums of its old rows (SessionRollups.PageBlocks.cs).
        await DeletePageBlocksOfDayAsync(connection, transaction, siteId, day.Day, null, cancellationToken).ConfigureAwait(false);
        // The pages with enough untouched sessions.
        var sessionsPerPage = new Dictionary<string, int>(StringComparer.Ordinal);
        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in day.Sessions)
        {
            if (touched.Contains(s.VisitorId))
            {
                continue;
            }

            paths.Clear();
            foreach (var hit in s.Hits)
            {
                if (paths.Add(hit.Path))
                {
                    sessionsPerPage[hit.Path] = sessionsPerPage.GetValueOrDefault(hit.Path) + 1;
                }
            }
        }

        var covered = new HashSet<string>(sessionsPerPage.Where(p => p.Value >= MinPageSessions).Select(p => p.Key), StringComparer.Ordinal);
        if (covered.Count == 0)
        {
            return;
        }

        var rows = new Dictionary<SegmentKey, long[]>();
        var seen = new HashSet<SegmentKey>();
        var kept = new Dictionary<string, (long Pageviews, long Events)>(StringComparer.Ordinal);
        var sessions = day.Sessions;
        for (var start = 0; start < sessions.Count;)
        {
            // One visitor's sessions at a time (RollupDay.Compute orders them so): a visitor counts once per row.
            var visitor = sessions[start].VisitorId;
            var end = start + 1;
            while (end < sessions.Count && sessions[end].VisitorId == visitor)
            {
                end++;
            }

            if (!touched.Contains(visitor))
            {
                seen.Clear();
                for (var k = start; k < end; k++)
                {
                    var s = sessions[k];
                    kept.Clear();
                    foreach (var hit in s.Hits)
                    {
                        if (covered.Contains(hit.Path))
                        {
                            var (pv, n) = kept.GetValueOrDefault(hit.Path);
                            kept[hit.Path] = (pv + (string.Equals(hit.EventName, Hit.PageviewEvent, StringComparison.Ordinal) ? 1 : 0), n + 1);
                        }
                    }

                    if (kept.Count > 0)
                    {
                        AddPageSession(rows, seen, s.Values(), kept, s.Start, s.End, s.Pageviews, s.Events, 1);
                    }
                }
            }

            start = end;
        }

        await WritePageRowsAsync(connection, transaction, siteId, day.Day, covered, rows, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists <paramref name="covered"/> for <paramref name="day"/> and writes its page rows (the day has none), in key order.</summary>
    private async ValueTask WritePageRowsAsync(
        DbConnection connection, DbTransaction transaction, string siteId, long day, HashSet<string> covered, Dictionary<SegmentKey, long[]> rows, CancellationToken cancellationToken)
    {
        var dayRows = new RollupRows(PageDays, PageDayColumns, PageDayTypes, Math.Clamp(covered.Count, 1, ChunkRows));
        foreach (var path in covered.Order(Utf8OrdinalComparer.Instance))
        {
            var r = await dayRows.AddAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
            dayRows.Set(r, 0, siteId);
            dayRows.Set(r, 1, day);
            dayRows.Set(r, 2, path);
        }

        await dayRows.FlushAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);

        // In key order (one new key range, appended).
        var visitRows = new RollupRows(PageVisits, PageVisitColumns, PageVisitTypes, Math.Clamp(rows.Count, 1, ChunkRows));
        foreach (var (key, c) in Sorted(rows))
        {
            var r = await visitRows.AddAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
            visitRows.Set(r, 0, siteId);
            visitRows.Set(r, 1, day);
            visitRows.Set(r, 2, key.Fvalue);
            visitRows.Set(r, 3, key.Dim);
            visitRows.Set(r, 4, key.Value);
            for (var i = 0; i < c.Length; i++)
            {
                visitRows.Set(r, 5 + i, c[i]);
            }
        }

        await visitRows.FlushAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds <paramref name="sign"/> times one session to the page rows of every page in <paramref name="kept"/> (the
    /// session's pageviews and events on that page): the session's visit values once per visitor (<paramref name="seen"/>,
    /// reset per visitor by the caller). Keys: (0, path, dim, value); counts: visitors, visits, bounces, duration, kept
    /// pageviews, kept events, session pageviews.
    /// </summary>
    private static void AddPageSession(Dictionary<SegmentKey, long[]> rows, HashSet<SegmentKey> seen, string[] values,
        Dictionary<string, (long Pageviews, long Events)> kept, long start, long end, long pageviews, long events, int sign)
    {
        var bounce = events == 1 && pageviews == 1 ? sign : 0;
        foreach (var (path, (keptPv, keptN)) in kept)
        {
            for (var dim = 0; dim <= values.Length; dim++)
            {
                var key = new SegmentKey(0, path, dim, dim == 0 ? string.Empty : values[dim - 1]);
                if (!rows.TryGetValue(key, out var counts))
                {
                    rows[key] = counts = new long[7];
                }

                if (seen.Add(key))
                {
                    counts[0] += sign;
                }

                counts[1] += sign;
                counts[2] += bounce;
                counts[3] += sign * (end - start);
                counts[4] += sign * keptPv;
                counts[5] += sign * keptN;
                counts[6] += sign * pageviews;
            }
        }
    }

    /// <summary>The pages of <paramref name="day"/> with page-segment rows (the upkeep keeps only theirs).</summary>
    public async ValueTask<HashSet<string>> CoveredPagesAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, CancellationToken cancellationToken) =>
        new(await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT path FROM {PageDays} WHERE site_id = @site_id AND day = @day", new { site_id = siteId, day }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false),
            StringComparer.Ordinal);

    /// <summary>
    /// Adds <paramref name="sign"/> times an untouched visitor's contribution to the page rows of the day's covered pages
    /// (<see cref="UpkeepDelta.CoveredPages"/>), as <see cref="WritePageSegmentsAsync"/> counts it.
    /// </summary>
    private static void AddPageContribution(UpkeepDelta delta, List<UpkeepSession> sessions, bool touched, int sign)
    {
        if (touched || delta.CoveredPages.Count == 0)
        {
            return;
        }

        delta.SeenPages.Clear();
        var kept = new Dictionary<string, (long Pageviews, long Events)>(StringComparer.Ordinal);
        foreach (var s in sessions)
        {
            kept.Clear();
            foreach (var h in s.Hits)
            {
                if (delta.CoveredPages.Contains(h.Path))
                {
                    var (pv, n) = kept.GetValueOrDefault(h.Path);
                    kept[h.Path] = (pv + h.Pageviews, n + h.Events);
                }
            }

            if (kept.Count > 0)
            {
                AddPageSession(delta.PageVisits, delta.SeenPages, s.Values(), kept, s.Start, s.End, s.Pageviews, s.Events, sign);
            }
        }
    }

    /// <summary>
    /// Applies the page rows' deltas of a day; false when a row would go negative (the caller then rebuilds the day
    /// whole). The page blocks holding the day for the changed pages go with it (SessionRollups.PageBlocks.cs).
    /// </summary>
    private async ValueTask<bool> ApplyPageDeltaAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, UpkeepDelta delta, CancellationToken cancellationToken)
    {
        if (delta.PageVisits.Count == 0)
        {
            return true;
        }

        var paths = new HashSet<string>(delta.PageVisits.Keys.Select(k => k.Fvalue), StringComparer.Ordinal);
        await DeletePageBlocksOfDayAsync(connection, transaction, siteId, day, paths, cancellationToken).ConfigureAwait(false);
        return await ApplyDeltaAsync(_t, connection, transaction, PageVisits, PageVisitColumns, PageVisitTypes, siteId, day, delta.PageVisits, 1, cancellationToken).ConfigureAwait(false);
    }
}

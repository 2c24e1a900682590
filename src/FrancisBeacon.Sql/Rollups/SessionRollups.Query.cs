// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data;
using System.Data.Common;
using System.Globalization;
using Dapper;
using FrancisBeacon.Querying;
using static FrancisBeacon.Sql.Rollups.RollupReader;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>The query side of the session rollups: answers filtered session queries from the stored rows.</summary>
internal sealed partial class SessionRollups
{
    // Joined session T absorbs this row's session S (S is of day s.day, T of day s.day - 1).
    private const string Absorbed = "(s.t_vid IS NOT NULL AND s.day > @first AND NOT (s.t_prev = 1 AND s.day - 1 > @first))";

    // This row's session T absorbs its continuation (the linked row n of the next day).
    private const string Swallows = "(n.t_vid IS NOT NULL AND NOT (s.prev = 1 AND s.day > @first))";

    // The key of row s's merged session: its own, or that of the session of the day before which absorbs it.
    private const string MergedVid = $"CASE WHEN {Absorbed} THEN s.t_vid ELSE s.vid END";
    private const string MergedStart = $"CASE WHEN {Absorbed} THEN s.t_start ELSE s.start_ms END";

    /// <summary>
    /// Answers <paramref name="query"/> (shape <paramref name="plan"/>) from the session rollups, or returns
    /// <see langword="null"/> when they cannot (site not ready, other time zone, partial days, days waiting for a rebuild
    /// other than the last few of the range). The days at the end of the range that wait for a rebuild (and the day after
    /// each, whose rows hold links into it) are cut into sessions from the raw hits (<paramref name="readDay"/>) and
    /// evaluated in memory, together with the sessions starting on the last clean day (which may continue into them).
    /// </summary>
    public async ValueTask<AggregateResult?> TryAnswerAsync(
        DbConnection connection, HitQuery query, SessionRollupPlan plan, string sitesTable,
        Func<DbConnection, string, CancellationToken, ValueTask<IEnumerable<long>>> overdueHours,
        Func<long, CancellationToken, ValueTask<List<RollupHit>>> readDay, CancellationToken cancellationToken)
    {
        var state = await connection.QueryFirstOrDefaultAsync<(string TimeZone, long Ready)?>(new CommandDefinition(
            $"SELECT time_zone, ready FROM {sitesTable} WHERE site_id = @site_id", new { site_id = query.SiteId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (state is not { Ready: 1 } || !string.Equals(state.Value.TimeZone, query.TimeZone.Id, StringComparison.Ordinal))
        {
            return null;
        }

        var zone = query.TimeZone;
        var firstDay = HitRollups.DayOf(query.From.ToUnixTimeMilliseconds(), zone);
        var endDay = HitRollups.DayOf(query.To.ToUnixTimeMilliseconds(), zone);
        if (HitRollups.StartOfDayMs(firstDay, zone) != query.From.ToUnixTimeMilliseconds() || HitRollups.StartOfDayMs(endDay, zone) != query.To.ToUnixTimeMilliseconds() || endDay <= firstDay)
        {
            return null;
        }

        // Days whose rows are stale: a day with hits not rolled up yet for longer than the rollups' MaxLag (younger
        // changes may wait for the worker), and the day after it (its rows hold links into
        // it). Only those inside the range matter: the first day's rows are never joined to the day before, the last
        // day's never to the day after. They must be the last days of the range (today, yesterday): the earlier days
        // are read from the rows, the stale ones computed from the raw hits; anything else takes the raw path.
        var hours = await overdueHours(connection, query.SiteId, cancellationToken).ConfigureAwait(false);
        var stale = new SortedSet<long>();
        foreach (var hour in hours)
        {
            var first = HitRollups.DayOf(hour * 3_600_000, zone);
            var last = HitRollups.DayOf((hour * 3_600_000) + 3_599_999, zone);
            for (var d = first; d <= last + 1; d++)
            {
                if (d >= firstDay && d < endDay)
                {
                    stale.Add(d);
                }
            }
        }

        var cleanEnd = stale.Count == 0 ? endDay : stale.Min;
        if (stale.Count > MaxStaleDays || stale.Count != endDay - cleanEnd || (plan.Behavioral && stale.Count > 0))
        {
            return null;
        }

        // Sessions starting on the last clean day may continue into the first stale one: they are evaluated in memory
        // too, so the stored rows answer for the sessions (and hits) of the days before `cut` only.
        var cut = cleanEnd < endDay ? Math.Max(firstDay, cleanEnd - 1) : endDay;
        var values = new Dictionary<string, Counts>(StringComparer.Ordinal);
        var groups = new Dictionary<long, Counts>();
        // A page filter: the days of the range with page-segment rows (SessionRollups.PageSegmentQuery.cs), or null.
        var pageDays = cut > firstDay ? await PageSegmentDaysAsync(connection, query.SiteId, plan, firstDay, cut, cancellationToken).ConfigureAwait(false) : null;
        // A segment filter: the live days of the range, which have no segment rows (SessionRollups.LiveDays.cs), or null.
        var liveDays = cut > firstDay ? await LiveSegmentDaysAsync(connection, query.SiteId, plan, firstDay, cut, cancellationToken).ConfigureAwait(false) : null;
        if (cut > firstDay)
        {
            // Only for statements driven by the sessions (visit conditions only, no event dimension): with a page or
            // event condition the hits' index drives, and nested loops are the good plan (PostgreSQL, 10 M hits).
            // A behavioural filter's subquery is joined on merged-session keys (CASE expressions), which PostgreSQL
            // estimates at a row or two: with nested loops it ran the subquery again for every outer row (30 s on the
            // kit's 3 000 hits); the sessions' settings give it a hash join.
            var tuned = (!plan.HasEventCondition && !plan.EventMode) || plan.Behavioral;
            if ((tuned ? _t.Dialect.SessionQuerySetup : _t.Dialect.HitDrivenQuerySetup) is { } setup)
            {
                await connection.ExecuteAsync(new CommandDefinition(setup, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            try
            {
                // A segment filter: the touched visitors' sessions through the statements below, the others from the
                // segment rows (SessionRollups.Segments.cs, read last); the two are disjoint in visitors, so their counts add.
                var segment = plan.Segment is not null;
                if (pageDays is not null)
                {
                    await ReadPageStoredAsync(connection, query, plan, firstDay, Math.Min(endDay, cut + 1), cut, pageDays, values, groups, cancellationToken).ConfigureAwait(false);
                }
                else if (liveDays is not null)
                {
                    // The touched visitors, and the untouched ones of the live days (which have no segment rows).
                    await ReadTouchedAndDaysAsync(connection, query, plan, firstDay, Math.Min(endDay, cut + 1), cut, liveDays, values, groups, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await ReadStoredAsync(connection, query, plan, firstDay, Math.Min(endDay, cut + 1), cut, segment, values, groups, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                if ((tuned ? _t.Dialect.SessionQueryReset : _t.Dialect.HitDrivenQueryReset) is { } reset)
                {
                    await connection.ExecuteAsync(new CommandDefinition(reset, cancellationToken: CancellationToken.None)).ConfigureAwait(false);
                }
            }
        }

        if (cut < endDay)
        {
            await ComputeStaleAsync(connection, query, plan, firstDay, endDay, cut, readDay, values, groups, cancellationToken).ConfigureAwait(false);
        }

        // After every other count: a list's top-k read of the segment rows takes them as corrections (SegmentQuery.cs).
        if (plan.Segment is not null && cut > firstDay)
        {
            await ReadSegmentsAsync(connection, query, plan, firstDay, cut, values, groups, cancellationToken, liveDays).ConfigureAwait(false);
        }

        if (pageDays is not null)
        {
            await ReadPageSegmentsAsync(connection, query, plan, pageDays, values, groups, cancellationToken).ConfigureAwait(false);
        }

        if (plan.Dimension is not { IsTime: true } && (plan.VisitMode || plan.EventMode))
        {
            return Result(query, plan, values);
        }

        var byLabel = new Dictionary<string, Counts>(StringComparer.Ordinal);
        foreach (var (key, c) in groups)
        {
            if (plan.Dimension is not null && !c.HasEvents && c.Visits == 0)
            {
                continue;
            }

            byLabel[plan.Dimension is null ? string.Empty : TimeLabel(plan.Dimension, key)] = c;
        }

        return Result(query, plan, byLabel);
    }

    // The stored rows' part: sessions (merged across midnight as the range says) starting before `cut`, and the hits of
    // the days before `cut`; rows of days up to `end` (exclusive) are read for the joins. With `touchedOnly`, only the
    // touched visitors' rows (touched = 1, through their partial index): a continuation row is always touched; those
    // rows drive the statement even under a page or event condition. With `untouchedDays`, only the untouched visitors'
    // rows of those days (a page segment's uncovered days; such rows are never merged across midnight).
    private async ValueTask ReadStoredAsync(
        DbConnection connection, HitQuery query, SessionRollupPlan plan, long firstDay, long endDay, long cut, bool touchedOnly,
        Dictionary<string, Counts> values, Dictionary<long, Counts> groups, CancellationToken cancellationToken, IReadOnlyList<long>? untouchedDays = null)
    {
        var parameters = new DynamicParameters();
        parameters.Add("site_id", query.SiteId, DbType.String);
        parameters.Add("first", firstDay, DbType.Int64);
        parameters.Add("end", endDay, DbType.Int64);
        parameters.Add("cut", cut, DbType.Int64);
        var counter = 0;
        var sessionDriven = !plan.HasEventCondition && !plan.EventMode;
        var filter = plan.Filter is null ? "1 = 1" : FilterSql(plan.Filter, parameters, ref counter);
        // The next day's linked row (the continuation of this row's session), through the partial index on linked rows.
        // Written as a derived table holding the index's condition AND with that condition in the ON clause: only with
        // both does the SQLite that Microsoft.Data.Sqlite bundles (3.53) use the partial index; with either alone (or as
        // a plain LEFT JOIN, which the sqlite3 CLI 3.40 planned well) it reads the whole next day for every session:
        // 3.6 s instead of 0.075 s for the 30-day entry pages under a page filter (EXPLAIN QUERY PLAN through the bundled
        // library; docs/performance.md). The range bound is written on s, not n: on n.day SQLite would take it as the
        // index range instead of the equality.
        // Even so, the totals' session statement (hits joined first) was planned with a scan of the whole next day per
        // session (52 s for `top stats, page is /pricing and source is Google` at 10 M hits): on SQLite the index is
        // named outright (SqlDialect.IndexHint: INDEXED BY).
        // The touched visitors' statements read the copies of their session rows where the store keeps them (a
        // continuation row is always touched; SessionRollups.TouchedRows.cs).
        var copies = touchedOnly && _t.TouchedSessionCopies;
        var linked = Linked(copies ? TouchedSessions : _sessions);
        var touched = touchedOnly ? " AND s.touched = 1" : untouchedDays is not null ? " AND s.touched = 0" + DayList("s.day", untouchedDays, parameters) : string.Empty;
        var sessionsTable = copies ? $"{TouchedSessions} s" : touchedOnly ? $"{_sessions} s {_t.Dialect.IndexHint(_t.Prefix + "rollup_sessions_touched")}" : $"{_sessions} s";
        var sessionBase = $" FROM {sessionsTable} {linked} WHERE s.site_id = @site_id AND s.day >= @first AND s.day < @end{touched}";
        // The touched visitors: from their session-hit rows (the partial index on touched rows) to their sessions.
        var touchedHits = touchedOnly ? TouchedHitBase(plan.HasEventCondition, linked) : null;
        var hitBase = touchedHits is not null ? touchedHits
            : plan.HasEventCondition && !touchedOnly
            ? $" FROM {_hits} h JOIN {_sessions} s ON s.site_id = h.site_id AND s.day = h.day AND s.vid = h.vid AND s.start_ms = h.start_ms {linked}" +
              $" WHERE h.site_id = @site_id AND h.day >= @first AND h.day < @end{touched}{(untouchedDays is null ? string.Empty : DayList("h.day", untouchedDays, parameters))}"
            : $" FROM {sessionsTable} {linked} CROSS JOIN {_hits} h WHERE s.site_id = @site_id AND s.day >= @first AND s.day < @end{touched}" +
              // With a page condition (a page segment's touched rows), "s.day + 0": SQLite carries s.day's range over to
              // h.day through a plain equality and then seeks the path index by that range for every session (40 s for
              // the 30-day entry pages under a page filter at 2 M hits) instead of by (path, day, vid, start).
              $" AND h.site_id = s.site_id AND h.day = s.day{(plan.HasEventCondition ? " + 0" : string.Empty)} AND h.vid = s.vid AND h.start_ms = s.start_ms";
        var rDay = $"CASE WHEN {Absorbed} THEN s.day - 1 ELSE s.day END";
        var rPv = $"(s.pv + CASE WHEN {Absorbed} THEN s.t_pv WHEN {Swallows} THEN n.pv ELSE 0 END)";
        var rN = $"(s.n + CASE WHEN {Absorbed} THEN s.t_n WHEN {Swallows} THEN n.n ELSE 0 END)";
        var rEnd = $"CASE WHEN {Swallows} THEN n.end_ms ELSE s.end_ms END";

        // With stale days at the end, only the sessions starting before `cut` (with what they absorb of day `cut`) and
        // the hits of the days before it are the stored rows' to count.
        var cutting = cut < endDay;
        var cutHits = cutting ? (sessionDriven ? " AND s.day < @cut" : " AND h.day < @cut") : string.Empty;
        var cutSessions = cutting ? (sessionDriven ? " AND s.day < @cut" : $" AND {rDay} < @cut") : string.Empty;

        if (plan.EventMode)
        {
            var column = plan.Dimension == HitDimension.Page ? "h.path" : plan.Dimension == HitDimension.EventName ? "h.event_name" : "h.hostname";
            var sql = $"SELECT {column} AS g, COUNT(DISTINCT h.vid), SUM(h.pv), SUM(h.n){hitBase}{cutHits} AND {filter} GROUP BY {column}";
            await ReadAsync(connection, sql, parameters, (reader, c) =>
            {
                var key = reader.GetString(0);
                c.EvVisitors = Long(reader, 1);
                c.EvPv = Long(reader, 2);
                c.EvN = Long(reader, 3);
                values[key] = c;
            }, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (plan.VisitMode)
        {
            var value = VisitValue(plan.Dimension!);
            if (!sessionDriven && !_t.GroupValuesInSql)
            {
                // Driven by the hits: one row per kept (page, name, host) row of a matching session, folded into merged
                // sessions here rather than by two GROUP BYs in the database (SessionHitRows; SQLite groups through
                // temporary B-trees, PostgreSQL's hash aggregate is faster than shipping the rows).
                var merged = await ReadSessionHitsAsync(connection, $"SELECT {MergedVid}, {MergedStart}, {rDay}, {value}, {rPv}, {rN}, {rEnd}, h.pv, h.n{hitBase}{cutSessions} AND {filter}",
                    parameters, cancellationToken).ConfigureAwait(false);
                foreach (var (key, c) in merged.ByValue())
                {
                    values[key] = c;
                }

                return;
            }

            var sql = sessionDriven
                ? $"SELECT {value} AS g, COUNT(DISTINCT s.vid), COUNT(*), SUM({rPv}), SUM({rN}), SUM(CASE WHEN {rN} = 1 AND {rPv} = 1 THEN 1 ELSE 0 END)," +
                  $" SUM({rEnd} - s.start_ms), SUM({rPv}){sessionBase} AND NOT {Absorbed}{cutSessions} AND {filter} GROUP BY {value}"
                : "SELECT g, COUNT(DISTINCT rv), COUNT(*), SUM(kpv), SUM(kn), SUM(CASE WHEN rn = 1 AND rpv = 1 THEN 1 ELSE 0 END), SUM(rend - rs), SUM(rpv) FROM" +
                  $" (SELECT {MergedVid} AS rv, {MergedStart} AS rs, MIN({value}) AS g, MIN({rPv}) AS rpv, MIN({rN}) AS rn, MIN({rEnd}) AS rend, SUM(h.pv) AS kpv, SUM(h.n) AS kn" +
                  $"{hitBase}{cutSessions} AND {filter} GROUP BY {MergedVid}, {MergedStart}) x GROUP BY g";
            await ReadAsync(connection, sql, parameters, (reader, c) =>
            {
                c.Visitors = Long(reader, 1);
                c.Visits = Long(reader, 2);
                c.KeptPv = Long(reader, 3);
                c.KeptN = Long(reader, 4);
                c.Bounces = Long(reader, 5);
                c.DurationMs = Long(reader, 6);
                c.SessionPv = Long(reader, 7);
                values[reader.GetString(0)] = c;
            }, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Totals or a time series: event metrics over the kept hits by their own day, session metrics over the
        // sessions by their start.
        string Bucket(string day) =>
            plan.Dimension is null ? "0"
            : plan.Dimension == HitDimension.Day ? day
            : plan.Dimension == HitDimension.Week ? $"(({day} + 3) / 7)"
            : _t.Dialect.MonthNumber(day);
        string GroupBy(string expression) => plan.Dimension is null ? string.Empty : $" GROUP BY {expression}";

        // With conditions on pages, names and hosts only, which hits are kept does not depend on their sessions: they are
        // counted from the session-hit rows alone (through the covering path index), without joining the sessions.
        var hitsOnly = !sessionDriven && !touchedOnly && untouchedDays is null && plan.Filter is not null && !plan.Behavioral && !plan.Filter.Conditions().Any(c => c.Dimension.IsVisit);
        var eventBase = hitsOnly ? $" FROM {_hits} h WHERE h.site_id = @site_id AND h.day >= @first AND h.day < @end" : hitBase;
        var eventSql = sessionDriven
            ? $"SELECT {Bucket("s.day")} AS g, COUNT(DISTINCT s.vid), SUM(s.pv), SUM(s.n){sessionBase}{cutHits} AND {filter}{GroupBy(Bucket("s.day"))}"
            : $"SELECT {Bucket("h.day")} AS g, COUNT(DISTINCT h.vid), SUM(h.pv), SUM(h.n){eventBase}{cutHits} AND {filter}{GroupBy(Bucket("h.day"))}";
        await ReadAsync(connection, eventSql, parameters, (reader, _) =>
        {
            var key = Long(reader, 0);
            groups.TryGetValue(key, out var c);
            c.EvVisitors = Long(reader, 1);
            c.EvPv = Long(reader, 2);
            c.EvN = Long(reader, 3);
            c.HasEvents = c.EvN > 0;
            groups[key] = c;
        }, cancellationToken).ConfigureAwait(false);
        if (query.Metrics.Any(m => m.IsSessionMetric()) && !sessionDriven && !_t.GroupValuesInSql)
        {
            var merged = await ReadSessionHitsAsync(connection, $"SELECT {MergedVid}, {MergedStart}, {rDay}, '', {rPv}, {rN}, {rEnd}, h.pv, h.n{hitBase}{cutSessions} AND {filter}",
                parameters, cancellationToken).ConfigureAwait(false);
            foreach (var (key, counts) in merged.ByBucket(plan.Dimension))
            {
                groups.TryGetValue(key, out var c);
                c.Visits = counts.Visits;
                c.Bounces = counts.Bounces;
                c.DurationMs = counts.DurationMs;
                c.SessionPv = counts.SessionPv;
                groups[key] = c;
            }
        }
        else if (query.Metrics.Any(m => m.IsSessionMetric()))
        {
            var sessionSql = sessionDriven
                ? $"SELECT {Bucket("s.day")} AS g, COUNT(*), SUM(CASE WHEN {rN} = 1 AND {rPv} = 1 THEN 1 ELSE 0 END), SUM({rEnd} - s.start_ms), SUM({rPv})" +
                  $"{sessionBase} AND NOT {Absorbed}{cutSessions} AND {filter}{GroupBy(Bucket("s.day"))}"
                : $"SELECT {Bucket("rd")} AS g, COUNT(*), SUM(CASE WHEN rn = 1 AND rpv = 1 THEN 1 ELSE 0 END), SUM(rend - rs), SUM(rpv) FROM" +
                  $" (SELECT {MergedVid} AS rv, {MergedStart} AS rs, MIN({rDay}) AS rd, MIN({rPv}) AS rpv, MIN({rN}) AS rn, MIN({rEnd}) AS rend" +
                  $"{hitBase}{cutSessions} AND {filter} GROUP BY {MergedVid}, {MergedStart}) x{GroupBy(Bucket("rd"))}";
            await ReadAsync(connection, sessionSql, parameters, (reader, _) =>
            {
                var key = Long(reader, 0);
                groups.TryGetValue(key, out var c);
                c.Visits = Long(reader, 1);
                c.Bounces = Long(reader, 2);
                c.DurationMs = Long(reader, 3);
                c.SessionPv = Long(reader, 4);
                groups[key] = c;
            }, cancellationToken).ConfigureAwait(false);
        }
    }

    // The next day's linked row n of session row s (its continuation), read from `table`: see ReadStoredAsync.
    private string Linked(string table) =>
        $"LEFT JOIN (SELECT site_id, day, t_vid, t_start, pv, n, end_ms, exit_path FROM {table} {_t.Dialect.IndexHint(_t.Prefix + "rollup_sessions_linked")} WHERE t_vid IS NOT NULL) n" +
        " ON n.site_id = s.site_id AND n.day = s.day + 1 AND n.t_vid = s.nx_vid AND n.t_start = s.start_ms AND s.day + 1 < @end AND n.t_vid IS NOT NULL";

    // has_done / has_not_done: whether the merged session of row s (its key as in ReadStoredAsync) is among those with a
    // session-hit row of the range passing the inner filter, found by an uncorrelated subquery (evaluated once per
    // statement). A session-hit row is a (page, name, host) group of one session's hits, so an event condition judges
    // it as it would each hit; a visit condition judges the merged session's values. Only ReadStoredAsync's statements
    // (parameters site_id, first, end) get here: a behavioural filter has no segment or page-segment route, and a range
    // with days waiting for a rebuild takes the raw path (SessionRollupPlan.Behavioral).
    private string BehavioralSql(HitFilterHasDone done, DynamicParameters parameters, ref int counter)
    {
        var inner = FilterSql(done.Filter, parameters, ref counter);
        var sessions = $"SELECT {MergedVid} AS r_vid, {MergedStart} AS r_start FROM {_hits} h" +
                       $" JOIN {_sessions} s ON s.site_id = h.site_id AND s.day = h.day AND s.vid = h.vid AND s.start_ms = h.start_ms {Linked(_sessions)}" +
                       $" WHERE h.site_id = @site_id AND h.day >= @first AND h.day < @end AND {inner}";
        return done.Negated ? _t.Dialect.NotAmongRows(MergedVid, MergedStart, sessions) : $"(({MergedVid}, {MergedStart}) IN ({sessions}))";
    }

    // Reads rows of (merged visitor, merged start, merged day, group value, merged pageviews, merged events, merged end,
    // kept pageviews, kept events), one per kept session-hit row, and folds them into merged sessions.
    private static async ValueTask<SessionHitRows> ReadSessionHitsAsync(DbConnection connection, string sql, DynamicParameters parameters, CancellationToken cancellationToken)
    {
        var rows = new SessionHitRows();
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(Long(reader, 0), Long(reader, 1), Long(reader, 2), reader.GetString(3), Long(reader, 4), Long(reader, 5), Long(reader, 6), Long(reader, 7), Long(reader, 8));
        }

        return rows;
    }

    private static async ValueTask ReadAsync(DbConnection connection, string sql, DynamicParameters parameters, Action<DbDataReader, Counts> read, CancellationToken cancellationToken)
    {
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            read(reader, default);
        }
    }

    private static AggregateResult Result(HitQuery query, SessionRollupPlan plan, Dictionary<string, Counts> groups)
    {
        var rows = groups.Select(g => (Key: g.Key, Metrics: query.Metrics.Select(m => Metric(m, plan, g.Value)).ToArray())).ToList();
        if (query.Dimensions.Count == 0 && rows.Count == 0)
        {
            rows.Add((string.Empty, query.Metrics.Select(_ => 0d).ToArray()));
        }

        IEnumerable<(string Key, double[] Metrics)> ordered = plan.Dimension is { IsTime: true }
            ? rows.OrderBy(r => r.Key, Utf8OrdinalComparer.Instance)
            : rows.OrderByDescending(r => r.Metrics[0]).ThenBy(r => r.Key, Utf8OrdinalComparer.Instance);
        ordered = ordered.Skip(query.Offset);
        if (query.Limit is { } limit)
        {
            ordered = ordered.Take(limit);
        }

        return new AggregateResult(ordered.Select(r => new AggregateRow(query.Dimensions.Count == 0 ? [] : [r.Key], r.Metrics)).ToList());
    }

    private static double Metric(HitMetric metric, SessionRollupPlan plan, Counts c)
    {
        var visits = c.Visits;
        return metric switch
        {
            HitMetric.Visitors => plan.VisitMode ? c.Visitors : c.EvVisitors,
            HitMetric.Pageviews => plan.VisitMode ? c.KeptPv : c.EvPv,
            HitMetric.Events => plan.VisitMode ? c.KeptN : c.EvN,
            HitMetric.Visits => visits,
            HitMetric.BounceRate => visits == 0 ? 0 : ((200 * c.Bounces) + visits) / (2 * visits),
            HitMetric.VisitDuration => visits == 0 ? 0 : (c.DurationMs + (500 * visits)) / (1000 * visits),
            HitMetric.ViewsPerVisit => visits == 0 ? 0 : (((200 * c.SessionPv) + visits) / (2 * visits)) / 100.0,
            _ => throw new HitQueryException("metrics", $"Unsupported metric {metric}."),
        };
    }

    private static string TimeLabel(HitDimension dimension, long bucket)
    {
        var day = dimension == HitDimension.Day ? TimeZoneSegments.DayNumberToDate(bucket)
            : dimension == HitDimension.Week ? TimeZoneSegments.DayNumberToDate((bucket * 7) - 3)
            : new DateOnly((int)(bucket / 12), (int)(bucket % 12) + 1, 1);
        return day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    // The value of a visit dimension for the merged session of row s (with its continuation n).
    private static string VisitValue(HitDimension dimension)
    {
        if (dimension == HitDimension.EntryPage)
        {
            return $"CASE WHEN {Absorbed} THEN s.t_entry_path ELSE s.entry_path END";
        }

        if (dimension == HitDimension.ExitPage)
        {
            return $"CASE WHEN {Swallows} THEN n.exit_path ELSE s.exit_path END";
        }

        var i = Array.IndexOf(RollupDimensions.Attributes, dimension);
        return i < 0
            ? throw new HitQueryException("dimensions", $"Unsupported dimension {dimension.Name}.")
            : string.Create(CultureInfo.InvariantCulture, $"CASE WHEN {Absorbed} THEN s.t_a{i} ELSE s.a{i} END");
    }

    private static string Column(HitDimension dimension) =>
        dimension == HitDimension.Page ? "h.path"
        : dimension == HitDimension.EventName ? "h.event_name"
        : dimension == HitDimension.Hostname ? "h.hostname"
        : VisitValue(dimension);

    // As HitQuerySql's filter, over stored values that are never NULL (so an equality can use an index).
    private string FilterSql(HitFilter filter, DynamicParameters parameters, ref int counter)
    {
        switch (filter)
        {
            case HitFilterCondition condition:
                var value = Column(condition.Dimension);
                var regex = condition.Operator is HitFilterOperator.Matches or HitFilterOperator.MatchesNot;
                var fold = condition.IgnoreCase && !regex;
                if (fold)
                {
                    value = _t.Dialect.FoldAsciiCase(value);
                }

                var names = new List<string>();
                var tests = new List<string>();
                foreach (var v in condition.Values)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"f{counter++}");
                    var pattern = regex ? QueryRegex.Parse(v) : null;
                    parameters.Add(name, pattern is not null ? _t.Dialect.RegexPatternValue(pattern) : fold ? HitFilterCondition.FoldAsciiCase(v) : v);
                    names.Add("@" + name);
                    if (pattern is null)
                    {
                        continue;
                    }

                    var test = _t.Dialect.RegexMatch(value, "@" + name);
                    if (condition.Dimension == HitDimension.Page && pattern.LiteralPrefix is { } prefix)
                    {
                        // The pattern's fixed start as a range of the path index (byte order on both stores: BINARY /
                        // COLLATE "C"), so a page goal such as ^/blog/.*$ reads its pages' rows rather than testing every
                        // row of the range; the pattern still decides.
                        parameters.Add(name + "lo", prefix);
                        parameters.Add(name + "hi", prefix[..^1] + (char)(prefix[^1] + 1));
                        test = $"({value} >= @{name}lo AND {value} < @{name}hi AND {test})";
                    }

                    tests.Add(test);
                }

                return condition.Operator switch
                {
                    HitFilterOperator.Matches => "(" + string.Join(" OR ", tests) + ")",
                    HitFilterOperator.MatchesNot => "(NOT (" + string.Join(" OR ", tests) + "))",
                    HitFilterOperator.Is => $"({value} IN ({string.Join(", ", names)}))",
                    HitFilterOperator.IsNot => $"({value} NOT IN ({string.Join(", ", names)}))",
                    HitFilterOperator.Contains => "(" + string.Join(" OR ", names.Select(n => _t.Dialect.Contains(value, n))) + ")",
                    HitFilterOperator.ContainsNot => "(NOT (" + string.Join(" OR ", names.Select(n => _t.Dialect.Contains(value, n))) + "))",
                    _ => throw new HitQueryException("filters", $"Unknown operator {condition.Operator}."),
                };
            case HitFilterAnd and:
                var andParts = new List<string>();
                foreach (var child in and.Filters)
                {
                    andParts.Add(FilterSql(child, parameters, ref counter));
                }

                return "(" + string.Join(" AND ", andParts) + ")";
            case HitFilterOr or:
                var orParts = new List<string>();
                foreach (var child in or.Filters)
                {
                    orParts.Add(FilterSql(child, parameters, ref counter));
                }

                return "(" + string.Join(" OR ", orParts) + ")";
            case HitFilterNot not:
                return "(NOT " + FilterSql(not.Filter, parameters, ref counter) + ")";
            case HitFilterHasDone done:
                return BehavioralSql(done, parameters, ref counter);
            default:
                throw new HitQueryException("filters", "Unknown filter.");
        }
    }

    /// <summary>What one group adds up to: event counts over kept hits, session counts over matching sessions.</summary>
    internal struct Counts
    {
        public long EvVisitors;
        public long EvPv;
        public long EvN;
        public bool HasEvents;
        public long Visitors;
        public long Visits;
        public long KeptPv;
        public long KeptN;
        public long Bounces;
        public long DurationMs;
        public long SessionPv;
    }
}

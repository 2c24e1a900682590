// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using System.Diagnostics;
using Dapper;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Live days (migration SQLite 0019 / PostgreSQL 0017, <c>rollup_live_days</c>): a site's latest day with hits keeps no
/// segment rows (<c>rollup_segment_events</c>, <c>rollup_segment_visits</c>) and no page-segment rows
/// (<c>rollup_page_days</c>, <c>rollup_page_visits</c>). Those rows were about 94 % of the keys the incremental upkeep
/// wrote per new hit (docs/performance.md, "Upkeep, round 9"); for one day a segment- or page-filtered query takes the
/// day from its session rows instead (the session route, cheap for a day). A whole rebuild of the latest day lists it
/// here and writes neither; the upkeep applies no deltas to them while the day is listed. Once a later day has hits,
/// the rollup worker derives the day's rows from its stored session rows (<see cref="SettleLiveDaysAsync"/>) and
/// removes the day from the list in the same transaction. A day that is not listed has exact segment rows, whoever
/// wrote them; a listed day has none, and a query reads none of them.
/// </content>
internal sealed partial class SessionRollups
{
    // Sessions read per statement while a live day is settled (one visitor's sessions are never split).
    private const int SettleChunkSessions = 20_000;

    private string LiveDays => _t.Prefix + "rollup_live_days";

    /// <summary>How long one pass of the rollup worker may spend settling live days (at least one day per pass). Default: 2 s.</summary>
    internal TimeSpan SettleTimePerPass { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Days whose segment and page-segment rows were derived from their session rows since this instance was created (tests read it).</summary>
    internal int LiveDaysSettled { get; private set; }

    /// <summary>Lists <paramref name="day"/> as live (its segment and page-segment rows not kept) inside <paramref name="transaction"/>.</summary>
    private async ValueTask MarkLiveAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, CancellationToken cancellationToken) =>
        await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM {LiveDays} WHERE site_id = @site_id AND day = @day; INSERT INTO {LiveDays} (site_id, day) VALUES (@site_id, @day)",
            new { site_id = siteId, day }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);

    /// <summary>Whether <paramref name="day"/> is listed as live: the upkeep then keeps no segment or page-segment rows for it.</summary>
    public async ValueTask<bool> IsLiveAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, CancellationToken cancellationToken) =>
        await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM {LiveDays} WHERE site_id = @site_id AND day = @day", new { site_id = siteId, day }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) > 0;

    /// <summary>The site's live days, ascending.</summary>
    public async ValueTask<List<long>> LiveDaysAsync(DbConnection connection, DbTransaction? transaction, string siteId, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<long>(new CommandDefinition(
            $"SELECT day FROM {LiveDays} WHERE site_id = @site_id", new { site_id = siteId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).Order().ToList();

    /// <summary>
    /// Derives the segment and page-segment rows of the live days before <paramref name="latestDay"/> (the site's latest
    /// day with hits) from their stored session rows, oldest first, within <see cref="SettleTimePerPass"/> (at least one
    /// day). Returns the days done.
    /// </summary>
    public async ValueTask<List<long>> SettleLiveDaysAsync(DbConnection connection, string siteId, long latestDay, CancellationToken cancellationToken)
    {
        var done = new List<long>();
        var started = Stopwatch.GetTimestamp();
        foreach (var day in await LiveDaysAsync(connection, null, siteId, cancellationToken).ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (day >= latestDay || (done.Count > 0 && Stopwatch.GetElapsedTime(started) > SettleTimePerPass))
            {
                break;
            }

            if (await SettleDayAsync(connection, siteId, day, cancellationToken).ConfigureAwait(false))
            {
                done.Add(day);
            }
        }

        LiveDaysSettled += done.Count;
        return done;
    }

    /// <summary>
    /// One live day: its untouched sessions and their folded hits read a chunk of visitors at a time (memory bounded by
    /// the day's distinct row keys, not its sessions), summed as the upkeep sums a visitor's contribution (the same
    /// counting as a whole rebuild's writers), written in one transaction that also removes the day from the live list.
    /// Nothing is written when the day's rows changed meanwhile (its upkeep mark moved, or it is no longer listed).
    /// </summary>
    private async ValueTask<bool> SettleDayAsync(DbConnection connection, string siteId, long day, CancellationToken cancellationToken)
    {
        var key = new { site_id = siteId, day };
        var markSql = $"SELECT seq FROM {_t.Prefix}rollup_upkeep WHERE site_id = @site_id AND day = @day";
        var mark = await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(markSql, key, cancellationToken: cancellationToken)).ConfigureAwait(false);

        // The pages with enough untouched sessions for page rows (SessionRollups.PageSegments.cs: MinPageSessions).
        var covered = new HashSet<string>(await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT path FROM (SELECT DISTINCT h.path, h.vid, h.start_ms FROM {_hits} h JOIN {_sessions} s" +
            " ON s.site_id = h.site_id AND s.day = h.day AND s.vid = h.vid AND s.start_ms = h.start_ms" +
            " WHERE h.site_id = @site_id AND h.day = @day AND s.touched = 0) p GROUP BY path HAVING COUNT(*) >= @min",
            new { site_id = siteId, day, min = (long)MinPageSessions }, cancellationToken: cancellationToken)).ConfigureAwait(false), StringComparer.Ordinal);
        var delta = new UpkeepDelta { CoveredPages = covered, SegmentsOnly = true };
        var sessions = new List<UpkeepSession>();
        var byKey = new Dictionary<(long, long), UpkeepSession>();
        long? from = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Visitors [from, to): the first SettleChunkSessions sessions' visitors, cut before the visitor at that offset.
            var lower = from is null ? string.Empty : " AND vid >= @from";
            var to = await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
                $"SELECT vid FROM {_sessions} WHERE site_id = @site_id AND day = @day AND touched = 0{lower} ORDER BY vid LIMIT 1 OFFSET @offset",
                new { site_id = siteId, day, from = from ?? 0, offset = (long)SettleChunkSessions }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (to is { } t && t == from)
            {
                // One visitor with more sessions than a chunk: that visitor alone.
                to = await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
                    $"SELECT MIN(vid) FROM {_sessions} WHERE site_id = @site_id AND day = @day AND touched = 0 AND vid > @from",
                    new { site_id = siteId, day, from = t }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            var range = lower + (to is null ? string.Empty : " AND vid < @to");
            var parameters = new { site_id = siteId, day, from = from ?? 0, to = to ?? 0 };
            sessions.Clear();
            byKey.Clear();
            await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
                             $"SELECT {UpkeepSessionColumns} FROM {_sessions} WHERE site_id = @site_id AND day = @day AND touched = 0{range} ORDER BY vid, start_ms",
                             parameters, cancellationToken: cancellationToken)).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var s = ReadUpkeepSession(reader, withLinks: false);
                    sessions.Add(s);
                    byKey[(s.VisitorId, s.Start)] = s;
                }
            }

            if (sessions.Count > 0)
            {
                await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
                                 $"SELECT vid, start_ms, path, event_name, hostname, pv, n FROM {_hits} WHERE site_id = @site_id AND day = @day{range}",
                                 parameters, cancellationToken: cancellationToken)).ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        if (byKey.TryGetValue((reader.GetInt64(0), reader.GetInt64(1)), out var s))
                        {
                            s.Hits.Add(new UpkeepHit
                            {
                                Path = reader.GetString(2), EventName = reader.GetString(3), Hostname = reader.GetString(4), Pageviews = reader.GetInt64(5), Events = reader.GetInt64(6),
                            });
                        }
                    }
                }

                // One visitor's sessions at a time (read in that order): a visitor counts once per row.
                for (var start = 0; start < sessions.Count;)
                {
                    var end = start + 1;
                    while (end < sessions.Count && sessions[end].VisitorId == sessions[start].VisitorId)
                    {
                        end++;
                    }

                    AddContribution(delta, sessions.GetRange(start, end - start), false, 1);
                    start = end;
                }
            }

            if (to is null)
            {
                break;
            }

            from = to;
        }

        sessions.Clear();
        byKey.Clear();
        var segmentEvents = delta.SegmentEvents;
        var segmentVisits = delta.SegmentVisits;
        await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
        // Still live and unchanged: no pass rewrote or extended the day's session rows since they were read.
        if (!await IsLiveAsync(connection, transaction, siteId, day, cancellationToken).ConfigureAwait(false) ||
            await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(markSql, key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) != mark)
        {
            return false;
        }

        foreach (var table in new[] { _segmentEvents, _segmentVisits, PageDays, PageVisits, PageBackfill, LiveDays })
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {table} WHERE site_id = @site_id AND day = @day", key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await DeletePageBlocksOfDayAsync(connection, transaction, siteId, day, null, cancellationToken).ConfigureAwait(false);
        await WriteSegmentRowsAsync(connection, transaction, siteId, day, segmentEvents, segmentVisits, cancellationToken).ConfigureAwait(false);
        if (covered.Count > 0)
        {
            await WritePageRowsAsync(connection, transaction, siteId, day, covered, delta.PageVisits, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Writes one day's segment rows (the day has none) from summed keys, in key order.</summary>
    private async ValueTask WriteSegmentRowsAsync(DbConnection connection, DbTransaction transaction, string siteId, long day,
        Dictionary<SegmentKey, long[]> events, Dictionary<SegmentKey, long[]> visits, CancellationToken cancellationToken)
    {
        foreach (var (table, columns, types, rows) in new[] { (_segmentEvents, SegmentEventColumns, SegmentEventTypes, events), (_segmentVisits, SegmentVisitColumns, SegmentVisitTypes, visits) })
        {
            var insert = new RollupRows(table, columns, types, Math.Clamp(rows.Count, 1, ChunkRows));
            foreach (var (k, values) in Sorted(rows))
            {
                if (values[0] == 0)
                {
                    continue; // no visitor: a key every contribution of which cancelled (none are subtracted here)
                }

                var r = await insert.AddAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
                insert.Set(r, 0, siteId);
                insert.Set(r, 1, day);
                insert.Set(r, 2, k.Fdim);
                insert.Set(r, 3, k.Fvalue);
                insert.Set(r, 4, k.Dim);
                insert.Set(r, 5, k.Value);
                for (var i = 0; i < values.Length; i++)
                {
                    insert.Set(r, 6 + i, values[i]);
                }
            }

            await insert.FlushAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// A segment query's live days in [<paramref name="firstDay"/>, <paramref name="cut"/>): the days whose untouched
    /// visitors the session route answers for (they have no segment rows). Null when the plan has no segment or no day
    /// of the range is live.
    /// </summary>
    private async ValueTask<List<long>?> LiveSegmentDaysAsync(DbConnection connection, string siteId, SessionRollupPlan plan, long firstDay, long cut, CancellationToken cancellationToken)
    {
        return plan.Segment is null ? null : await ListedDaysAsync(connection, LiveDays, siteId, firstDay, cut, null, cancellationToken).ConfigureAwait(false);
    }
}

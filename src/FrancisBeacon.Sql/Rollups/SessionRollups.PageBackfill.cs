// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using System.Diagnostics;
using Dapper;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// The page-row backfill (migration SQLite 0016 / PostgreSQL 0016): a day rolled up before the page segments existed
/// has session rows but no page rows, so page-filtered queries take the session route for it. The migration lists such
/// days in <c>rollup_page_backfill</c>; the rollup worker derives their page rows from the stored session rows and
/// their folded hits (<c>rollup_sessions</c>, <c>rollup_session_hits</c>) with the upkeep's counting
/// (<see cref="AddPageContribution"/>, the same sums a whole rebuild writes), newest day first, one short transaction
/// per day, a bounded time per pass. A day rebuilt whole meanwhile has its mark deleted with its other rows (the mark
/// table is one of <see cref="TableNames"/>), so the backfill never overwrites newer rows.
/// </content>
internal sealed partial class SessionRollups
{
    private string PageBackfill => _t.Prefix + "rollup_page_backfill";

    /// <summary>How long one pass of the rollup worker may spend on the backfill (at least one day is done per pass). Default: 2 s.</summary>
    internal TimeSpan PageBackfillTimePerPass { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>At most this many days are backfilled per pass. Default: 64.</summary>
    internal int PageBackfillDaysPerPass { get; set; } = 64;

    /// <summary>Days whose page rows the backfill wrote (or found to need none) since this instance was created.</summary>
    internal int PageDaysBackfilled { get; private set; }

    /// <summary>Backfills the newest days waiting in <c>rollup_page_backfill</c>, within the per-pass bounds. Returns the number of days done.</summary>
    private async ValueTask<int> BackfillPagesAsync(DbConnection connection, string siteId, CancellationToken cancellationToken)
    {
        var pending = (await connection.QueryAsync<long>(new CommandDefinition(
            $"SELECT day FROM {PageBackfill} WHERE site_id = @site_id ORDER BY day DESC LIMIT @take",
            new { site_id = siteId, take = (long)PageBackfillDaysPerPass }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        var started = Stopwatch.GetTimestamp();
        var done = 0;
        foreach (var day in pending)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (done > 0 && Stopwatch.GetElapsedTime(started) > PageBackfillTimePerPass)
            {
                break;
            }

            await BackfillPageDayAsync(connection, siteId, day, cancellationToken).ConfigureAwait(false);
            done++;
        }

        PageDaysBackfilled += done;
        return done;
    }

    /// <summary>Derives one day's page rows from its stored untouched sessions and writes them with the day's mark deleted, in one transaction.</summary>
    private async ValueTask BackfillPageDayAsync(DbConnection connection, string siteId, long day, CancellationToken cancellationToken)
    {
        var key = new { site_id = siteId, day };
        var sessions = new List<UpkeepSession>();
        var byKey = new Dictionary<(long, long), UpkeepSession>();
        await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            $"SELECT {UpkeepSessionColumns} FROM {_sessions} WHERE site_id = @site_id AND day = @day AND touched = 0 ORDER BY vid, start_ms",
            key, cancellationToken: cancellationToken)).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var s = ReadUpkeepSession(reader, withLinks: false);
                sessions.Add(s);
                byKey[(s.VisitorId, s.Start)] = s;
            }
        }

        // The pages with enough untouched sessions (a session's folded hits name each of its pages once per event name
        // and host: counted once per session).
        var sessionsPerPage = new Dictionary<string, int>(StringComparer.Ordinal);
        if (sessions.Count > 0)
        {
            await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
                $"SELECT vid, start_ms, path, event_name, hostname, pv, n FROM {_hits} WHERE site_id = @site_id AND day = @day",
                key, cancellationToken: cancellationToken)).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (byKey.TryGetValue((reader.GetInt64(0), reader.GetInt64(1)), out var s))
                {
                    var path = reader.GetString(2);
                    if (!s.Hits.Exists(h => string.Equals(h.Path, path, StringComparison.Ordinal)))
                    {
                        sessionsPerPage[path] = sessionsPerPage.GetValueOrDefault(path) + 1;
                    }

                    s.Hits.Add(new UpkeepHit
                    {
                        Path = path, EventName = reader.GetString(3), Hostname = reader.GetString(4), Pageviews = reader.GetInt64(5), Events = reader.GetInt64(6),
                    });
                }
            }
        }

        var delta = new UpkeepDelta
        {
            CoveredPages = new HashSet<string>(sessionsPerPage.Where(p => p.Value >= MinPageSessions).Select(p => p.Key), StringComparer.Ordinal),
        };
        if (delta.CoveredPages.Count > 0)
        {
            // One visitor's sessions at a time (ordered so): a visitor counts once per row.
            for (var start = 0; start < sessions.Count;)
            {
                var end = start + 1;
                while (end < sessions.Count && sessions[end].VisitorId == sessions[start].VisitorId)
                {
                    end++;
                }

                AddPageContribution(delta, sessions.GetRange(start, end - start), false, 1);
                start = end;
            }
        }

        await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
        // Still waiting: nothing rewrote the day since the mark was read (only the rollup worker writes these rows).
        if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                $"SELECT COUNT(*) FROM {PageBackfill} WHERE site_id = @site_id AND day = @day", key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false) == 0)
        {
            return;
        }

        foreach (var table in new[] { PageDays, PageVisits, PageBackfill })
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {table} WHERE site_id = @site_id AND day = @day", key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await DeletePageBlocksOfDayAsync(connection, transaction, siteId, day, null, cancellationToken).ConfigureAwait(false);
        if (delta.CoveredPages.Count > 0)
        {
            await WritePageRowsAsync(connection, transaction, siteId, day, delta.CoveredPages, delta.PageVisits, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}

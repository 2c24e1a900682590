// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using System.Globalization;
using Dapper;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Segment blocks (migration SQLite 0013 / PostgreSQL 0013): the segment rows (<c>rollup_segment_events</c>,
/// <c>rollup_segment_visits</c>) summed per calendar month and ISO week (from the day rows) and per aligned run of 2, 4
/// and 8 months (from the month blocks), keyed <c>(site_id, first_day, end_day, fdim, fvalue, dim, value)</c>. Segment
/// rows count the untouched visitors only, whose sessions are never merged across midnight, so a block is a plain sum of
/// its days: there is nothing to correct, unlike the day rollups' months and blocks.
/// </content>
/// <remarks>
/// <para>
/// A block is built once it is <em>complete</em>: its last day lies before the site's latest day with hits (the current
/// week, month and runs of months change on every pass of the rollup worker and no range that ends today can use them;
/// building them on every pass would read a month of segment rows every few seconds). Until then it is listed with
/// <c>ready = 0</c>. A rebuilt day marks its blocks again (their rows deleted); complete ones are rebuilt in the same
/// pass, before the dirty marks are cleared, so a query never reads a block with a stale day (a query only reads ready
/// blocks inside the clean days of its range).
/// </para>
/// </remarks>
internal sealed partial class SessionRollups
{
    private string SegmentBlockEvents => _t.Prefix + "rollup_segment_block_events";

    private string SegmentBlockVisits => _t.Prefix + "rollup_segment_block_visits";

    private string SegmentBlocks => _t.Prefix + "rollup_segment_blocks";

    private string SegmentBlockSites => _t.Prefix + "rollup_segment_block_sites";

    /// <summary>The segment blocks holding <paramref name="day"/>: its ISO week, its calendar month and its aligned runs of 2, 4 and 8 months.</summary>
    internal static IEnumerable<(long First, long End)> SegmentBlocksOf(long day) => HitRollups.BlocksOf(day).Append(HitRollups.MonthOf(day));

    // Weeks are the only 7-day blocks (months have 28 days or more).
    private static bool IsSegmentWeek((long First, long End) block) => block.End - block.First == 7;

    private static bool IsSegmentMonth((long First, long End) block) => block.End - block.First is >= 28 and <= 31;

    /// <summary>Drops a site's segment blocks (its rollups are being rebuilt from scratch).</summary>
    public async ValueTask DeleteSiteSegmentBlocksAsync(DbConnection connection, DbTransaction transaction, string siteId, CancellationToken cancellationToken)
    {
        foreach (var table in new[] { SegmentBlockEvents, SegmentBlockVisits, SegmentBlocks, SegmentBlockSites })
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {table} WHERE site_id = @site_id", new { site_id = siteId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Drops the segment blocks overlapping days <paramref name="first"/> to <paramref name="last"/> (a purge; the days
    /// at its edges are rebuilt by the next pass, which lists their blocks again).
    /// </summary>
    public async ValueTask DeletePurgedSegmentBlocksAsync(DbConnection connection, DbTransaction transaction, string siteId, long first, long last, CancellationToken cancellationToken)
    {
        var blocks = (await connection.QueryAsync<(long First, long End)>(new CommandDefinition(
            $"SELECT first_day, end_day FROM {SegmentBlocks} WHERE site_id = @site_id AND first_day <= @last AND end_day > @first",
            new { site_id = siteId, first, last }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        foreach (var block in blocks)
        {
            await DeleteSegmentBlockAsync(connection, transaction, siteId, block, cancellationToken).ConfigureAwait(false);
            await _t.OfferSplitAsync(transaction, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Drops the segment blocks starting before <paramref name="firstDay"/> (raw-hit retention: their day rows are gone).</summary>
    public async ValueTask DeleteSegmentBlocksBeforeAsync(DbConnection connection, DbTransaction transaction, string siteId, long firstDay, CancellationToken cancellationToken)
    {
        foreach (var table in new[] { SegmentBlockEvents, SegmentBlockVisits, SegmentBlocks })
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {table} WHERE site_id = @site_id AND first_day < @first_day", new { site_id = siteId, first_day = firstDay }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Brings the segment blocks holding <paramref name="days"/> (days just rebuilt) up to date: complete blocks are
    /// rebuilt, the others listed as waiting; blocks waiting from earlier passes that are complete now are built. When
    /// the site's blocks were never built (a database migrated from day-only segment rows, or a first build), lists every
    /// block its segment rows cover. Returns the number of blocks built.
    /// </summary>
    public async ValueTask<int> RefreshSegmentBlocksAsync(DbConnection connection, string siteId, IEnumerable<long> days, CancellationToken cancellationToken)
    {
        var key = new { site_id = siteId };
        var blocks = new SortedSet<(long First, long End)>(days.SelectMany(SegmentBlocksOf));
        var built = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM {SegmentBlockSites} WHERE site_id = @site_id", key, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (built == 0)
        {
            await using (var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false))
            {
                await DeleteSiteSegmentBlocksAsync(connection, transaction, siteId, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            var span = await connection.QueryFirstAsync<(long? Min, long? Max)>(new CommandDefinition(
                $"SELECT MIN(day), MAX(day) FROM {_segmentEvents} WHERE site_id = @site_id", key, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (span.Min is { } min && span.Max is { } max)
            {
                for (var d = min; d <= max; d++)
                {
                    blocks.UnionWith(SegmentBlocksOf(d));
                }
            }
        }

        // Complete: the block's last day is before the latest day with hits.
        var latest = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            $"SELECT MAX(day) FROM {_t.Prefix}rollup_events WHERE site_id = @site_id AND dim = 0", key, cancellationToken: cancellationToken)).ConfigureAwait(false) ?? long.MinValue;
        var listed = new Dictionary<(long First, long End), bool>();
        foreach (var (first, end, ready) in await connection.QueryAsync<(long First, long End, long Ready)>(new CommandDefinition(
                     $"SELECT first_day, end_day, ready FROM {SegmentBlocks} WHERE site_id = @site_id", key, cancellationToken: cancellationToken)).ConfigureAwait(false))
        {
            listed[(first, end)] = ready == 1;
            if (ready == 0 && end <= latest)
            {
                blocks.Add((first, end));
            }
        }

        // A block holding a live day (no segment rows yet: SessionRollups.LiveDays.cs) waits until the day is settled.
        var live = await LiveDaysAsync(connection, null, siteId, cancellationToken).ConfigureAwait(false);
        bool Waits((long First, long End) b) => b.End > latest || live.Exists(d => d >= b.First && d < b.End);
        var waiting = blocks.Where(b => Waits(b) && !(listed.TryGetValue(b, out var ready) && !ready)).ToList();
        if (waiting.Count > 0)
        {
            await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
            foreach (var block in waiting)
            {
                await DeleteSegmentBlockAsync(connection, transaction, siteId, block, cancellationToken).ConfigureAwait(false);
                await connection.ExecuteAsync(new CommandDefinition(
                    $"INSERT INTO {SegmentBlocks} (site_id, first_day, end_day, ready) VALUES (@site_id, @first, @end, 0)",
                    new { site_id = siteId, first = block.First, end = block.End }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        // Weeks and months from the day rows first, then the runs of months from the months.
        var complete = blocks.Where(b => !Waits(b)).OrderBy(b => IsSegmentWeek(b) || IsSegmentMonth(b) ? 0 : 1).ThenBy(b => b.End - b.First).ThenBy(b => b.First).ToList();
        foreach (var block in complete)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await BuildSegmentBlockAsync(connection, siteId, block, cancellationToken).ConfigureAwait(false);
        }

        if (built == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {SegmentBlockSites} (site_id) VALUES (@site_id)", key, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        return complete.Count;
    }

    private async ValueTask DeleteSegmentBlockAsync(DbConnection connection, DbTransaction transaction, string siteId, (long First, long End) block, CancellationToken cancellationToken)
    {
        // One range of each table's primary key.
        foreach (var table in new[] { SegmentBlockEvents, SegmentBlockVisits, SegmentBlocks })
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {table} WHERE site_id = @site_id AND first_day = @first AND end_day = @end",
                new { site_id = siteId, first = block.First, end = block.End }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sums a week or a month from the day rows, or a run of months from its months' blocks (a month not listed as
    /// ready has no rows: no day of it was ever rolled up, or it was purged), and lists it as ready. One transaction per
    /// segment dimension: a month of a large site is about 1.6 M day rows (10 M hits a year), and one write transaction
    /// over all of them would hold SQLite's write lock (and the beacon's inserts) for seconds. Until the last one, the
    /// block is listed as waiting, so no query reads its partial rows; an interrupted build is redone by the next pass.
    /// </summary>
    private async ValueTask BuildSegmentBlockAsync(DbConnection connection, string siteId, (long First, long End) block, CancellationToken cancellationToken)
    {
        var parameters = new DynamicParameters();
        parameters.Add("site_id", siteId);
        parameters.Add("first", block.First);
        parameters.Add("end", block.End);
        string eventSource, visitSource;
        if (IsSegmentWeek(block) || IsSegmentMonth(block))
        {
            // One equality range of the day key (site_id, day, fdim, …) per day and dimension.
            var names = new List<string>();
            for (var d = block.First; d < block.End; d++)
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"d{d - block.First}");
                parameters.Add(name, d);
                names.Add("@" + name);
            }

            var where = $" WHERE site_id = @site_id AND day IN ({string.Join(", ", names)}) AND fdim = @fdim";
            eventSource = $"SELECT fdim, fvalue, dim, value, visitors, pageviews, events FROM {_segmentEvents}{where}";
            visitSource = $"SELECT fdim, fvalue, dim, value, visitors, visits, bounces, duration_ms, pageviews, events FROM {_segmentVisits}{where}";
        }
        else
        {
            var months = (await connection.QueryAsync<(long First, long End)>(new CommandDefinition(
                $"SELECT first_day, end_day FROM {SegmentBlocks} WHERE site_id = @site_id AND first_day >= @first AND first_day < @end AND ready = 1",
                parameters, cancellationToken: cancellationToken)).ConfigureAwait(false)).Where(m => IsSegmentMonth(m) && m.End <= block.End).ToList();
            var eventParts = new List<string>();
            var visitParts = new List<string>();
            for (var i = 0; i < months.Count; i++)
            {
                parameters.Add(string.Create(CultureInfo.InvariantCulture, $"mf{i}"), months[i].First);
                parameters.Add(string.Create(CultureInfo.InvariantCulture, $"me{i}"), months[i].End);
                var where = string.Create(CultureInfo.InvariantCulture, $" WHERE site_id = @site_id AND first_day = @mf{i} AND end_day = @me{i} AND fdim = @fdim");
                eventParts.Add($"SELECT fdim, fvalue, dim, value, visitors, pageviews, events FROM {SegmentBlockEvents}{where}");
                visitParts.Add($"SELECT fdim, fvalue, dim, value, visitors, visits, bounces, duration_ms, pageviews, events FROM {SegmentBlockVisits}{where}");
            }

            eventSource = eventParts.Count == 0 ? $"SELECT fdim, fvalue, dim, value, visitors, pageviews, events FROM {SegmentBlockEvents} WHERE 1 = 0" : string.Join(" UNION ALL ", eventParts);
            visitSource = visitParts.Count == 0
                ? $"SELECT fdim, fvalue, dim, value, visitors, visits, bounces, duration_ms, pageviews, events FROM {SegmentBlockVisits} WHERE 1 = 0"
                : string.Join(" UNION ALL ", visitParts);
        }

        await using (var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false))
        {
            await DeleteSegmentBlockAsync(connection, transaction, siteId, block, cancellationToken).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {SegmentBlocks} (site_id, first_day, end_day, ready) VALUES (@site_id, @first, @end, 0)", parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        for (var fdim = 1; fdim <= RollupDimensions.Segment.Length; fdim++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            parameters.Add("fdim", fdim);
            await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
            // Grouped in key order, so the rows are inserted in key order (one new key range, appended).
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {SegmentBlockEvents} (site_id, first_day, end_day, fdim, fvalue, dim, value, visitors, pageviews, events)" +
                $" SELECT @site_id, @first, @end, fdim, fvalue, dim, value, SUM(visitors), SUM(pageviews), SUM(events) FROM ({eventSource}) r" +
                " GROUP BY fdim, fvalue, dim, value ORDER BY fdim, fvalue, dim, value",
                parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {SegmentBlockVisits} (site_id, first_day, end_day, fdim, fvalue, dim, value, visitors, visits, bounces, duration_ms, pageviews, events)" +
                " SELECT @site_id, @first, @end, fdim, fvalue, dim, value, SUM(visitors), SUM(visits), SUM(bounces), SUM(duration_ms), SUM(pageviews), SUM(events)" +
                $" FROM ({visitSource}) r GROUP BY fdim, fvalue, dim, value ORDER BY fdim, fvalue, dim, value",
                parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        // DELETE and INSERT rather than UPDATE: the app's role needs only SELECT, INSERT and DELETE.
        await using (var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {SegmentBlocks} WHERE site_id = @site_id AND first_day = @first AND end_day = @end", parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {SegmentBlocks} (site_id, first_day, end_day, ready) VALUES (@site_id, @first, @end, 1)", parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using System.Text.Json;
using Dapper;
using FrancisBeacon.Querying;
using static FrancisBeacon.Sql.Rollups.RollupReader;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Block rollups (migration SQLite 0009 / PostgreSQL 0008), for the long lists (pages, entry and exit pages): the sums
/// per dimension value of
/// <list type="bullet">
/// <item><b>ISO weeks</b> (7 days from a Monday), summed from the day rows, with the corrections of the links inside
/// the week pre-applied as <c>part = 1</c> rows, exactly as months do: a <c>30d</c> range, which never holds a whole
/// calendar month, reads 3–4 weeks and a few edge days instead of 30 days;</item>
/// <item><b>aligned runs of 2, 4 and 8 calendar months</b> (on the month number <c>year * 12 + month - 1</c>), summed
/// from the month rows (their parts 0 and 1 kept) plus the corrections of the links at the inner months' first days as
/// <c>part = 2</c> rows: a <c>12mo</c> range reads 2–4 of them instead of 11 months.</item>
/// </list>
/// A block is rebuilt whenever one of its days was (after its months), before the dirty marks are cleared, and is used
/// only when it lies inside the range with no day not rolled up; value and total plans only (time series read days
/// and months). A block whose links hold a visit over two midnights keeps no visit rows (<c>visits_exact = 0</c>).
/// </content>
public sealed partial class HitRollups
{
    private static readonly int[] SpanMonths = [2, 4, 8];

    private string BlockEvents => _t.Prefix + "rollup_block_events";

    private string BlockVisits => _t.Prefix + "rollup_block_visits";

    private string Blocks => _t.Prefix + "rollup_blocks";

    private string BlockSites => _t.Prefix + "rollup_block_sites";

    /// <summary>The ISO week (Monday to Sunday) holding <paramref name="day"/>; day 0 (1970-01-01) was a Thursday.</summary>
    internal static (long First, long End) WeekOf(long day)
    {
        var first = day - ((((day - 4) % 7) + 7) % 7);
        return (first, first + 7);
    }

    /// <summary>The blocks holding <paramref name="day"/>: its week and its aligned runs of 2, 4 and 8 months.</summary>
    internal static IEnumerable<(long First, long End)> BlocksOf(long day)
    {
        yield return WeekOf(day);
        var date = TimeZoneSegments.DayNumberToDate(day);
        var index = (date.Year * 12) + date.Month - 1;
        foreach (var size in SpanMonths)
        {
            var start = index - (index % size);
            yield return (MonthStart(start), MonthStart(start + size));
        }
    }

    private static long MonthStart(int index) => new DateOnly(index / 12, (index % 12) + 1, 1).DayNumber - DaysToDateOffset;

    private static bool IsWeek((long First, long End) block) => block.End - block.First == 7 && WeekOf(block.First).First == block.First;

    /// <summary>Drops a site's block rows (its rollups are being rebuilt from scratch).</summary>
    private async ValueTask DeleteSiteBlocksAsync(DbConnection connection, DbTransaction transaction, string siteId, CancellationToken cancellationToken)
    {
        foreach (var table in new[] { BlockEvents, BlockVisits, Blocks, BlockSites })
        {
            await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM {table} WHERE site_id = @site_id", new { site_id = siteId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>Drops the blocks overlapping days <paramref name="first"/> to <paramref name="last"/> (a purge).</summary>
    private async ValueTask DeletePurgedBlocksAsync(DbConnection connection, DbTransaction transaction, string siteId, long first, long last, CancellationToken cancellationToken)
    {
        var blocks = (await connection.QueryAsync<(long First, long End)>(new CommandDefinition(
            $"SELECT first_day, end_day FROM {Blocks} WHERE site_id = @site_id AND first_day <= @last AND end_day > @first",
            new { site_id = siteId, first, last }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        foreach (var (blockFirst, blockEnd) in blocks)
        {
            await DeleteBlockAsync(connection, transaction, siteId, blockFirst, blockEnd, cancellationToken).ConfigureAwait(false);
            await _t.OfferSplitAsync(transaction, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask DeleteBlockAsync(DbConnection connection, DbTransaction transaction, string siteId, long first, long end, CancellationToken cancellationToken)
    {
        foreach (var table in new[] { BlockEvents, BlockVisits })
        {
            // One range of the primary key per dimension.
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {table} WHERE site_id = @site_id AND dim >= 0 AND dim <= @max_dim AND first_day = @first AND end_day = @end",
                new { site_id = siteId, first, end, max_dim = Math.Max(RollupDimensions.Event.Length, RollupDimensions.Visit.Length) },
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM {Blocks} WHERE site_id = @site_id AND first_day = @first AND end_day = @end", new { site_id = siteId, first, end }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Rebuilds the blocks holding <paramref name="days"/> (days just rebuilt, months already rebuilt); when the site's
    /// blocks were never built (a database migrated from month rollups, or a first build), builds every block its day
    /// rows cover.
    /// </summary>
    private async ValueTask RefreshBlocksAsync(DbConnection connection, string siteId, IEnumerable<long> days, CancellationToken cancellationToken)
    {
        var blocks = new SortedSet<(long First, long End)>(days.SelectMany(BlocksOf));
        var built = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM {BlockSites} WHERE site_id = @site_id", new { site_id = siteId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (built == 0)
        {
            var span = await connection.QueryFirstAsync<(long? Min, long? Max)>(new CommandDefinition(
                $"SELECT MIN(day), MAX(day) FROM {_events} WHERE site_id = @site_id AND dim = 0", new { site_id = siteId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (span.Min is { } min && span.Max is { } max)
            {
                for (var d = min; d <= max; d++)
                {
                    blocks.UnionWith(BlocksOf(d));
                }
            }
        }

        foreach (var block in blocks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (IsWeek(block))
            {
                await BuildWeekAsync(connection, siteId, block.First, block.End, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await BuildSpanAsync(connection, siteId, block.First, block.End, cancellationToken).ConfigureAwait(false);
            }
        }

        if (built == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {BlockSites} (site_id) VALUES (@site_id)", new { site_id = siteId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>A week from the day rows, like a month (<see cref="BuildMonthAsync"/>).</summary>
    private async ValueTask BuildWeekAsync(DbConnection connection, string siteId, long first, long end, CancellationToken cancellationToken)
    {
        var (visitsExact, corrections) = await LinkCorrectionsAsync(connection, siteId, first + 1, end, first, cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
        await DeleteBlockAsync(connection, transaction, siteId, first, end, cancellationToken).ConfigureAwait(false);
        for (var dim = 0; dim <= RollupDimensions.Event.Length; dim++)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {BlockEvents} (site_id, dim, first_day, end_day, value, visitors, pageviews, events)" +
                $" SELECT site_id, dim, @first, @end, value, SUM(visitors), SUM(pageviews), SUM(events) FROM {_events}" +
                " WHERE site_id = @site_id AND dim = @dim AND day >= @first AND day < @end GROUP BY site_id, dim, value",
                new { site_id = siteId, dim, first, end }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        if (visitsExact)
        {
            for (var dim = 0; dim <= RollupDimensions.Visit.Length; dim++)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"INSERT INTO {BlockVisits} (site_id, dim, first_day, end_day, value, part, visitors, visits, bounces, duration_ms, pageviews, events)" +
                    $" SELECT site_id, dim, @first, @end, value, 0, SUM(visitors), SUM(visits), SUM(bounces), SUM(duration_ms), SUM(pageviews), SUM(events) FROM {_visits}" +
                    " WHERE site_id = @site_id AND dim = @dim AND day >= @first AND day < @end GROUP BY site_id, dim, value",
                    new { site_id = siteId, dim, first, end }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await InsertCorrectionsAsync(connection, transaction, siteId, first, end, 1, corrections, cancellationToken).ConfigureAwait(false);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO {Blocks} (site_id, first_day, end_day, visits_exact) VALUES (@site_id, @first, @end, @exact)",
            new { site_id = siteId, first, end, exact = visitsExact ? 1 : 0 }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A run of whole months from the month rows; not built (and dropped) unless every one of its months is built,
    /// which also keeps it away from months a purge removed.
    /// </summary>
    private async ValueTask BuildSpanAsync(DbConnection connection, string siteId, long first, long end, CancellationToken cancellationToken)
    {
        var months = (await connection.QueryAsync<(long Month, long End, long Exact)>(new CommandDefinition(
            $"SELECT month, end_day, visits_exact FROM {Months} WHERE site_id = @site_id AND month >= @first AND month < @end ORDER BY month",
            new { site_id = siteId, first, end }, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        var complete = months.Count > 0 && months[0].Month == first && months[^1].End == end;
        for (var i = 1; complete && i < months.Count; i++)
        {
            complete = months[i].Month == months[i - 1].End;
        }

        var visitsExact = complete && months.TrueForAll(m => m.Exact == 1);
        var corrections = new List<(int Dim, string Value, VisitCounts Counts)>();
        if (visitsExact)
        {
            // The links at each inner month's first day join two of the span's months: pre-applied as part = 2 rows.
            var links = new List<(long Day, RollupLink Link)>();
            foreach (var (month, _, _) in months.Skip(1))
            {
                foreach (var (day, data) in await connection.QueryAsync<(long Day, string Data)>(new CommandDefinition(
                             $"SELECT day, data FROM {_links} WHERE site_id = @site_id AND day >= @from AND day < @end ORDER BY day, n",
                             new { site_id = siteId, from = month, end = month + 1 }, cancellationToken: cancellationToken)).ConfigureAwait(false))
                {
                    links.Add((day, JsonSerializer.Deserialize(data, RollupJsonContext.Default.RollupLink)!));
                }
            }

            (visitsExact, corrections) = LinkCorrections(siteId, links, first);
        }

        await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
        await DeleteBlockAsync(connection, transaction, siteId, first, end, cancellationToken).ConfigureAwait(false);
        if (complete)
        {
            for (var dim = 0; dim <= RollupDimensions.Event.Length; dim++)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"INSERT INTO {BlockEvents} (site_id, dim, first_day, end_day, value, visitors, pageviews, events)" +
                    $" SELECT site_id, dim, @first, @end, value, SUM(visitors), SUM(pageviews), SUM(events) FROM {MonthEvents}" +
                    " WHERE site_id = @site_id AND dim = @dim AND month >= @first AND month < @end GROUP BY site_id, dim, value",
                    new { site_id = siteId, dim, first, end }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            if (visitsExact)
            {
                for (var dim = 0; dim <= RollupDimensions.Visit.Length; dim++)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        $"INSERT INTO {BlockVisits} (site_id, dim, first_day, end_day, value, part, visitors, visits, bounces, duration_ms, pageviews, events)" +
                        $" SELECT site_id, dim, @first, @end, value, part, SUM(visitors), SUM(visits), SUM(bounces), SUM(duration_ms), SUM(pageviews), SUM(events) FROM {MonthVisits}" +
                        " WHERE site_id = @site_id AND dim = @dim AND month >= @first AND month < @end GROUP BY site_id, dim, value, part",
                        new { site_id = siteId, dim, first, end }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
                }

                await InsertCorrectionsAsync(connection, transaction, siteId, first, end, 2, corrections, cancellationToken).ConfigureAwait(false);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {Blocks} (site_id, first_day, end_day, visits_exact) VALUES (@site_id, @first, @end, @exact)",
                new { site_id = siteId, first, end, exact = visitsExact ? 1 : 0 }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask InsertCorrectionsAsync(
        DbConnection connection, DbTransaction transaction, string siteId, long first, long end, int part, List<(int Dim, string Value, VisitCounts Counts)> corrections, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO {BlockVisits} (site_id, dim, first_day, end_day, value, part, visitors, visits, bounces, duration_ms, pageviews, events)" +
            " VALUES (@site_id, @dim, @first, @end, @value, @part, @visitors, @visits, @bounces, @duration_ms, @pageviews, @events)",
            corrections.Select(c => new
            {
                site_id = siteId, dim = c.Dim, first, end, value = c.Value, part, visitors = c.Counts.Visitors, visits = c.Counts.Visits,
                bounces = c.Counts.Bounces, duration_ms = c.Counts.DurationMs, pageviews = c.Counts.Pageviews, events = c.Counts.Events,
            }),
            transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>
    /// Splits the range's pieces: runs of usable whole <paramref name="months"/> are covered by the largest usable
    /// month spans (what is left stays months), and the day segments between them by usable whole weeks. Returns the
    /// months to read from the month tables, the blocks to read from the block tables, and all pieces in order (their
    /// inner links are pre-applied; the days around them are read from the day tables).
    /// </summary>
    private async ValueTask<(List<(long First, long End)> Months, List<(long First, long End)> Blocks, List<(long First, long End)> Pieces)> UsableBlocksAsync(
        DbConnection connection, string siteId, RollupPlan plan, long firstDay, long endDay, SortedSet<long> unclean, List<(long First, long End)> months, CancellationToken cancellationToken)
    {
        if (plan.ByDay || endDay - firstDay < 7)
        {
            return (months, [], months);
        }

        var usable = new HashSet<(long First, long End)>();
        foreach (var (first, end, exact) in await connection.QueryAsync<(long First, long End, long Exact)>(new CommandDefinition(
                     $"SELECT first_day, end_day, visits_exact FROM {Blocks} WHERE site_id = @site_id AND first_day >= @first AND first_day < @end",
                     new { site_id = siteId, first = firstDay, end = endDay }, cancellationToken: cancellationToken)).ConfigureAwait(false))
        {
            if (end <= endDay && (plan.VisitDim is null || exact == 1) && unclean.GetViewBetween(first, end - 1).Count == 0)
            {
                usable.Add((first, end));
            }
        }

        var monthPieces = new List<(long First, long End)>();
        var blocks = new List<(long First, long End)>();
        var pieces = new List<(long First, long End)>();
        for (var i = 0; i < months.Count;)
        {
            var runEnd = months[i].End;
            var j = i + 1;
            while (j < months.Count && months[j].First == runEnd)
            {
                runEnd = months[j].End;
                j++;
            }

            for (var at = months[i].First; at < runEnd;)
            {
                var span = usable.Where(b => b.First == at && b.End <= runEnd && !IsWeek(b)).OrderByDescending(b => b.End).FirstOrDefault();
                if (span.End > at)
                {
                    blocks.Add(span);
                    pieces.Add(span);
                    at = span.End;
                }
                else
                {
                    var month = (at, MonthOf(at).End);
                    monthPieces.Add(month);
                    pieces.Add(month);
                    at = month.End;
                }
            }

            i = j;
        }

        foreach (var (segmentFirst, segmentEnd) in DaySegments(firstDay, endDay, pieces.ToList()))
        {
            var week = WeekOf(segmentFirst);
            for (var at = week.First == segmentFirst ? segmentFirst : week.End; at + 7 <= segmentEnd; at += 7)
            {
                if (usable.Contains((at, at + 7)))
                {
                    blocks.Add((at, at + 7));
                    pieces.Add((at, at + 7));
                }
            }
        }

        pieces.Sort();
        return (monthPieces, blocks, pieces);
    }

    /// <summary>
    /// The GROUP BY clause and the event and visit columns of a read of day or month rows. Grouped by value, the rows
    /// are summed in SQL only when <see cref="RollupTables.GroupValuesInSql"/> is set (PostgreSQL's hash aggregate):
    /// SQLite sorts the groups through a temporary B-tree (30 days of pages at 2 M hits in the sqlite3 CLI: 226 ms
    /// grouped, 12 ms for reading the same 50,000 rows ungrouped), so the accumulator sums them instead.
    /// </summary>
    private (string Group, string EventColumns, string VisitColumns) Grouping(RollupPlan plan, string timeColumn)
    {
        if (plan.ByValue && !_t.GroupValuesInSql)
        {
            return (string.Empty, "visitors, pageviews, events", "visitors, visits, bounces, duration_ms, pageviews, events");
        }

        return (plan.ByDay ? $" GROUP BY {timeColumn}" : plan.ByValue ? " GROUP BY value" : string.Empty,
            "SUM(visitors), SUM(pageviews), SUM(events)", "SUM(visitors), SUM(visits), SUM(bounces), SUM(duration_ms), SUM(pageviews), SUM(events)");
    }

    /// <summary>Adds the rows of <paramref name="blocks"/> (value and total plans only).</summary>
    private async ValueTask ReadBlocksAsync(DbConnection connection, string siteId, RollupPlan plan, List<(long First, long End)> blocks, RollupAccumulator acc, CancellationToken cancellationToken)
    {
        var key = plan.ByValue ? "value" : "''";
        var group = plan.ByValue ? " GROUP BY value" : string.Empty;
        foreach (var (first, end) in blocks)
        {
            var parameters = new DynamicParameters();
            parameters.Add("site_id", siteId);
            parameters.Add("first", first);
            parameters.Add("end", end);
            if (plan.EventDim is { } eventDim)
            {
                parameters.Add("edim", eventDim);
                var valueFilter = EventValueSql(plan, parameters);
                var sql = $"SELECT {key}, SUM(visitors), SUM(pageviews), SUM(events) FROM {BlockEvents} WHERE site_id = @site_id AND dim = @edim AND first_day = @first AND end_day = @end{valueFilter}{group}";
                await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (!reader.IsDBNull(1))
                    {
                        acc.AddEvents(reader.GetString(0), new EventCounts { Visitors = Long(reader, 1), Pageviews = Long(reader, 2), Events = Long(reader, 3) });
                    }
                }
            }

            if (plan.VisitDim is { } visitDim)
            {
                parameters.Add("vdim", visitDim);
                var sql = $"SELECT {key}, SUM(visitors), SUM(visits), SUM(bounces), SUM(duration_ms), SUM(pageviews), SUM(events) FROM {BlockVisits} WHERE site_id = @site_id AND dim = @vdim AND first_day = @first AND end_day = @end{group}";
                await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (!reader.IsDBNull(1))
                    {
                        acc.AddVisits(reader.GetString(0), new VisitCounts
                        {
                            Visitors = Long(reader, 1), Visits = Long(reader, 2), Bounces = Long(reader, 3),
                            DurationMs = Long(reader, 4), Pageviews = Long(reader, 5), Events = Long(reader, 6),
                        });
                    }
                }
            }

        }
    }
}

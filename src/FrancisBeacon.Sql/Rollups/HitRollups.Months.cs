// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using System.Text.Json;
using Dapper;
using FrancisBeacon.Querying;
using static FrancisBeacon.Sql.Rollups.RollupReader;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Per-month rollups (migration 0007): for every site-local calendar month whose days are rolled up, the sums of its
/// day rows per dimension value, with the corrections of the links inside the month (both days in the month) already
/// applied as separate <c>part = 1</c> rows. A range is answered as whole clean months plus the day rows of its edge
/// days; the links at the first day of each month (and all links of the edge days) are applied at query time, as for
/// day rows. Exactness: sums of day rows are exact for the same reason day rows are (a visitor id lives one day), and
/// the pre-applied corrections are the very ones a day-based answer applies when both days of the link are in range.
/// </content>
public sealed partial class HitRollups
{
    private const long DaysToDateOffset = 719_162;

    private string MonthEvents => _t.Prefix + "rollup_month_events";

    private string MonthVisits => _t.Prefix + "rollup_month_visits";

    private string Months => _t.Prefix + "rollup_months";

    private string MonthSites => _t.Prefix + "rollup_month_sites";

    /// <summary>The first day and the day after the last of the site-local calendar month holding <paramref name="day"/>.</summary>
    internal static (long First, long End) MonthOf(long day)
    {
        var date = TimeZoneSegments.DayNumberToDate(day);
        var first = new DateOnly(date.Year, date.Month, 1);
        return (first.DayNumber - DaysToDateOffset, first.AddMonths(1).DayNumber - DaysToDateOffset);
    }

    /// <summary>Drops a site's month rows (its day rollups are being rebuilt from scratch).</summary>
    private async ValueTask DeleteSiteMonthsAsync(DbConnection connection, DbTransaction transaction, string siteId, CancellationToken cancellationToken)
    {
        foreach (var table in new[] { MonthEvents, MonthVisits, Months, MonthSites })
        {
            await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM {table} WHERE site_id = @site_id", new { site_id = siteId }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await DeleteSiteBlocksAsync(connection, transaction, siteId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Rebuilds the months holding <paramref name="days"/> (days just rebuilt); when the site's months were never built
    /// (a database migrated from day-only rollups, or a first build), builds every month its day rows cover. Runs
    /// before the dirty marks are cleared, so no query takes a month as clean while its rows are stale.
    /// </summary>
    private async ValueTask RefreshMonthsAsync(DbConnection connection, string siteId, IEnumerable<long> days, CancellationToken cancellationToken)
    {
        var months = new SortedSet<long>(days.Select(d => MonthOf(d).First));
        var built = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT COUNT(*) FROM {MonthSites} WHERE site_id = @site_id", new { site_id = siteId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (built == 0)
        {
            var span = await connection.QueryFirstAsync<(long? Min, long? Max)>(new CommandDefinition(
                $"SELECT MIN(day), MAX(day) FROM {_events} WHERE site_id = @site_id AND dim = 0", new { site_id = siteId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (span.Min is { } min && span.Max is { } max)
            {
                for (var m = MonthOf(min).First; m <= max; m = MonthOf(m).End)
                {
                    months.Add(m);
                }
            }
        }

        foreach (var month in months)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await BuildMonthAsync(connection, siteId, month, MonthOf(month).End, cancellationToken).ConfigureAwait(false);
        }

        if (built == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {MonthSites} (site_id) VALUES (@site_id)", new { site_id = siteId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    private async ValueTask BuildMonthAsync(DbConnection connection, string siteId, long first, long end, CancellationToken cancellationToken)
    {
        // Links inside the month: their corrections are pre-applied, per visit dimension, as part = 1 rows.
        var (visitsExact, corrections) = await LinkCorrectionsAsync(connection, siteId, first + 1, end, first, cancellationToken).ConfigureAwait(false);

        await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
        var key = new { site_id = siteId, month = first };
        foreach (var table in new[] { MonthEvents, MonthVisits, Months })
        {
            await connection.ExecuteAsync(new CommandDefinition($"DELETE FROM {table} WHERE site_id = @site_id AND month = @month", key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        // One statement per dimension, so each reads one range of the day table's primary key.
        for (var dim = 0; dim <= RollupDimensions.Event.Length; dim++)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {MonthEvents} (site_id, dim, month, value, visitors, pageviews, events)" +
                $" SELECT site_id, dim, @first, value, SUM(visitors), SUM(pageviews), SUM(events) FROM {_events}" +
                " WHERE site_id = @site_id AND dim = @dim AND day >= @first AND day < @end GROUP BY site_id, dim, value",
                new { site_id = siteId, dim, first, end }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        if (visitsExact)
        {
            for (var dim = 0; dim <= RollupDimensions.Visit.Length; dim++)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"INSERT INTO {MonthVisits} (site_id, dim, month, value, part, visitors, visits, bounces, duration_ms, pageviews, events)" +
                    $" SELECT site_id, dim, @first, value, 0, SUM(visitors), SUM(visits), SUM(bounces), SUM(duration_ms), SUM(pageviews), SUM(events) FROM {_visits}" +
                    " WHERE site_id = @site_id AND dim = @dim AND day >= @first AND day < @end GROUP BY site_id, dim, value",
                    new { site_id = siteId, dim, first, end }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {MonthVisits} (site_id, dim, month, value, part, visitors, visits, bounces, duration_ms, pageviews, events)" +
                " VALUES (@site_id, @dim, @month, @value, 1, @visitors, @visits, @bounces, @duration_ms, @pageviews, @events)",
                corrections.Select(c => new
                {
                    site_id = siteId, dim = c.Dim, month = first, value = c.Value, visitors = c.Counts.Visitors, visits = c.Counts.Visits,
                    bounces = c.Counts.Bounces, duration_ms = c.Counts.DurationMs, pageviews = c.Counts.Pageviews, events = c.Counts.Events,
                }),
                transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO {Months} (site_id, month, end_day, visits_exact) VALUES (@site_id, @month, @end, @exact)",
            new { site_id = siteId, month = first, end, exact = visitsExact ? 1 : 0 }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The corrections, per visit dimension and value, of the stored links of days [<paramref name="from"/>,
    /// <paramref name="end"/>) for a range starting at <paramref name="first"/>, and whether they are exact (no visit
    /// over two midnights, no old link without membership fields); a block pre-applies them.
    /// </summary>
    private async ValueTask<(bool Exact, List<(int Dim, string Value, VisitCounts Counts)> Corrections)> LinkCorrectionsAsync(
        DbConnection connection, string siteId, long from, long end, long first, CancellationToken cancellationToken)
    {
        var links = new List<(long Day, RollupLink Link)>();
        foreach (var (day, data) in await connection.QueryAsync<(long Day, string Data)>(new CommandDefinition(
                     $"SELECT day, data FROM {_links} WHERE site_id = @site_id AND day >= @from AND day < @end ORDER BY day, n",
                     new { site_id = siteId, from, end }, cancellationToken: cancellationToken)).ConfigureAwait(false))
        {
            links.Add((day, JsonSerializer.Deserialize(data, RollupJsonContext.Default.RollupLink)!));
        }

        return LinkCorrections(siteId, links, first);
    }

    /// <summary>The corrections of <paramref name="links"/> for a range starting at <paramref name="first"/> (see <see cref="LinkCorrectionsAsync"/>).</summary>
    private static (bool Exact, List<(int Dim, string Value, VisitCounts Counts)> Corrections) LinkCorrections(
        string siteId, List<(long Day, RollupLink Link)> links, long first)
    {
        // A link whose earlier session itself continues one from the day before (a visit over two midnights), or an old
        // link without membership fields, may make a day-based answer fall back to the raw path; such a block keeps no
        // visit rows, so visit queries read its days (and fall back exactly as before).
        var visitsExact = links.TrueForAll(l => l.Link.Version >= 2 && !l.Link.TLinked);
        var corrections = new List<(int Dim, string Value, VisitCounts Counts)>();
        if (visitsExact)
        {
            for (var dim = 0; dim <= RollupDimensions.Visit.Length; dim++)
            {
                var plan = RollupPlan.Create(new HitQuery
                {
                    SiteId = siteId,
                    From = DateTimeOffset.UnixEpoch,
                    To = DateTimeOffset.UnixEpoch.AddDays(1),
                    Metrics = [HitMetric.Visits],
                    Dimensions = dim == 0 ? [] : [RollupDimensions.Visit[dim - 1]],
                })!;
                var acc = new RollupAccumulator(plan);
                foreach (var (day, link) in links)
                {
                    if (!acc.AddLink(day, link, first))
                    {
                        visitsExact = false;
                    }
                }

                foreach (var (value, counts) in acc.VisitRows)
                {
                    if (counts.Visitors != 0 || counts.Visits != 0 || counts.Bounces != 0 || counts.DurationMs != 0 || counts.Pageviews != 0 || counts.Events != 0)
                    {
                        corrections.Add((dim, value, counts));
                    }
                }
            }
        }

        return (visitsExact, corrections);
    }

    /// <summary>Drops the month rows of every month overlapping days <paramref name="first"/> to <paramref name="last"/> (a purge).</summary>
    private async ValueTask DeletePurgedMonthsAsync(DbConnection connection, DbTransaction transaction, string siteId, long first, long last, CancellationToken cancellationToken)
    {
        var months = (await connection.QueryAsync<long>(new CommandDefinition(
            $"SELECT month FROM {Months} WHERE site_id = @site_id AND month <= @last AND end_day > @first",
            new { site_id = siteId, first, last }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false)).ToList();
        foreach (var month in months)
        {
            foreach (var table in new[] { MonthEvents, MonthVisits, Months })
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"DELETE FROM {table} WHERE site_id = @site_id AND month = @month", new { site_id = siteId, month }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }

            await _t.OfferSplitAsync(transaction, cancellationToken).ConfigureAwait(false);
        }

        await DeletePurgedBlocksAsync(connection, transaction, siteId, first, last, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The whole months of [<paramref name="firstDay"/>, <paramref name="endDay"/>) a query can read from the month
    /// tables: built, with no day not rolled up, with exact visit rows when the plan reads visits, and only for plans
    /// whose groups do not split a month (totals, values, or months as the time bucket).
    /// </summary>
    private async ValueTask<List<(long First, long End)>> UsableMonthsAsync(
        DbConnection connection, string siteId, RollupPlan plan, long firstDay, long endDay, SortedSet<long> unclean, CancellationToken cancellationToken)
    {
        if (plan.ByDay && plan.Time != HitDimension.Month)
        {
            return [];
        }

        var firstWhole = MonthOf(firstDay).First == firstDay ? firstDay : MonthOf(firstDay).End;
        if (MonthOf(firstWhole).End > endDay)
        {
            return []; // no whole month in the range
        }

        var rows = await connection.QueryAsync<(long Month, long End, long Exact)>(new CommandDefinition(
            $"SELECT month, end_day, visits_exact FROM {Months} WHERE site_id = @site_id AND month >= @first AND month < @end ORDER BY month",
            new { site_id = siteId, first = firstDay, end = endDay }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var result = new List<(long First, long End)>();
        foreach (var (month, end, exact) in rows)
        {
            if (end <= endDay && (plan.VisitDim is null || exact == 1) && unclean.GetViewBetween(month, end - 1).Count == 0)
            {
                result.Add((month, end));
            }
        }

        return result;
    }

    /// <summary>The day ranges of [<paramref name="firstDay"/>, <paramref name="endDay"/>) outside <paramref name="months"/>.</summary>
    private static List<(long First, long End)> DaySegments(long firstDay, long endDay, List<(long First, long End)> months)
    {
        var segments = new List<(long, long)>();
        var at = firstDay;
        foreach (var (first, end) in months)
        {
            if (first > at)
            {
                segments.Add((at, first));
            }

            at = end;
        }

        if (at < endDay)
        {
            segments.Add((at, endDay));
        }

        return segments;
    }

    /// <summary>Adds the month rows of <paramref name="months"/> (keyed by the month's first day for a time series).</summary>
    private async ValueTask ReadMonthsAsync(DbConnection connection, string siteId, RollupPlan plan, List<(long First, long End)> months, RollupAccumulator acc, CancellationToken cancellationToken)
    {
        if (months.Count == 0)
        {
            return;
        }

        // Months are read as contiguous runs: each run is one range of the month tables' primary key.
        var runs = new List<(long First, long End)>();
        foreach (var month in months)
        {
            if (runs.Count > 0 && runs[^1].End == month.First)
            {
                runs[^1] = (runs[^1].First, month.End);
            }
            else
            {
                runs.Add(month);
            }
        }

        var key = plan.ByDay ? "month" : plan.ByValue ? "value" : "0";
        var (group, e, v) = Grouping(plan, "month");
        foreach (var (first, end) in runs)
        {
            var parameters = new DynamicParameters();
            parameters.Add("site_id", siteId);
            parameters.Add("first", first);
            parameters.Add("end", end);
            var where = " WHERE site_id = @site_id AND month >= @first AND month < @end";
            if (plan.EventDim is { } eventDim)
            {
                parameters.Add("edim", eventDim);
                var valueFilter = EventValueSql(plan, parameters);
                var sql = $"SELECT {key}, {e} FROM {MonthEvents}{where} AND dim = @edim{valueFilter}{group}";
                await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (!reader.IsDBNull(1))
                    {
                        acc.AddEvents(KeyOf(reader, plan), new EventCounts { Visitors = Long(reader, 1), Pageviews = Long(reader, 2), Events = Long(reader, 3) });
                    }
                }
            }

            if (plan.VisitDim is { } visitDim)
            {
                parameters.Add("vdim", visitDim);
                var sql = $"SELECT {key}, {v} FROM {MonthVisits}{where} AND dim = @vdim{group}";
                await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (!reader.IsDBNull(1))
                    {
                        acc.AddVisits(KeyOf(reader, plan), new VisitCounts
                        {
                            Visitors = Long(reader, 1), Visits = Long(reader, 2), Bounces = Long(reader, 3),
                            DurationMs = Long(reader, 4), Pageviews = Long(reader, 5), Events = Long(reader, 6),
                        });
                    }
                }
            }
        }
    }

    /// <summary>
    /// The stored links a query applies: those of days in (<paramref name="firstDay"/>, <paramref name="endDay"/>)
    /// except the links inside a month read from the month tables (already applied there).
    /// </summary>
    private async ValueTask<List<(long Day, string Data)>> ReadLinksAsync(
        DbConnection connection, string siteId, long firstDay, long endDay, List<(long First, long End)> months, CancellationToken cancellationToken)
    {
        var ranges = DaySegments(firstDay, endDay, months);
        ranges.AddRange(months.Select(m => (m.First, m.First + 1)));
        var result = new List<(long Day, string Data)>();
        foreach (var (first, end) in ranges)
        {
            var from = Math.Max(first, firstDay + 1);
            if (from >= end)
            {
                continue;
            }

            result.AddRange(await connection.QueryAsync<(long Day, string Data)>(new CommandDefinition(
                $"SELECT day, data FROM {_links} WHERE site_id = @site_id AND day >= @from AND day < @end",
                new { site_id = siteId, from, end }, cancellationToken: cancellationToken)).ConfigureAwait(false));
        }

        return result;
    }
}

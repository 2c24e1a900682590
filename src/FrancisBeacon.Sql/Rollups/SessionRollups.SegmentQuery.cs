// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Runtime.InteropServices;
using Dapper;
using FrancisBeacon.Querying;
using static FrancisBeacon.Sql.Rollups.RollupReader;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Reading the segment rows of a range: ready segment blocks (SessionRollups.SegmentBlocks.cs) for the runs of months,
/// months and weeks inside the range's clean days, and the day rows of the days around them. A list with a limit,
/// ordered by an additive metric, is summed and cut to the top in the database (as <c>HitRollups.Top.cs</c> does for
/// unfiltered lists), with the counts the session route already holds (touched visitors, days computed from raw hits)
/// as corrections that only add.
/// </content>
internal sealed partial class SessionRollups
{
    // The longest range (in days) read as one index range per day.
    private const int MaxSegmentDayList = 800;

    // Values already counted by the session route above which a list is read in full (one parameter per value read back).
    private const int MaxSegmentTopCorrected = 1000;

    /// <summary>
    /// Adds the segment rows of the days [<paramref name="firstDay"/>, <paramref name="cut"/>) to the groups, as the
    /// session route's stored part would count the untouched visitors' sessions and hits. The caller has put every other
    /// count of the answer into the same groups first (the touched visitors, the days computed from raw hits): a list's
    /// top-k read takes them as its corrections.
    /// </summary>
    private async ValueTask ReadSegmentsAsync(
        DbConnection connection, HitQuery query, SessionRollupPlan plan, long firstDay, long cut,
        Dictionary<string, Counts> values, Dictionary<long, Counts> groups, CancellationToken cancellationToken, List<long>? liveDays = null)
    {
        var (fdim, fvalue) = plan.Segment!.Value;
        var parameters = new DynamicParameters();
        parameters.Add("site_id", query.SiteId, DbType.String);
        parameters.Add("fdim", fdim, DbType.Int32);
        parameters.Add("fvalue", fvalue, DbType.String);

        // A time series needs its days; totals and lists read blocks where they can.
        var blocks = plan.Dimension is { IsTime: true } ? [] : await SegmentPiecesAsync(connection, query.SiteId, firstDay, cut, cancellationToken).ConfigureAwait(false);
        var days = DaysOutside(firstDay, cut, blocks);
        if (liveDays is not null)
        {
            // Live days have no segment rows (the session route counted them: SessionRollups.LiveDays.cs), nor has a block holding one.
            blocks.RemoveAll(b => liveDays.Exists(d => d >= b.First && d < b.End));
            days = DaysOutside(firstDay, cut, blocks);
            days.RemoveAll(liveDays.Contains);
        }

        if (plan.EventMode || plan.VisitMode)
        {
            var code = plan.EventMode ? RollupDimensions.EventCode(plan.Dimension!) : RollupDimensions.VisitCode(plan.Dimension!);
            parameters.Add("dim", code, DbType.Int32);
            var columns = plan.EventMode ? "value, visitors, pageviews, events" : "value, visitors, visits, bounces, duration_ms, pageviews, events";
            var rows = SegmentRowsSql(plan.EventMode, columns, blocks, days, firstDay, parameters);
            if (await TryReadSegmentTopAsync(connection, query, plan, rows, values, parameters, blocks, days, firstDay, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            var sql = _t.GroupValuesInSql ? $"SELECT value, {SegmentSums(plan.EventMode)} FROM ({rows}) r GROUP BY value" : rows;
            await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(values, reader.GetString(0), out _);
                AddSegmentRow(plan, reader, ref c);
            }

            return;
        }

        // Totals or a time series: the day totals (dim 0) by day, bucketed as the session route buckets them (blocks only
        // for totals, where every row goes to bucket 0).
        parameters.Add("dim", 0, DbType.Int32);
        await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            SegmentRowsSql(true, "day, visitors, pageviews, events", blocks, days, firstDay, parameters), parameters, cancellationToken: cancellationToken)).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(groups, Bucket(plan, Long(reader, 0)), out _);
                c.EvVisitors += Long(reader, 1);
                c.EvPv += Long(reader, 2);
                c.EvN += Long(reader, 3);
                c.HasEvents |= c.EvN > 0;
            }
        }

        if (query.Metrics.Any(m => m.IsSessionMetric()))
        {
            await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
                SegmentRowsSql(false, "day, visits, bounces, duration_ms, pageviews", blocks, days, firstDay, parameters), parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(groups, Bucket(plan, Long(reader, 0)), out _);
                c.Visits += Long(reader, 1);
                c.Bounces += Long(reader, 2);
                c.DurationMs += Long(reader, 3);
                c.SessionPv += Long(reader, 4);
            }
        }
    }

    /// <summary>
    /// The ready segment blocks covering as much of [<paramref name="firstDay"/>, <paramref name="cut"/>) as they can:
    /// the longest run of months (or month) starting at each day from the left, then whole weeks in the gaps left.
    /// </summary>
    private async ValueTask<List<(long First, long End)>> SegmentPiecesAsync(DbConnection connection, string siteId, long firstDay, long cut, CancellationToken cancellationToken)
    {
        if (cut - firstDay < 7)
        {
            return [];
        }

        var ready = new Dictionary<long, List<long>>();
        foreach (var (first, end) in await connection.QueryAsync<(long First, long End)>(new CommandDefinition(
                     $"SELECT first_day, end_day FROM {SegmentBlocks} WHERE site_id = @site_id AND first_day >= @first AND first_day < @cut AND ready = 1",
                     new { site_id = siteId, first = firstDay, cut }, cancellationToken: cancellationToken)).ConfigureAwait(false))
        {
            if (end <= cut)
            {
                if (!ready.TryGetValue(first, out var ends))
                {
                    ready[first] = ends = [];
                }

                ends.Add(end);
            }
        }

        return BlockPieces(ready, firstDay, cut);
    }

    /// <summary>
    /// Pieces of [<paramref name="firstDay"/>, <paramref name="cut"/>) from the blocks in <paramref name="ready"/> (first
    /// day → end days, all inside the range): the longest run of months (or month) starting at each day from the left,
    /// then whole weeks in the gaps left. Sorted and disjoint.
    /// </summary>
    internal static List<(long First, long End)> BlockPieces(Dictionary<long, List<long>> ready, long firstDay, long cut)
    {
        var pieces = new List<(long First, long End)>();
        for (var at = firstDay; at < cut;)
        {
            var longest = ready.TryGetValue(at, out var ends) ? ends.Where(e => e - at != 7).DefaultIfEmpty(at).Max() : at;
            if (longest > at)
            {
                pieces.Add((at, longest));
                at = longest;
            }
            else
            {
                at++;
            }
        }

        var weeks = new List<(long First, long End)>();
        var from = firstDay;
        foreach (var (first, end) in pieces.Append((cut, cut)))
        {
            for (var at = from; at + 7 <= first;)
            {
                if (ready.TryGetValue(at, out var ends) && ends.Contains(at + 7))
                {
                    weeks.Add((at, at + 7));
                    at += 7;
                }
                else
                {
                    at++;
                }
            }

            from = end;
        }

        pieces.AddRange(weeks);
        pieces.Sort();
        return pieces;
    }

    /// <summary>The days of [<paramref name="firstDay"/>, <paramref name="cut"/>) outside <paramref name="blocks"/> (sorted, disjoint).</summary>
    private static List<long> DaysOutside(long firstDay, long cut, List<(long First, long End)> blocks)
    {
        var days = new List<long>();
        var at = firstDay;
        foreach (var (first, end) in blocks.Append((cut, cut)))
        {
            for (; at < first; at++)
            {
                days.Add(at);
            }

            at = Math.Max(at, end);
        }

        return days;
    }

    /// <summary>
    /// The segment rows of the range as one statement: one <c>UNION ALL</c> part per block (an exact key range each) and
    /// one for the days outside them (one equality range per day; past <see cref="MaxSegmentDayList"/> days, plain day
    /// ranges, which stay under the stores' parameter limits). <paramref name="only"/> restricts the values.
    /// </summary>
    private string SegmentRowsSql(
        bool events, string columns, List<(long First, long End)> blocks, List<long> days, long firstDay, DynamicParameters parameters, string only = "")
    {
        var parts = new List<string>();
        var segment = $" AND fdim = @fdim AND fvalue = @fvalue AND dim = @dim{only}";
        // A block row's "day" (totals only) is its first day; a list's columns do not name it.
        var blockColumns = columns.Replace("day,", "first_day,", StringComparison.Ordinal);
        for (var i = 0; i < blocks.Count; i++)
        {
            parameters.Add(string.Create(CultureInfo.InvariantCulture, $"sbf{i}"), blocks[i].First, DbType.Int64);
            parameters.Add(string.Create(CultureInfo.InvariantCulture, $"sbe{i}"), blocks[i].End, DbType.Int64);
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"SELECT {blockColumns} FROM {(events ? SegmentBlockEvents : SegmentBlockVisits)} WHERE site_id = @site_id AND first_day = @sbf{i} AND end_day = @sbe{i}{segment}"));
        }

        if (days.Count > 0)
        {
            string daySql;
            if (days.Count <= MaxSegmentDayList)
            {
                var names = new List<string>(days.Count);
                foreach (var d in days)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"d{d - firstDay}");
                    parameters.Add(name, d, DbType.Int64);
                    names.Add("@" + name);
                }

                daySql = $"day IN ({string.Join(", ", names)})";
            }
            else
            {
                // Plain day ranges (the runs of consecutive days outside the blocks), which scan those days' rows.
                var runs = new List<string>();
                for (var i = 0; i < days.Count;)
                {
                    var j = i + 1;
                    while (j < days.Count && days[j] == days[j - 1] + 1)
                    {
                        j++;
                    }

                    parameters.Add(string.Create(CultureInfo.InvariantCulture, $"rf{runs.Count}"), days[i], DbType.Int64);
                    parameters.Add(string.Create(CultureInfo.InvariantCulture, $"re{runs.Count}"), days[j - 1] + 1, DbType.Int64);
                    runs.Add(string.Create(CultureInfo.InvariantCulture, $"(day >= @rf{runs.Count} AND day < @re{runs.Count})"));
                    i = j;
                }

                daySql = $"({string.Join(" OR ", runs)})";
            }

            parts.Add($"SELECT {columns} FROM {(events ? _segmentEvents : _segmentVisits)} WHERE site_id = @site_id AND {daySql}{segment}");
        }

        return parts.Count == 0 ? $"SELECT {columns} FROM {(events ? _segmentEvents : _segmentVisits)} WHERE 1 = 0" : string.Join(" UNION ALL ", parts);
    }

    private static string SegmentSums(bool events) =>
        events ? "SUM(visitors), SUM(pageviews), SUM(events)" : "SUM(visitors), SUM(visits), SUM(bounces), SUM(duration_ms), SUM(pageviews), SUM(events)";

    /// <summary>Adds a segment row (or group) read as <c>value, counts…</c> to <paramref name="c"/>, as the session route counts it.</summary>
    private static void AddSegmentRow(SessionRollupPlan plan, DbDataReader reader, ref Counts c)
    {
        if (plan.EventMode)
        {
            c.EvVisitors += Long(reader, 1);
            c.EvPv += Long(reader, 2);
            c.EvN += Long(reader, 3);
        }
        else
        {
            // As the session route counts a visit dimension: the kept hits of a matching session are all its hits.
            c.Visitors += Long(reader, 1);
            c.Visits += Long(reader, 2);
            c.Bounces += Long(reader, 3);
            c.DurationMs += Long(reader, 4);
            c.SessionPv += Long(reader, 5);
            c.KeptPv += Long(reader, 5);
            c.KeptN += Long(reader, 6);
        }
    }

    /// <summary>The column a segment list ordered by <paramref name="metric"/> sums, or null when the metric is not additive there.</summary>
    private static string? SegmentTopColumn(SessionRollupPlan plan, HitMetric metric) =>
        metric == HitMetric.Visitors ? "visitors"
        : metric == HitMetric.Pageviews ? "pageviews"
        : metric == HitMetric.Events ? "events"
        : metric == HitMetric.Visits && plan.VisitMode ? "visits"
        : null;

    /// <summary>The ordering value of <paramref name="c"/> for a list ordered by <paramref name="column"/> (as <see cref="Metric"/> computes it).</summary>
    private static long Ordered(SessionRollupPlan plan, Counts c, string column) =>
        column switch
        {
            "visitors" => plan.VisitMode ? c.Visitors : c.EvVisitors,
            "pageviews" => plan.VisitMode ? c.KeptPv : c.EvPv,
            "events" => plan.VisitMode ? c.KeptN : c.EvN,
            _ => c.Visits,
        };

    /// <summary>
    /// A list with a limit ordered by an additive metric: reads only the values that can reach the top and returns true,
    /// or returns false with <paramref name="values"/> unchanged (the caller reads every value).
    /// </summary>
    /// <remarks>
    /// The statement sums the stored rows per value and returns the first <c>take = wanted + min(|C|, 1000)</c> in the
    /// list's order (metric descending, then value in byte order: UTF-8 ordinal on both stores, as
    /// <see cref="Result"/> orders), where C are the values already in <paramref name="values"/>, whose counts only add
    /// to the stored ones (disjoint visitors). With G the returned groups and, when <c>take</c> came back, <c>bound</c>
    /// the last one's stored metric (else 0: every stored value was returned), a value outside G has a stored metric of
    /// at most <c>bound</c> and ranks after every member of G with the same metric. The <c>wanted</c>-th best final
    /// metric among G, <c>threshold</c>, is at least <c>bound</c>, so a value outside G and C never reaches the top, and
    /// a value of C outside G can only if <c>bound</c> plus its correction reaches <c>threshold</c>: those are read back
    /// exactly (<c>value IN (…)</c>). Every other value of C keeps its partial count, which stays below the threshold.
    /// </remarks>
    private async ValueTask<bool> TryReadSegmentTopAsync(
        DbConnection connection, HitQuery query, SessionRollupPlan plan, string rows, Dictionary<string, Counts> values, DynamicParameters parameters,
        List<(long First, long End)> blocks, List<long> days, long firstDay, CancellationToken cancellationToken)
    {
        if (query.Limit is not { } limit || SegmentTopColumn(plan, query.Metrics[0]) is not { } column)
        {
            return false;
        }

        var wanted = (long)query.Offset + limit;
        var take = wanted + Math.Min(values.Count, MaxSegmentTopCorrected);
        parameters.Add("take", take, DbType.Int64);
        var sums = SegmentSums(plan.EventMode);
        var top = new List<(string Value, Counts Counts)>();
        if (_t.Dialect.ListQuerySetup is { } setup)
        {
            await connection.ExecuteAsync(new CommandDefinition(setup, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        try
        {
            await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
                $"SELECT value, {sums} FROM ({rows}) r GROUP BY value ORDER BY SUM({column}) DESC, value LIMIT @take", parameters, cancellationToken: cancellationToken)).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var c = default(Counts);
                    AddSegmentRow(plan, reader, ref c);
                    top.Add((reader.GetString(0), c));
                }
            }

            var bound = top.Count == take ? Ordered(plan, top[^1].Counts, column) : 0;
            var returned = new HashSet<string>(top.Select(t => t.Value), StringComparer.Ordinal);
            var finals = new List<long>(top.Count);
            foreach (var (value, stored) in top)
            {
                var total = stored;
                if (values.TryGetValue(value, out var correction))
                {
                    Add(ref total, correction);
                }

                finals.Add(Ordered(plan, total, column));
            }

            finals.Sort((a, b) => b.CompareTo(a));
            var threshold = wanted == 0 ? long.MaxValue : finals.Count >= wanted ? finals[(int)(wanted - 1)] : long.MinValue;
            var needed = top.Count < take ? [] : values.Where(v => !returned.Contains(v.Key) && bound + Ordered(plan, v.Value, column) >= threshold).Select(v => v.Key).ToList();
            if (needed.Count > MaxSegmentTopCorrected)
            {
                return false;
            }

            if (needed.Count > 0)
            {
                var names = new List<string>(needed.Count);
                foreach (var value in needed)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"c{names.Count}");
                    parameters.Add(name, value, DbType.String);
                    names.Add("@" + name);
                }

                var only = SegmentRowsSql(plan.EventMode, plan.EventMode ? "value, visitors, pageviews, events" : "value, visitors, visits, bounces, duration_ms, pageviews, events",
                    blocks, days, firstDay, parameters, $" AND value IN ({string.Join(", ", names)})");
                await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
                    $"SELECT value, {sums} FROM ({only}) r GROUP BY value", parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var c = default(Counts);
                    AddSegmentRow(plan, reader, ref c);
                    top.Add((reader.GetString(0), c));
                }
            }
        }
        finally
        {
            if (_t.Dialect.ListQueryReset is { } reset)
            {
                await connection.ExecuteAsync(new CommandDefinition(reset, cancellationToken: CancellationToken.None)).ConfigureAwait(false);
            }
        }

        foreach (var (value, stored) in top)
        {
            ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(values, value, out _);
            Add(ref c, stored);
        }

        return true;
    }

    private static void Add(ref Counts c, Counts other)
    {
        c.EvVisitors += other.EvVisitors;
        c.EvPv += other.EvPv;
        c.EvN += other.EvN;
        c.HasEvents |= other.HasEvents;
        c.Visitors += other.Visitors;
        c.Visits += other.Visits;
        c.KeptPv += other.KeptPv;
        c.KeptN += other.KeptN;
        c.Bounces += other.Bounces;
        c.DurationMs += other.DurationMs;
        c.SessionPv += other.SessionPv;
    }
}

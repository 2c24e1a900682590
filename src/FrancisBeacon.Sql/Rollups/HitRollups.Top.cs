// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using FrancisBeacon.Querying;
using static FrancisBeacon.Sql.Rollups.RollupReader;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Top-k reads of long lists (docs/performance.md, "Top-k list reads"). A list with a limit, ordered by an additive
/// metric (visitors, pageviews, events or visits: a group's value is the sum of its rows), needs only the groups that
/// can reach the top: one statement sums every stored row of the range (blocks, months and day segments, as a
/// <c>UNION ALL</c>) per value in the database and returns the first <c>offset + limit + |C|</c> groups in the list's
/// order (metric descending, then value by byte order, which is the UTF-8 ordinal order of both stores' text), where C
/// is the set of values the planner already holds corrections for (link corrections, days computed from raw hits). A
/// second statement reads the stored sums of the values in C. Exact: a value outside C keeps its stored sum, so the
/// values outside C rank among themselves as the database ranked them, and at most |C| of the returned groups are in
/// C; every value that can end up in the top <c>offset + limit</c> was therefore read. Event lists, whose corrections
/// only add, read only the values of C that can still reach the top (<see cref="EventsToRead"/>).
/// </content>
public sealed partial class HitRollups
{
    // Values already corrected in the planner above which the full read is used (one parameter per value).
    private const int MaxTopCorrected = 1000;

    /// <summary>
    /// Reads only the groups that can reach the top of the list into <paramref name="acc"/> and returns true, or
    /// returns false with <paramref name="acc"/> unchanged when the query is not such a list or the top cannot be
    /// proven from what the statement returned (the caller then reads every group).
    /// </summary>
    private async ValueTask<bool> TryReadTopAsync(
        DbConnection connection, HitQuery query, RollupPlan plan, List<(long First, long End)> months, List<(long First, long End)> blocks,
        List<(long First, long End)> segments, SortedSet<long> unclean, RollupAccumulator acc, CancellationToken cancellationToken)
    {
        if (!plan.ByValue || plan.ValueFilter is not null || query.Limit is not { } limit || query.Dimensions.Count != 1 ||
            TopColumn(plan, query.Metrics[0]) is not { } orderColumn)
        {
            return false;
        }

        var corrected = acc.Keys();
        var visits = plan.VisitDim is not null;
        if (visits && corrected.Count > MaxTopCorrected)
        {
            return false;
        }

        var columns = visits ? "visitors, visits, bounces, duration_ms, pageviews, events" : "visitors, pageviews, events";
        var sums = visits
            ? "SUM(visitors), SUM(visits), SUM(bounces), SUM(duration_ms), SUM(pageviews), SUM(events)"
            : "SUM(visitors), SUM(pageviews), SUM(events)";
        var parameters = new DynamicParameters();
        parameters.Add("site_id", query.SiteId);
        parameters.Add("dim", visits ? plan.VisitDim : plan.EventDim);
        var rows = RowsSql(visits, columns, months, blocks, segments, unclean, parameters);

        // Groups with no events (event rows) or no visits (visit rows) are no rows of the answer (RollupAccumulator.Result).
        var wanted = (long)query.Offset + limit;
        var take = wanted + Math.Min(corrected.Count, MaxTopCorrected);
        parameters.Add("take", take);
        var top = $"SELECT value, {sums} FROM ({rows}) r GROUP BY value HAVING SUM({(visits ? "visits" : "events")}) > 0" +
                  $" ORDER BY SUM({orderColumn}) DESC, value LIMIT @take";
        if (_t.Dialect.ListQuerySetup is { } setup)
        {
            await connection.ExecuteAsync(new CommandDefinition(setup, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        try
        {
            var groups = await ReadGroupsAsync(connection, top, parameters, visits, cancellationToken).ConfigureAwait(false);
            HashSet<string> exact;
            if (visits)
            {
                // Every corrected value is read with its exact stored sums (take holds room for all of them).
                exact = corrected;
                groups.RemoveAll(g => corrected.Contains(g.Value));
            }
            else if (EventsToRead(groups, corrected, acc, orderColumn, wanted, take) is { } needed)
            {
                exact = needed;
            }
            else
            {
                return false;
            }

            if (exact.Count > MaxTopCorrected)
            {
                return false;
            }

            if (exact.Count > 0)
            {
                var names = new List<string>(exact.Count);
                foreach (var value in exact)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"c{names.Count}");
                    parameters.Add(name, value);
                    names.Add("@" + name);
                }

                var only = $" AND value IN ({string.Join(", ", names)})";
                var sql = $"SELECT value, {sums} FROM ({RowsSql(visits, columns, months, blocks, segments, unclean, parameters, only)}) r GROUP BY value";
                groups.AddRange(await ReadGroupsAsync(connection, sql, parameters, visits, cancellationToken).ConfigureAwait(false));
            }

            foreach (var (value, e, v) in groups)
            {
                if (visits)
                {
                    acc.AddVisits(value, v);
                }
                else
                {
                    acc.AddEvents(value, e);
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

        return true;
    }

    /// <summary>
    /// For an event list, whose corrections (days computed from raw hits) only add: the corrected values outside the
    /// returned <paramref name="groups"/> that can still reach the top, or null when the groups returned cannot prove
    /// it (the full read answers). A value the statement did not return has at most the last returned group's stored
    /// sum when <paramref name="take"/> groups came back, and none at all otherwise (its events summed to 0, so all its
    /// counts did); it can reach the top only if that bound plus its correction reaches the
    /// <paramref name="wanted"/>-th best answer among the values known exactly.
    /// </summary>
    private static HashSet<string>? EventsToRead(
        List<(string Value, EventCounts Events, VisitCounts Visits)> groups, HashSet<string> corrected, RollupAccumulator acc, string orderColumn, long wanted, long take)
    {
        // The values outside the corrected set rank among themselves as returned; `wanted` of them must be there.
        if (groups.Count == take && groups.Count(g => !corrected.Contains(g.Value)) < wanted)
        {
            return null;
        }

        var bound = groups.Count > 0 && groups.Count == take ? Ordered(groups[^1].Events, orderColumn) : 0; // take is 0 for Limit 0
        var returned = new HashSet<string>(StringComparer.Ordinal);
        var finals = new List<long>(groups.Count);
        foreach (var (value, events, _) in groups)
        {
            returned.Add(value);
            var total = events;
            total.Add(acc.EventsOf(value));
            if (total.Events > 0)
            {
                finals.Add(Ordered(total, orderColumn));
            }
        }

        finals.Sort((a, b) => b.CompareTo(a));
        var threshold = wanted == 0 ? long.MaxValue : finals.Count >= wanted ? finals[(int)(wanted - 1)] : long.MinValue;
        var needed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var value in corrected)
        {
            // At the threshold a value may still win on the tie-break by value: read it too.
            if (!returned.Contains(value) && bound + Ordered(acc.EventsOf(value), orderColumn) >= threshold)
            {
                needed.Add(value);
            }
        }

        return needed;
    }

    private static long Ordered(EventCounts counts, string column) =>
        column == "visitors" ? counts.Visitors : column == "pageviews" ? counts.Pageviews : counts.Events;

    /// <summary>The column a list ordered by <paramref name="metric"/> sums, or null when the metric is not additive.</summary>
    private static string? TopColumn(RollupPlan plan, HitMetric metric) =>
        metric == HitMetric.Visitors ? "visitors"
        : metric == HitMetric.Pageviews ? "pageviews"
        : metric == HitMetric.Events ? "events"
        : metric == HitMetric.Visits && plan.VisitMode ? "visits"
        : null;

    /// <summary>The stored rows of the range as one <c>UNION ALL</c>: block rows, month rows, then the day segments' rows.</summary>
    private string RowsSql(
        bool visits, string columns, List<(long First, long End)> months, List<(long First, long End)> blocks, List<(long First, long End)> segments,
        SortedSet<long> unclean, DynamicParameters parameters, string only = "")
    {
        var parts = new List<string>();
        var blockTable = visits ? BlockVisits : BlockEvents;
        for (var i = 0; i < blocks.Count; i++)
        {
            parameters.Add(string.Create(CultureInfo.InvariantCulture, $"bf{i}"), blocks[i].First);
            parameters.Add(string.Create(CultureInfo.InvariantCulture, $"be{i}"), blocks[i].End);
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"SELECT value, {columns} FROM {blockTable} WHERE site_id = @site_id AND dim = @dim AND first_day = @bf{i} AND end_day = @be{i}{only}"));
        }

        var monthTable = visits ? MonthVisits : MonthEvents;
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

        for (var i = 0; i < runs.Count; i++)
        {
            parameters.Add(string.Create(CultureInfo.InvariantCulture, $"mf{i}"), runs[i].First);
            parameters.Add(string.Create(CultureInfo.InvariantCulture, $"me{i}"), runs[i].End);
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"SELECT value, {columns} FROM {monthTable} WHERE site_id = @site_id AND dim = @dim AND month >= @mf{i} AND month < @me{i}{only}"));
        }

        var dayTable = visits ? _visits : _events;
        var skip = new StringBuilder();
        var n = 0;
        foreach (var day in unclean)
        {
            parameters.Add(string.Create(CultureInfo.InvariantCulture, $"skip{n}"), day);
            skip.Append(CultureInfo.InvariantCulture, $" AND day <> @skip{n}");
            n++;
        }

        for (var i = 0; i < segments.Count; i++)
        {
            parameters.Add(string.Create(CultureInfo.InvariantCulture, $"df{i}"), segments[i].First);
            parameters.Add(string.Create(CultureInfo.InvariantCulture, $"de{i}"), segments[i].End);
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"SELECT value, {columns} FROM {dayTable} WHERE site_id = @site_id AND dim = @dim AND day >= @df{i} AND day < @de{i}{skip}{only}"));
        }

        // A range whose every day is computed from raw hits has no stored rows: a statement that returns none.
        return parts.Count == 0 ? $"SELECT value, {columns} FROM {dayTable} WHERE 1 = 0" : string.Join(" UNION ALL ", parts);
    }

    private static async ValueTask<List<(string Value, EventCounts Events, VisitCounts Visits)>> ReadGroupsAsync(
        DbConnection connection, string sql, DynamicParameters parameters, bool visits, CancellationToken cancellationToken)
    {
        var groups = new List<(string Value, EventCounts Events, VisitCounts Visits)>();
        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var value = reader.GetString(0);
            groups.Add(visits
                ? (value, default, new VisitCounts
                {
                    Visitors = Long(reader, 1), Visits = Long(reader, 2), Bounces = Long(reader, 3),
                    DurationMs = Long(reader, 4), Pageviews = Long(reader, 5), Events = Long(reader, 6),
                })
                : (value, new EventCounts { Visitors = Long(reader, 1), Pageviews = Long(reader, 2), Events = Long(reader, 3) }, default));
        }

        return groups;
    }
}

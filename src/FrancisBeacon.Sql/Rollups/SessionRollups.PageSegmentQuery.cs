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
/// Reading the page-segment rows (SessionRollups.PageSegments.cs) for a query filtered by <c>event:page is P</c>
/// (<see cref="SessionRollupPlan.PageSegment"/>): the days of the range listed in <c>rollup_page_days</c> for P are
/// read from the rows for their untouched visitors; the touched visitors of every day (driven by their partial index)
/// and the untouched visitors of the other days go through the session route. The three parts are disjoint in
/// visitors (a visitor id lives one site-local day and is touched or not on it), so their counts add.
/// </content>
internal sealed partial class SessionRollups
{
    /// <summary>
    /// The days of [<paramref name="firstDay"/>, <paramref name="cut"/>) with page-segment rows for the plan's page, or
    /// null when the plan has no page segment, none of the days has rows, or the range is too long for day lists.
    /// </summary>
    private async ValueTask<List<long>?> PageSegmentDaysAsync(DbConnection connection, string siteId, SessionRollupPlan plan, long firstDay, long cut, CancellationToken cancellationToken)
    {
        if (plan.PageSegment is not { } page || cut - firstDay > MaxSegmentDayList)
        {
            return null;
        }

        return await ListedDaysAsync(connection, PageDays, siteId, firstDay, cut, page.Path, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The days of [<paramref name="firstDay"/>, <paramref name="cut"/>) listed in a per-day record table (page days,
    /// live days), for one <paramref name="path"/> where the table has one, ascending; null when none is.
    /// </summary>
    private static async ValueTask<List<long>?> ListedDaysAsync(DbConnection connection, string table, string siteId, long firstDay, long cut, string? path, CancellationToken cancellationToken)
    {
        var days = (await connection.QueryAsync<long>(new CommandDefinition(
            $"SELECT day FROM {table} WHERE site_id = @site_id AND day >= @first AND day < @cut" + (path is null ? string.Empty : " AND path = @path"),
            new { site_id = siteId, first = firstDay, cut, path }, cancellationToken: cancellationToken)).ConfigureAwait(false)).Order().ToList();
        return days.Count == 0 ? null : days;
    }

    /// <summary>
    /// The session route's part of a page-segment query: the touched visitors over the whole range, and the untouched
    /// visitors of the days without page-segment rows, added to <paramref name="values"/> and <paramref name="groups"/>.
    /// </summary>
    private async ValueTask ReadPageStoredAsync(
        DbConnection connection, HitQuery query, SessionRollupPlan plan, long firstDay, long endDay, long cut, List<long> pageDays,
        Dictionary<string, Counts> values, Dictionary<long, Counts> groups, CancellationToken cancellationToken)
    {
        var covered = new HashSet<long>(pageDays);
        var uncovered = new List<long>();
        for (var d = firstDay; d < cut; d++)
        {
            if (!covered.Contains(d))
            {
                uncovered.Add(d);
            }
        }

        await ReadTouchedAndDaysAsync(connection, query, plan, firstDay, endDay, cut, uncovered, values, groups, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The session route for the touched visitors over the whole range and for the untouched visitors of
    /// <paramref name="untouchedDays"/> (days without rows of the kind the query reads), added to
    /// <paramref name="values"/> and <paramref name="groups"/>; disjoint in visitors from the rows read for the other days.
    /// </summary>
    private async ValueTask ReadTouchedAndDaysAsync(
        DbConnection connection, HitQuery query, SessionRollupPlan plan, long firstDay, long endDay, long cut, List<long> untouchedDays,
        Dictionary<string, Counts> values, Dictionary<long, Counts> groups, CancellationToken cancellationToken)
    {
        var partValues = new Dictionary<string, Counts>(StringComparer.Ordinal);
        var partGroups = new Dictionary<long, Counts>();
        await ReadStoredAsync(connection, query, plan, firstDay, endDay, cut, true, partValues, partGroups, cancellationToken).ConfigureAwait(false);
        AddAll(values, partValues);
        AddAll(groups, partGroups);
        if (untouchedDays.Count > 0)
        {
            partValues.Clear();
            partGroups.Clear();
            await ReadStoredAsync(connection, query, plan, firstDay, endDay, cut, false, partValues, partGroups, cancellationToken, untouchedDays).ConfigureAwait(false);
            AddAll(values, partValues);
            AddAll(groups, partGroups);
        }
    }

    /// <summary>Adds the page-segment rows of <paramref name="pageDays"/> to the groups, as the session route counts their untouched visitors.</summary>
    private async ValueTask ReadPageSegmentsAsync(
        DbConnection connection, HitQuery query, SessionRollupPlan plan, List<long> pageDays, Dictionary<string, Counts> values, Dictionary<long, Counts> groups, CancellationToken cancellationToken)
    {
        var (path, filterDim, filterValue) = plan.PageSegment!.Value;
        var parameters = new DynamicParameters();
        parameters.Add("site_id", query.SiteId, DbType.String);
        parameters.Add("path", path, DbType.String);
        // Totals and lists read the page's blocks where every day of a block has rows (SessionRollups.PageBlocks.cs);
        // a time series needs its days.
        var blocks = plan.Dimension is { IsTime: true } ? [] : await PagePiecesAsync(connection, query.SiteId, path, pageDays, cancellationToken).ConfigureAwait(false);
        var days = DaysOutside(pageDays[0], pageDays[^1] + 1, blocks).Where(new HashSet<long>(pageDays).Contains).ToList();
        const string Counts = "visitors, visits, bounces, duration_ms, pageviews, events, session_pv";
        if (plan.VisitMode)
        {
            parameters.Add("dim", RollupDimensions.VisitCode(plan.Dimension!), DbType.Int32);
            var rows = PageRowsSql($"value, {Counts}", " AND dim = @dim", blocks, days, parameters);
            var sql = _t.GroupValuesInSql
                ? $"SELECT value, SUM(visitors), SUM(visits), SUM(bounces), SUM(duration_ms), SUM(pageviews), SUM(events), SUM(session_pv) FROM ({rows}) r GROUP BY value"
                : rows;
            await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(values, reader.GetString(0), out _);
                c.Visitors += Long(reader, 1);
                c.Visits += Long(reader, 2);
                c.Bounces += Long(reader, 3);
                c.DurationMs += Long(reader, 4);
                c.KeptPv += Long(reader, 5);
                c.KeptN += Long(reader, 6);
                c.SessionPv += Long(reader, 7);
            }

            return;
        }

        // Totals or a time series: the page's day totals (dim 0), or with a visit condition too, the row of its value.
        // Event metrics count the kept hits (those on the page) and their visitors: the same sessions' visitors.
        parameters.Add("dim", filterDim, DbType.Int32);
        parameters.Add("value", filterValue, DbType.String);
        await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
            PageRowsSql($"day, {Counts}", " AND dim = @dim AND value = @value", blocks, days, parameters), parameters, cancellationToken: cancellationToken)).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(groups, Bucket(plan, Long(reader, 0)), out _);
                c.EvVisitors += Long(reader, 1);
                c.Visits += Long(reader, 2);
                c.Bounces += Long(reader, 3);
                c.DurationMs += Long(reader, 4);
                c.EvPv += Long(reader, 5);
                c.EvN += Long(reader, 6);
                c.SessionPv += Long(reader, 7);
                c.HasEvents |= c.EvN > 0;
            }
        }
    }

    /// <summary>
    /// The page blocks of <paramref name="path"/> covering as much of the page's listed days as they can
    /// (<see cref="BlockPieces"/>): only blocks whose every day is in <paramref name="pageDays"/> (sorted), so a block
    /// answers exactly for days that have rows.
    /// </summary>
    private async ValueTask<List<(long First, long End)>> PagePiecesAsync(DbConnection connection, string siteId, string path, List<long> pageDays, CancellationToken cancellationToken)
    {
        if (pageDays.Count < 7)
        {
            return [];
        }

        var first = pageDays[0];
        var cut = pageDays[^1] + 1;
        var listed = new HashSet<long>(pageDays);
        var ready = new Dictionary<long, List<long>>();
        foreach (var (f, e) in await connection.QueryAsync<(long First, long End)>(new CommandDefinition(
                     $"SELECT first_day, end_day FROM {PageBlocks} WHERE site_id = @site_id AND path = @path AND first_day >= @first AND first_day < @cut",
                     new { site_id = siteId, path, first, cut }, cancellationToken: cancellationToken)).ConfigureAwait(false))
        {
            if (e <= cut && AllDays((f, e), listed))
            {
                if (!ready.TryGetValue(f, out var ends))
                {
                    ready[f] = ends = [];
                }

                ends.Add(e);
            }
        }

        return ready.Count == 0 ? [] : BlockPieces(ready, first, cut);
    }

    /// <summary>
    /// The page rows of the pieces as one statement: one <c>UNION ALL</c> part per block (an exact key range each) and one
    /// for the days outside them (an equality range per day). A block row's <c>day</c> is its first day (totals only).
    /// </summary>
    private string PageRowsSql(string columns, string condition, List<(long First, long End)> blocks, List<long> days, DynamicParameters parameters)
    {
        var parts = new List<string>();
        var blockColumns = columns.Replace("day,", "first_day,", StringComparison.Ordinal);
        for (var i = 0; i < blocks.Count; i++)
        {
            parameters.Add(string.Create(CultureInfo.InvariantCulture, $"pbf{i}"), blocks[i].First, DbType.Int64);
            parameters.Add(string.Create(CultureInfo.InvariantCulture, $"pbe{i}"), blocks[i].End, DbType.Int64);
            parts.Add(string.Create(CultureInfo.InvariantCulture,
                $"SELECT {blockColumns} FROM {PageBlockVisits} WHERE site_id = @site_id AND first_day = @pbf{i} AND end_day = @pbe{i} AND path = @path{condition}"));
        }

        if (days.Count > 0)
        {
            parts.Add($"SELECT {columns} FROM {PageVisits} WHERE site_id = @site_id{DayList("day", days, parameters)} AND path = @path{condition}");
        }

        return parts.Count == 0 ? $"SELECT {columns} FROM {PageVisits} WHERE 1 = 0" : string.Join(" UNION ALL ", parts);
    }

    /// <summary><c> AND column IN (@pd0, …)</c> over <paramref name="days"/>, their parameters added.</summary>
    private static string DayList(string column, IReadOnlyList<long> days, DynamicParameters parameters)
    {
        var names = new List<string>(days.Count);
        for (var i = 0; i < days.Count; i++)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"pd{i}");
            parameters.Add(name, days[i], DbType.Int64);
            names.Add("@" + name);
        }

        return $" AND {column} IN ({string.Join(", ", names)})";
    }

    private static void AddAll<TKey>(Dictionary<TKey, Counts> into, Dictionary<TKey, Counts> part)
        where TKey : notnull
    {
        foreach (var (key, counts) in part)
        {
            ref var c = ref CollectionsMarshal.GetValueRefOrAddDefault(into, key, out _);
            Add(ref c, counts);
        }
    }
}

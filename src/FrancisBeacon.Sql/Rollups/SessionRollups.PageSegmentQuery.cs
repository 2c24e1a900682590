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

        var days = (await connection.QueryAsync<long>(new CommandDefinition(
            $"SELECT day FROM {PageDays} WHERE site_id = @site_id AND day >= @first AND day < @cut AND path = @path",
            new { site_id = siteId, first = firstDay, cut, path = page.Path }, cancellationToken: cancellationToken)).ConfigureAwait(false)).Order().ToList();
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
        var partValues = new Dictionary<string, Counts>(StringComparer.Ordinal);
        var partGroups = new Dictionary<long, Counts>();
        await ReadStoredAsync(connection, query, plan, firstDay, endDay, cut, true, partValues, partGroups, cancellationToken).ConfigureAwait(false);
        AddAll(values, partValues);
        AddAll(groups, partGroups);

        var covered = new HashSet<long>(pageDays);
        var uncovered = new List<long>();
        for (var d = firstDay; d < cut; d++)
        {
            if (!covered.Contains(d))
            {
                uncovered.Add(d);
            }
        }

        if (uncovered.Count > 0)
        {
            partValues.Clear();
            partGroups.Clear();
            await ReadStoredAsync(connection, query, plan, firstDay, endDay, cut, false, partValues, partGroups, cancellationToken, uncovered).ConfigureAwait(false);
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
        var days = DayList("day", pageDays, parameters);
        const string Counts = "visitors, visits, bounces, duration_ms, pageviews, events, session_pv";
        if (plan.VisitMode)
        {
            parameters.Add("dim", RollupDimensions.VisitCode(plan.Dimension!), DbType.Int32);
            var rows = $"SELECT value, {Counts} FROM {PageVisits} WHERE site_id = @site_id{days} AND path = @path AND dim = @dim";
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
            $"SELECT day, {Counts} FROM {PageVisits} WHERE site_id = @site_id{days} AND path = @path AND dim = @dim AND value = @value",
            parameters, cancellationToken: cancellationToken)).ConfigureAwait(false))
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

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Dapper;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// The build path of a day: reading its hits (typed reader access, no boxing) and writing all its rollup rows — day
/// rows, links and session rows — in one transaction, in chunks the store inserts in bulk
/// (<see cref="RollupTables.InsertRows"/>: SQLite binds a prepared statement by position, PostgreSQL uses binary
/// <c>COPY</c>).
/// </content>
public sealed partial class HitRollups
{
    private static readonly string[] EventColumns = ["site_id", "day", "dim", "value", "visitors", "pageviews", "events"];

    private static readonly RollupColumnType[] EventTypes =
        [RollupColumnType.Text, RollupColumnType.ShortNumber, RollupColumnType.ShortNumber, RollupColumnType.Text, RollupColumnType.Number, RollupColumnType.Number, RollupColumnType.Number];

    private static readonly string[] VisitColumns = ["site_id", "day", "dim", "value", "visitors", "visits", "bounces", "duration_ms", "pageviews", "events"];

    private static readonly RollupColumnType[] VisitTypes =
    [
        RollupColumnType.Text, RollupColumnType.ShortNumber, RollupColumnType.ShortNumber, RollupColumnType.Text, RollupColumnType.Number, RollupColumnType.Number,
        RollupColumnType.Number, RollupColumnType.Number, RollupColumnType.Number, RollupColumnType.Number,
    ];

    private static readonly string EventDims = $" AND dim IN ({string.Join(", ", Enumerable.Range(0, RollupDimensions.Event.Length + 1))})";

    private static readonly string VisitDims = $" AND dim IN ({string.Join(", ", Enumerable.Range(0, RollupDimensions.Visit.Length + 1))})";

    private static readonly string[] LinkColumns = ["site_id", "day", "n", "data"];

    private static readonly RollupColumnType[] LinkTypes = [RollupColumnType.Text, RollupColumnType.ShortNumber, RollupColumnType.ShortNumber, RollupColumnType.Text];

    private ValueTask<List<RollupHit>> ReadDayAsync(DbConnection connection, string siteId, long day, TimeZoneInfo zone, CancellationToken cancellationToken) =>
        ReadDayAsync(connection, siteId, day, zone, null, null, cancellationToken);

    // The day's hits, or those of the given visitors only; with maxSeq, only the hits up to that insertion order (the
    // rollup worker's pass: HitRollups.Upkeep.cs).
    private async ValueTask<List<RollupHit>> ReadDayAsync(DbConnection connection, string siteId, long day, TimeZoneInfo zone, long[]? visitors, long? maxSeq, CancellationToken cancellationToken)
    {
        var from = DateTimeOffset.FromUnixTimeMilliseconds(StartOfDayMs(day, zone));
        var to = DateTimeOffset.FromUnixTimeMilliseconds(StartOfDayMs(day + 1, zone));
        var hits = new List<RollupHit>();
        var parameters = new DynamicParameters(new { site_id = siteId, from_ts = _t.Dialect.TimestampValue(from), to_ts = _t.Dialect.TimestampValue(to), not_set = HitDimension.NotSet });
        var sql = _readDay;
        if (maxSeq is { } top && _t.InsertionOrder is { } order)
        {
            parameters.Add("max_seq", top);
            sql += $" AND {order} <= @max_seq";
        }

        if (visitors is not null)
        {
            // One parameter per id (Dapper would pass an array to Npgsql, which needs "= ANY" for it).
            for (var i = 0; i < visitors.Length; i++)
            {
                parameters.Add(string.Create(CultureInfo.InvariantCulture, $"v{i}"), visitors[i]);
            }

            sql += " AND visitor_id IN (" + string.Join(", ", visitors.Select((_, i) => string.Create(CultureInfo.InvariantCulture, $"@v{i}"))) + ")";
        }

        await using var reader = await connection.ExecuteReaderAsync(new CommandDefinition(sql, parameters, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var attributeCount = RollupDimensions.Attributes.Length;
        // One copy of each distinct string and attribute tuple: a day's hits are held in memory (RollupInterner).
        var interner = new RollupInterner();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var attributes = interner.Buffer(attributeCount);
            for (var i = 0; i < attributeCount; i++)
            {
                attributes[i] = interner.String(reader.GetString(6 + i));
            }

            hits.Add(new RollupHit(
                reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetInt64(2),
                interner.String(reader.GetString(3)), interner.String(reader.GetString(4)), interner.String(reader.GetString(5)), interner.Tuple(attributes),
                _t.Dialect.ReadId(reader, 6 + attributeCount)));
        }

        return hits;
    }

    /// <summary>
    /// The part of the day before <paramref name="day"/> that its links need: the sessions of the visitors that
    /// <paramref name="hits"/> (the day's hits) name as their previous visitor, cut from their raw hits. Only for linking;
    /// its counts are not the day's.
    /// </summary>
    private ValueTask<RollupDay> LinkedDayBeforeAsync(DbConnection connection, string siteId, long day, TimeZoneInfo zone, List<RollupHit> hits, CancellationToken cancellationToken) =>
        LinkedDayBeforeAsync(connection, siteId, day, zone, hits, null, cancellationToken);

    private async ValueTask<RollupDay> LinkedDayBeforeAsync(DbConnection connection, string siteId, long day, TimeZoneInfo zone, List<RollupHit> hits, long? maxSeq, CancellationToken cancellationToken) =>
        RollupDay.Compute(day - 1, await ReadLinkedVisitorsAsync(connection, siteId, day - 1, zone, hits, maxSeq, cancellationToken).ConfigureAwait(false), null, TimeoutMs);

    /// <summary>
    /// Reads the hits of <paramref name="day"/> of the visitors that the hits of the next day (<paramref name="next"/>)
    /// name as their previous visitor: all that the next day's links to sessions of this day depend on (the linked
    /// sessions, and the other sessions of their visitors), when this day itself is not being rebuilt.
    /// </summary>
    private async ValueTask<List<RollupHit>> ReadLinkedVisitorsAsync(DbConnection connection, string siteId, long day, TimeZoneInfo zone, List<RollupHit> next, long? maxSeq, CancellationToken cancellationToken)
    {
        var ids = new SortedSet<long>();
        foreach (var hit in next)
        {
            if (hit.PreviousVisitorId is { } id)
            {
                ids.Add(id);
            }
        }

        var hits = new List<RollupHit>();
        foreach (var chunk in ids.Chunk(500))
        {
            hits.AddRange(await ReadDayAsync(connection, siteId, day, zone, chunk, maxSeq, cancellationToken).ConfigureAwait(false));
        }

        return hits;
    }

    /// <summary>
    /// Replaces every rollup row of <paramref name="day"/> (day rows, links, session rows) in one transaction (with
    /// <see cref="RollupTables.SplitPoint"/>: in chunks that the store may commit separately, the day answered from the raw
    /// hits meanwhile); with
    /// <paramref name="mark"/> (the insertion order its hits were read up to), records it as the day's upkeep mark unless a
    /// purge changed the upkeep epoch since the pass read <paramref name="epoch"/>. A <paramref name="live"/> day gets no
    /// segment and page-segment rows (SessionRollups.LiveDays.cs).
    /// </summary>
    private async ValueTask WriteDayAsync(DbConnection connection, string siteId, RollupDay day, RollupDay? previous, TimeZoneInfo zone, long? mark, long epoch, bool live, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
        if (mark is { } read && await StoredMarkAsync(connection, transaction, siteId, day.Day, cancellationToken).ConfigureAwait(false) > read)
        {
            return; // another worker stored this day from a later read (its dirty marks may be cleared already): keep it
        }

        var key = new { site_id = siteId, day = day.Day };
        // SQLite: recorded as being rebuilt, then rewritten in chunks the store may commit separately (HitRollups.Split.cs).
        var token = SplitsDays ? await BeginSplitDayAsync(connection, transaction, siteId, day.Day, zone, cancellationToken).ConfigureAwait(false) : 0;
        // The day tables' keys start with (site_id, dim, day): with every dim listed, the delete seeks each (dim, day)
        // instead of scanning all the site's rows (which made a first build quadratic in the number of days).
        foreach (var (table, dims) in new[] { (_events, EventDims), (_visits, VisitDims), (_links, string.Empty) }.Concat(_sessions.TableNames.Select(t => (t, string.Empty))))
        {
            if (SplitsDays)
            {
                await DeleteDaysInChunksAsync(connection, transaction, table, dims, siteId, day.Day, day.Day, cancellationToken).ConfigureAwait(false);
                continue;
            }

            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {table} WHERE site_id = @site_id{dims} AND day = @day", key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        var events = new RollupRows(_events, EventColumns, EventTypes, Math.Clamp(day.Events.Count, 1, 4096));
        foreach (var ((dim, value), counts) in day.Events)
        {
            var r = await events.AddAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
            events.Set(r, 0, siteId);
            events.Set(r, 1, day.Day);
            events.Set(r, 2, dim);
            events.Set(r, 3, value);
            events.Set(r, 4, counts.Visitors);
            events.Set(r, 5, counts.Pageviews);
            events.Set(r, 6, counts.Events);
        }

        await events.FlushAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
        var visits = new RollupRows(_visits, VisitColumns, VisitTypes, Math.Clamp(day.Visits.Count, 1, 4096));
        foreach (var ((dim, value), counts) in day.Visits)
        {
            var r = await visits.AddAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
            visits.Set(r, 0, siteId);
            visits.Set(r, 1, day.Day);
            visits.Set(r, 2, dim);
            visits.Set(r, 3, value);
            visits.Set(r, 4, counts.Visitors);
            visits.Set(r, 5, counts.Visits);
            visits.Set(r, 6, counts.Bounces);
            visits.Set(r, 7, counts.DurationMs);
            visits.Set(r, 8, counts.Pageviews);
            visits.Set(r, 9, counts.Events);
        }

        await visits.FlushAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
        if (day.Links.Count > 0)
        {
            var links = new RollupRows(_links, LinkColumns, LinkTypes, Math.Clamp(day.Links.Count, 1, 4096));
            for (var n = 0; n < day.Links.Count; n++)
            {
                var r = await links.AddAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
                links.Set(r, 0, siteId);
                links.Set(r, 1, day.Day);
                links.Set(r, 2, n);
                links.Set(r, 3, JsonSerializer.Serialize(day.Links[n], RollupJsonContext.Default.RollupLink));
            }

            await links.FlushAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
        }

        await _sessions.WriteDayAsync(connection, transaction, siteId, day, previous, zone, live, cancellationToken).ConfigureAwait(false);
        if (SplitsDays)
        {
            await EndSplitDayAsync(connection, transaction, siteId, day.Day, token, cancellationToken).ConfigureAwait(false);
        }

        // No mark after a purge since the pass began (its top may count hits handed a freed rowid): rebuilt whole next time.
        if (mark is { } seq && await EpochAsync(connection, transaction, cancellationToken).ConfigureAwait(false) == epoch)
        {
            await SetMarkAsync(connection, transaction, siteId, day.Day, seq, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }
}

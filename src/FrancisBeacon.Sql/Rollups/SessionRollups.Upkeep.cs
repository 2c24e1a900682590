// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using System.Globalization;
using Dapper;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>
/// A session of one visitor and day as the incremental upkeep handles it: read back from its stored rows
/// (<c>rollup_sessions</c> and its folded hits in <c>rollup_session_hits</c>), or extended or started by new hits.
/// Everything a visitor contributes to the day rows and the segment rows follows from these fields.
/// </summary>
internal sealed class UpkeepSession
{
    public required long VisitorId { get; init; }

    public required long Start { get; init; }

    public long End { get; set; }

    public long Pageviews { get; set; }

    public long Events { get; set; }

    public required string Entry { get; init; }

    public string Exit { get; set; } = string.Empty;

    public required string[] Attributes { get; init; }

    /// <summary>Stored with a link to the day before (<c>prev</c> = 1 or <c>t_vid</c> set): the upkeep leaves such visitors to a whole rebuild.</summary>
    public bool Linked { get; init; }

    /// <summary>Stored <c>touched</c> flag (SessionRollups.Segments.cs).</summary>
    public bool Touched { get; init; }

    /// <summary>The session's hits folded per distinct (page, event name, host), as in <c>rollup_session_hits</c>.</summary>
    public List<UpkeepHit> Hits { get; } = [];

    public UpkeepSession Clone()
    {
        var copy = new UpkeepSession
        {
            VisitorId = VisitorId, Start = Start, End = End, Pageviews = Pageviews, Events = Events, Entry = Entry, Exit = Exit,
            Attributes = Attributes, Linked = Linked, Touched = Touched,
        };
        foreach (var h in Hits)
        {
            copy.Hits.Add(new UpkeepHit { Path = h.Path, EventName = h.EventName, Hostname = h.Hostname, Pageviews = h.Pageviews, Events = h.Events });
        }

        return copy;
    }

    /// <summary>Adds one hit at the session's end (the caller checked it sorts after every hit of the session).</summary>
    public void Append(RollupHit hit)
    {
        var pageview = string.Equals(hit.EventName, Hit.PageviewEvent, StringComparison.Ordinal) ? 1 : 0;
        End = hit.Ms;
        Exit = hit.Path;
        Events++;
        Pageviews += pageview;
        foreach (var h in Hits)
        {
            if (string.Equals(h.Path, hit.Path, StringComparison.Ordinal) && string.Equals(h.EventName, hit.EventName, StringComparison.Ordinal) &&
                string.Equals(h.Hostname, hit.Hostname, StringComparison.Ordinal))
            {
                h.Events++;
                h.Pageviews += pageview;
                return;
            }
        }

        Hits.Add(new UpkeepHit { Path = hit.Path, EventName = hit.EventName, Hostname = hit.Hostname, Pageviews = pageview, Events = 1 });
    }

    public string[] Values()
    {
        var values = new string[RollupDimensions.Visit.Length];
        values[0] = Entry;
        values[1] = Exit;
        Array.Copy(Attributes, 0, values, 2, Attributes.Length);
        return values;
    }
}

/// <summary>One folded session-hit row: a distinct (page, event name, host) of a session with its counts.</summary>
internal sealed class UpkeepHit
{
    public required string Path { get; init; }

    public required string EventName { get; init; }

    public required string Hostname { get; init; }

    public long Pageviews { get; set; }

    public long Events { get; set; }
}

/// <content>
/// The incremental upkeep's share of the session rollups (HitRollups.Upkeep.cs): reading the stored sessions of the
/// visitors with new hits, the signed contributions of a visitor's sessions to the day rows and the segment rows, the
/// rewrite of those visitors' session rows, and applying a delta to a table of additive rows (DELETE and INSERT of the
/// changed keys: the app's role needs no UPDATE).
/// </content>
internal sealed partial class SessionRollups
{
    /// <summary>The columns <see cref="ReadUpkeepSession"/> reads first, in its order: a stored session row without its links.</summary>
    /// <remarks>A property, not a static field: <c>AttributeCount</c> is a static field of another part of the class.</remarks>
    private static string UpkeepSessionColumns => "vid, start_ms, end_ms, pv, n, entry_path, exit_path"
        + string.Concat(Enumerable.Range(0, AttributeCount).Select(i => string.Create(CultureInfo.InvariantCulture, $", a{i}")));

    /// <summary>
    /// A stored session row selected as <see cref="UpkeepSessionColumns"/>, followed (<paramref name="withLinks"/>) by
    /// <c>prev, t_vid, touched</c>.
    /// </summary>
    private static UpkeepSession ReadUpkeepSession(DbDataReader reader, bool withLinks)
    {
        var values = new string[AttributeCount];
        for (var i = 0; i < AttributeCount; i++)
        {
            values[i] = reader.GetString(7 + i);
        }

        return new UpkeepSession
        {
            VisitorId = reader.GetInt64(0), Start = reader.GetInt64(1), End = reader.GetInt64(2), Pageviews = reader.GetInt64(3), Events = reader.GetInt64(4),
            Entry = reader.GetString(5), Exit = reader.GetString(6), Attributes = values,
            Linked = withLinks && (reader.GetInt64(7 + AttributeCount) != 0 || !reader.IsDBNull(8 + AttributeCount)),
            Touched = withLinks && reader.GetInt64(9 + AttributeCount) != 0,
        };
    }

    /// <summary>The stored sessions of <paramref name="visitors"/> on <paramref name="day"/>, per visitor in start order.</summary>
    public async ValueTask<Dictionary<long, List<UpkeepSession>>> ReadVisitorSessionsAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, IReadOnlyList<long> visitors, CancellationToken cancellationToken)
    {
        var result = new Dictionary<long, List<UpkeepSession>>();
        var byKey = new Dictionary<(long, long), UpkeepSession>();
        foreach (var chunk in visitors.Chunk(VisitorChunk))
        {
            var (inList, parameters) = VisitorList(siteId, day, chunk);
            await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
                $"SELECT {UpkeepSessionColumns}, prev, t_vid, touched FROM {_sessions} WHERE site_id = @site_id AND day = @day AND vid IN ({inList}) ORDER BY vid, start_ms",
                parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var s = ReadUpkeepSession(reader, withLinks: true);
                    if (!result.TryGetValue(s.VisitorId, out var list))
                    {
                        result[s.VisitorId] = list = [];
                    }

                    list.Add(s);
                    byKey[(s.VisitorId, s.Start)] = s;
                }
            }

            await using (var reader = await connection.ExecuteReaderAsync(new CommandDefinition(
                $"SELECT vid, start_ms, path, event_name, hostname, pv, n FROM {_hits} WHERE site_id = @site_id AND day = @day AND vid IN ({inList})",
                parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false))
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
        }

        return result;
    }

    /// <summary>
    /// Deletes the stored session rows of <paramref name="visitors"/> (those whose stored rows changed) on <paramref name="day"/> and writes
    /// <paramref name="sessions"/>: all sessions of those visitors and the new sessions of the others (none of them linked across
    /// midnight: the upkeep leaves those to a whole rebuild).
    /// </summary>
    public async ValueTask WriteVisitorSessionsAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, IReadOnlyList<long> visitors,
        List<UpkeepSession> sessions, HashSet<long> touched, long nextDayStart, CancellationToken cancellationToken)
    {
        foreach (var chunk in visitors.Chunk(VisitorChunk))
        {
            var (inList, parameters) = VisitorList(siteId, day, chunk);
            foreach (var table in new[] { _sessions, _hits }.Concat(TouchedSessionTables))
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    $"DELETE FROM {table} WHERE site_id = @site_id AND day = @day AND vid IN ({inList})", parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            }
        }

        sessions.Sort(static (x, y) => x.VisitorId != y.VisitorId ? x.VisitorId.CompareTo(y.VisitorId) : x.Start.CompareTo(y.Start));
        var sessionRows = new RollupRows(_sessions, SessionColumns, SessionTypes, Math.Clamp(sessions.Count, 1, ChunkRows));
        var hitRows = new RollupRows(_hits, HitColumns, HitTypes, ChunkRows);
        foreach (var s in sessions)
        {
            var isTouched = touched.Contains(s.VisitorId) ? 1L : 0L;
            var r = await sessionRows.AddAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
            sessionRows.Set(r, 0, siteId);
            sessionRows.Set(r, 1, day);
            sessionRows.Set(r, 2, s.VisitorId);
            sessionRows.Set(r, 3, s.Start);
            sessionRows.Set(r, 4, s.End);
            sessionRows.Set(r, 5, s.Pageviews);
            sessionRows.Set(r, 6, s.Events);
            sessionRows.Set(r, 7, s.Entry);
            sessionRows.Set(r, 8, s.Exit);
            for (var i = 0; i < AttributeCount; i++)
            {
                sessionRows.Set(r, 9 + i, s.Attributes[i]);
            }

            sessionRows.Set(r, PrevColumn, 0L);
            sessionRows.Set(r, TouchedColumn, isTouched);
            if (s.End > nextDayStart - TimeoutMs)
            {
                sessionRows.Set(r, PrevColumn + 1, s.VisitorId);
            }

            foreach (var h in s.Hits)
            {
                var k = await hitRows.AddAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
                hitRows.Set(k, 0, siteId);
                hitRows.Set(k, 1, day);
                hitRows.Set(k, 2, s.VisitorId);
                hitRows.Set(k, 3, s.Start);
                hitRows.Set(k, 4, h.Path);
                hitRows.Set(k, 5, h.EventName);
                hitRows.Set(k, 6, h.Hostname);
                hitRows.Set(k, 7, h.Pageviews);
                hitRows.Set(k, 8, h.Events);
                hitRows.Set(k, 9, isTouched);
            }
        }

        await sessionRows.FlushAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
        await hitRows.FlushAsync(_t, connection, transaction, cancellationToken).ConfigureAwait(false);
        await CopyTouchedSessionsAsync(connection, transaction, siteId, day, touched, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds <paramref name="sign"/> times one visitor's contribution (all its sessions of the day) to the day rows'
    /// deltas and, for an untouched visitor, to the segment rows' deltas: exactly what <see cref="RollupDay.Compute"/>
    /// and the segment writer count for that visitor (its distinct values once, its hits and sessions in full).
    /// </summary>
    public static void AddContribution(UpkeepDelta delta, List<UpkeepSession> sessions, bool touched, int sign)
    {
        AddPageContribution(delta, sessions, touched, sign);
        delta.SeenEvents.Clear();
        delta.SeenVisits.Clear();
        // One session names each visit key once (they differ by dim or filter): no set of seen keys to keep.
        var seenVisits = sessions.Count == 1 ? null : delta.SeenVisits;
        var strings = delta.Strings;
        Span<int> values = stackalloc int[RollupDimensions.Visit.Length];
        var hitIds = delta.HitIds;
        foreach (var s in sessions)
        {
            // Each string of the session numbered once; the keys below are integers.
            hitIds.Clear();
            foreach (var h in s.Hits)
            {
                hitIds.Add((strings.Id(h.Path), strings.Id(h.EventName), strings.Id(h.Hostname)));
            }

            values[0] = strings.Id(s.Entry);
            values[1] = strings.Id(s.Exit);
            for (var i = 0; i < s.Attributes.Length; i++)
            {
                values[i + 2] = strings.Id(s.Attributes[i]);
            }

            if (!delta.SegmentsOnly)
            {
                for (var j = 0; j < hitIds.Count; j++)
                {
                    AddEventDeltas(delta.EventTable, delta.SeenEvents, -1, 0, hitIds[j], s.Hits[j], sign);
                }

                AddVisitDeltas(delta.VisitTable, seenVisits, -1, 0, values, s, sign);
            }

            if (touched)
            {
                continue;
            }

            for (var f = 0; f < SegmentAttributes.Length; f++)
            {
                var code = f + 1;
                if (!KeptSegments[f] && string.Equals(s.Attributes[SegmentAttributes[f]], HitDimension.NotSet, StringComparison.Ordinal))
                {
                    continue;
                }

                var fvalue = values[SegmentAttributes[f] + 2];
                AddVisitDeltas(delta.SegmentVisitTable, seenVisits, code, fvalue, values, s, sign);
                for (var j = 0; j < hitIds.Count; j++)
                {
                    AddEventDeltas(delta.SegmentEventTable, delta.SeenEvents, code, fvalue, hitIds[j], s.Hits[j], sign);
                }
            }
        }
    }

    /// <summary>Applies the segment rows' deltas of a day; false when a row would go negative (the caller then rebuilds the day whole).</summary>
    public async ValueTask<bool> ApplySegmentDeltaAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, UpkeepDelta delta, CancellationToken cancellationToken) =>
        await ApplyDeltaAsync(_t, connection, transaction, _segmentEvents, SegmentEventColumns, SegmentEventTypes, siteId, day, delta.SegmentEvents, 2, cancellationToken).ConfigureAwait(false) &&
        await ApplyDeltaAsync(_t, connection, transaction, _segmentVisits, SegmentVisitColumns, SegmentVisitTypes, siteId, day, delta.SegmentVisits, 1, cancellationToken).ConfigureAwait(false) &&
        await ApplyPageDeltaAsync(connection, transaction, siteId, day, delta, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Adds <paramref name="delta"/> (key → per value column) to the rows of <paramref name="table"/> for one day: reads the
    /// changed keys' rows, deletes them and inserts the sums, leaving out the rows whose count in value column
    /// <paramref name="countColumn"/> falls to zero. <paramref name="columns"/>: site_id, day, the key columns (dim, value; or
    /// fdim, fvalue, dim, value), then the value columns. Returns false (nothing written) when a sum would be negative or
    /// a zero-count row would keep another count: the stored rows did not hold what the delta was taken against.
    /// </summary>
    public static async ValueTask<bool> ApplyDeltaAsync(RollupTables tables, DbConnection connection, DbTransaction transaction, string table, string[] columns, RollupColumnType[] types,
        string siteId, long day, Dictionary<SegmentKey, long[]> delta, int countColumn, CancellationToken cancellationToken)
    {
        if (tables.ApplyDeltaRows is { } apply)
        {
            return await ApplyDeltaRowsAsync(apply, connection, transaction, table, columns, types, siteId, day, delta, countColumn, cancellationToken).ConfigureAwait(false);
        }

        if (tables.ArrayInsert)
        {
            return await ApplyDeltaByArraysAsync(tables, connection, transaction, table, columns, types, siteId, day, delta, countColumn, cancellationToken).ConfigureAwait(false);
        }

        var (segment, page, firstValue) = KeyShape(columns);
        var valueCount = columns.Length - firstValue;
        var rows = new List<(SegmentKey Key, long[] Values)>();

        // One statement per changed key, prepared once: it seeks the key (an OR of many keys made SQLite scan the
        // site's rows) and returns the row it deletes, whose sums are inserted again below.
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"DELETE FROM {table} WHERE site_id = @site_id AND day = @day{(segment ? " AND fdim = @fdim AND fvalue = @fvalue" : page ? " AND path = @fvalue" : string.Empty)}" +
                              $" AND dim = @dim AND value = @value RETURNING {string.Join(", ", columns.Skip(firstValue))}";
        Parameter(command, "site_id", siteId);
        Parameter(command, "day", day);
        var fdim = segment ? Parameter(command, "fdim", 0L) : null;
        var fvalue = segment || page ? Parameter(command, "fvalue", string.Empty) : null;
        var dim = Parameter(command, "dim", 0L);
        var value = Parameter(command, "value", string.Empty);
        foreach (var (key, d) in delta)
        {
            if (Array.TrueForAll(d, v => v == 0))
            {
                continue;
            }

            if (segment)
            {
                fdim!.Value = (long)key.Fdim;
            }

            if (segment || page)
            {
                fvalue!.Value = key.Fvalue;
            }

            dim.Value = (long)key.Dim;
            value.Value = key.Value;
            var sums = new long[valueCount];
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    for (var i = 0; i < valueCount; i++)
                    {
                        sums[i] = RollupReader.Long(reader, i);
                    }
                }
            }

            switch (AddDelta(sums, d, countColumn))
            {
                case null:
                    return false;
                case false:
                    continue;
            }

            rows.Add((key, sums));
        }

        if (rows.Count == 0)
        {
            return true;
        }

        var insert = new RollupRows(table, columns, types, Math.Clamp(rows.Count, 1, ChunkRows));
        foreach (var (key, values) in rows)
        {
            SetRow(insert, await insert.AddAsync(tables, connection, transaction, cancellationToken).ConfigureAwait(false), siteId, day, key, segment, page, values, valueCount);
        }

        await insert.FlushAsync(tables, connection, transaction, cancellationToken).ConfigureAwait(false);
        return true;
    }

    // Visitor ids per statement: a JSON list is one parameter, a list of parameters is bounded by the drivers.
    private int VisitorChunk => _t.JsonIdLists ? 10_000 : 500;

    private static DbParameter Parameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name; // with its prefix: Microsoft.Data.Sqlite binds it without trying prefixes
        parameter.Value = value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private (string InList, DynamicParameters Parameters) VisitorList(string siteId, long day, long[] visitors)
    {
        if (_t.JsonIdLists)
        {
            // One parameter: binding hundreds of named ones costs SQLite a scan of the names per parameter.
            var json = new DynamicParameters(new { site_id = siteId, day, vids = "[" + string.Join(',', visitors.Select(v => v.ToString(CultureInfo.InvariantCulture))) + "]" });
            return ("SELECT value FROM json_each(@vids)", json);
        }

        var parameters = new DynamicParameters(new { site_id = siteId, day });
        for (var i = 0; i < visitors.Length; i++)
        {
            parameters.Add(string.Create(CultureInfo.InvariantCulture, $"v{i}"), visitors[i]);
        }

        return (string.Join(", ", visitors.Select((_, i) => string.Create(CultureInfo.InvariantCulture, $"@v{i}"))), parameters);
    }

    // The four event keys of one folded hit (dims 0..3: all, page, event name, host) under filter (fdim, fvalue).
    private static void AddEventDeltas(DeltaTable rows, HashSet<long> seen, int fdim, int fvalue, (int Path, int EventName, int Hostname) ids, UpkeepHit hit, int sign)
    {
        AddEventDelta(rows, seen, DeltaTable.Key(fdim, fvalue, 0, 0), hit, sign);
        AddEventDelta(rows, seen, DeltaTable.Key(fdim, fvalue, 1, ids.Path), hit, sign);
        AddEventDelta(rows, seen, DeltaTable.Key(fdim, fvalue, 2, ids.EventName), hit, sign);
        AddEventDelta(rows, seen, DeltaTable.Key(fdim, fvalue, 3, ids.Hostname), hit, sign);
    }

    private static void AddEventDelta(DeltaTable rows, HashSet<long> seen, long key, UpkeepHit hit, int sign)
    {
        var counts = rows.Slot(key, out _);
        if (seen.Add(key))
        {
            counts[0] += sign;
        }

        counts[1] += sign * hit.Pageviews;
        counts[2] += sign * hit.Events;
    }

    // The visit keys of one session (dim 0, then every visit dimension with its value) under filter (fdim, fvalue).
    private static void AddVisitDeltas(DeltaTable rows, HashSet<long>? seen, int fdim, int fvalue, ReadOnlySpan<int> values, UpkeepSession session, int sign)
    {
        var bounce = session.Events == 1 && session.Pageviews == 1 ? sign : 0;
        var duration = sign * (session.End - session.Start);
        var pageviews = sign * session.Pageviews;
        var events = sign * session.Events;
        for (var dim = 0; dim <= values.Length; dim++)
        {
            var key = DeltaTable.Key(fdim, fvalue, dim, dim == 0 ? 0 : values[dim - 1]);
            var counts = rows.Slot(key, out _);
            if (seen is null || seen.Add(key))
            {
                counts[0] += sign;
            }

            counts[1] += sign;
            counts[2] += bounce;
            counts[3] += duration;
            counts[4] += pageviews;
            counts[5] += events;
        }
    }

    /// <summary>The signed changes of one day's rows that the incremental upkeep collects before writing them.</summary>
    internal sealed class UpkeepDelta
    {
        /// <summary>rollup_events: (dim, value) with Fdim -1 → visitors, pageviews, events.</summary>
        public Dictionary<SegmentKey, long[]> Events => EventTable.ToKeys(Strings);

        /// <summary>rollup_visits: (dim, value) with Fdim -1 → visitors, visits, bounces, duration, pageviews, events.</summary>
        public Dictionary<SegmentKey, long[]> Visits => VisitTable.ToKeys(Strings);

        public Dictionary<SegmentKey, long[]> SegmentEvents => SegmentEventTable.ToKeys(Strings);

        public Dictionary<SegmentKey, long[]> SegmentVisits => SegmentVisitTable.ToKeys(Strings);

        /// <summary>rollup_page_visits: (0, path, dim, value) → visitors, visits, bounces, duration, kept pageviews, kept events, session pageviews.</summary>
        public Dictionary<SegmentKey, long[]> PageVisits { get; } = [];

        /// <summary>Only the segment and page-segment rows are summed (a live day's rows derived from its sessions: SessionRollups.LiveDays.cs).</summary>
        public bool SegmentsOnly { get; init; }

        /// <summary>The day's pages with page-segment rows (SessionRollups.PageSegments.cs): the only ones whose rows a delta changes.</summary>
        public HashSet<string> CoveredPages { get; set; } = [];

        internal HashSet<SegmentKey> SeenPages { get; } = [];

        // The sums by integer key (SessionRollups.DeltaKeys.cs); the dictionaries above are built from them once, after the last sum.
        internal DeltaStrings Strings { get; } = new();

        internal DeltaTable EventTable { get; } = new(3);

        internal DeltaTable VisitTable { get; } = new(6);

        internal DeltaTable SegmentEventTable { get; } = new(3);

        internal DeltaTable SegmentVisitTable { get; } = new(6);

        // A visitor's distinct keys so far (day rows with Fdim -1 and segment rows share the sets: their keys differ).
        internal HashSet<long> SeenEvents { get; } = [];

        internal HashSet<long> SeenVisits { get; } = [];

        // A session's hits' string numbers (path, event name, host), reused.
        internal List<(int Path, int EventName, int Hostname)> HitIds { get; } = [];
    }
}

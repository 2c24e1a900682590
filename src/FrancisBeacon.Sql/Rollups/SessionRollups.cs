// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>
/// Session rollups: every session of a site-local day as one row of <c>rollup_sessions</c> (its visit values and
/// counts, and what a join across midnight needs) and its hits folded into <c>rollup_session_hits</c> (one row per
/// distinct page, event name and host, with counts). Built by <see cref="HitRollups"/>'s refresh next to the other
/// rollups; answers the queries that need sessions and filters (<see cref="SessionRollupPlan"/>) exactly as the raw
/// path does, without cutting raw hits into sessions.
/// </summary>
/// <remarks>
/// A session S of day d continues session T of day d - 1 (the reference's <c>MergeAcrossMidnight</c>) when both days are in
/// the range and T does not itself continue a session of day d - 2 in the range. S's row holds T's key, counts and visit
/// values (<c>t_*</c>) and whether T has such a predecessor (<c>t_prev</c>); T's row says whether it ends late enough to be
/// continued (<c>nx_vid</c>), and the query looks its continuation up among the few linked rows. Whether the join happens
/// is decided per query from the range, so the rows never depend on it.
/// </remarks>
internal sealed partial class SessionRollups
{
    private const long TimeoutMs = 30 * 60 * 1000;
    private const int RowsPerInsert = 200;

    private static readonly string[] SessionColumns =
    [
        "site_id", "day", "vid", "start_ms", "end_ms", "pv", "n", "entry_path", "exit_path",
        .. Enumerable.Range(0, RollupDimensions.Attributes.Length).Select(i => string.Create(CultureInfo.InvariantCulture, $"a{i}")),
        "prev", "nx_vid", "t_vid", "t_start", "t_prev", "t_pv", "t_n", "t_entry_path",
        .. Enumerable.Range(0, RollupDimensions.Attributes.Length).Select(i => string.Create(CultureInfo.InvariantCulture, $"t_a{i}")),
    ];

    private static readonly string[] HitColumns = ["site_id", "day", "vid", "start_ms", "path", "event_name", "hostname", "pv", "n"];

    private readonly RollupTables _t;
    private readonly string _sessions;
    private readonly string _hits;

    public SessionRollups(RollupTables tables)
    {
        _t = tables;
        _sessions = tables.Prefix + "rollup_sessions";
        _hits = tables.Prefix + "rollup_session_hits";
    }

    /// <summary>The tables to clear with the other rollups (a site's rebuild, a purge).</summary>
    public IReadOnlyList<string> TableNames => [_sessions, _hits];

    /// <summary>Rewrites the session rows of <paramref name="day"/>, with its links to <paramref name="previous"/> (the day before).</summary>
    public async ValueTask WriteDayAsync(DbConnection connection, string siteId, RollupDay day, RollupDay? previous, TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        // Raw pairs (S continues T), exactly as the reference finds them; one S per T: the earliest, then the lowest id.
        var before = (previous?.Sessions ?? []).ToLookup(s => s.VisitorId);
        var hasPrevious = new HashSet<RollupSession>();
        var candidates = new List<(RollupSession S, RollupSession T)>();
        foreach (var s in day.Sessions)
        {
            if (s.First.PreviousVisitorId is not { } link)
            {
                continue;
            }

            foreach (var t in before[link])
            {
                if (t.End <= s.Start && s.Start - t.End < TimeoutMs)
                {
                    candidates.Add((s, t));
                    hasPrevious.Add(s);
                }
            }
        }

        var chosen = candidates.GroupBy(c => c.T)
            .Select(g => g.OrderBy(c => c.S.Start).ThenBy(c => c.S.VisitorId).First())
            .ToDictionary(c => c.S, c => c.T);
        var tPrevious = new Dictionary<(long, long), long>();
        if (chosen.Count > 0)
        {
            // Whether T continues a session of its own day before: stored with T's row (written before this day).
            var rows = await connection.QueryAsync<(long Vid, long Start, long Prev)>(new CommandDefinition(
                $"SELECT vid, start_ms, prev FROM {_sessions} WHERE site_id = @site_id AND day = @day AND nx_vid IS NOT NULL",
                new { site_id = siteId, day = day.Day - 1 }, cancellationToken: cancellationToken)).ConfigureAwait(false);
            foreach (var (vid, start, prev) in rows)
            {
                tPrevious[(vid, start)] = prev;
            }
        }

        var nextDayStart = HitRollups.StartOfDayMs(day.Day + 1, zone);
        var sessionRows = new List<object?[]>(day.Sessions.Count);
        var hitRows = new List<object?[]>();
        foreach (var s in day.Sessions)
        {
            var values = s.Values();
            var row = new List<object?>(SessionColumns.Length)
            {
                siteId, day.Day, s.VisitorId, s.Start, s.End, s.Pageviews, s.Events, values[0], values[1],
            };
            row.AddRange(s.First.Attributes);
            row.Add(hasPrevious.Contains(s) ? 1L : 0L);
            row.Add(s.End > nextDayStart - TimeoutMs ? s.VisitorId : null);
            if (chosen.TryGetValue(s, out var t))
            {
                row.AddRange([t.VisitorId, t.Start, tPrevious.GetValueOrDefault((t.VisitorId, t.Start)), t.Pageviews, t.Events, t.First.Path]);
                row.AddRange(t.First.Attributes);
            }
            else
            {
                row.AddRange(Enumerable.Repeat<object?>(null, 6 + RollupDimensions.Attributes.Length));
            }

            sessionRows.Add([.. row]);
            foreach (var group in s.Hits.GroupBy(h => (h.Path, h.EventName, h.Hostname)))
            {
                var pv = group.LongCount(h => string.Equals(h.EventName, Hit.PageviewEvent, StringComparison.Ordinal));
                hitRows.Add([siteId, day.Day, s.VisitorId, s.Start, group.Key.Path, group.Key.EventName, group.Key.Hostname, pv, group.LongCount()]);
            }
        }

        await using var transaction = await connection.BeginTransactionAsync(_t.WriteIsolation, cancellationToken).ConfigureAwait(false);
        foreach (var table in TableNames)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {table} WHERE site_id = @site_id AND day = @day", new { site_id = siteId, day = day.Day }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        // SQLite binds parameters by name with a linear search, so a statement with thousands of them costs quadratic
        // time: one reused single-row statement there, multi-row statements elsewhere (each one a round trip).
        var rowsPerInsert = _t.ArrayInsert ? RowsPerInsert : 1;
        await InsertAsync(connection, transaction, _sessions, SessionColumns, sessionRows, rowsPerInsert, cancellationToken).ConfigureAwait(false);
        await InsertAsync(connection, transaction, _hits, HitColumns, hitRows, rowsPerInsert, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    // INSERTs of at most rowsPerInsert rows, every value a parameter; single-row statements are prepared once and reused.
    private static async ValueTask InsertAsync(DbConnection connection, DbTransaction transaction, string table, string[] columns, List<object?[]> rows, int rowsPerInsert, CancellationToken cancellationToken)
    {
        if (rowsPerInsert == 1)
        {
            if (rows.Count == 0)
            {
                return;
            }

            await using var single = connection.CreateCommand();
            single.Transaction = transaction;
            single.CommandText = $"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select((_, c) => string.Create(CultureInfo.InvariantCulture, $"@p{c}")))})";
            for (var c = 0; c < columns.Length; c++)
            {
                var parameter = single.CreateParameter();
                parameter.ParameterName = string.Create(CultureInfo.InvariantCulture, $"p{c}");
                parameter.DbType = IsText(columns[c]) ? DbType.String : DbType.Int64;
                single.Parameters.Add(parameter);
            }

            foreach (var row in rows)
            {
                for (var c = 0; c < columns.Length; c++)
                {
                    single.Parameters[c].Value = row[c] ?? DBNull.Value;
                }

                await single.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        for (var offset = 0; offset < rows.Count; offset += rowsPerInsert)
        {
            var batch = rows.Skip(offset).Take(rowsPerInsert).ToList();
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            var sql = new StringBuilder($"INSERT INTO {table} ({string.Join(", ", columns)}) VALUES ");
            var p = 0;
            for (var r = 0; r < batch.Count; r++)
            {
                sql.Append(r == 0 ? "(" : ", (");
                for (var c = 0; c < columns.Length; c++)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"p{p++}");
                    sql.Append(c == 0 ? "@" : ", @").Append(name);
                    var parameter = command.CreateParameter();
                    parameter.ParameterName = name;
                    var value = batch[r][c];
                    parameter.DbType = value switch
                    {
                        string => DbType.String,
                        _ when IsText(columns[c]) => DbType.String,
                        _ => DbType.Int64,
                    };
                    parameter.Value = value ?? DBNull.Value;
                    command.Parameters.Add(parameter);
                }

                sql.Append(')');
            }

            command.CommandText = sql.ToString();
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool IsText(string column) =>
        column is "site_id" or "entry_path" or "exit_path" or "t_entry_path" or "path" or "event_name" or "hostname" ||
        (column.StartsWith('a') && column.Length <= 3) || column.StartsWith("t_a", StringComparison.Ordinal);
}

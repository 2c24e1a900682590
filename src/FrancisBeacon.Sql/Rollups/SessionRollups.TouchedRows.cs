// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using Dapper;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// The touched visitors' rows, compact (docs/storage.md, "Touched rows"). A year has ~50,000 touched sessions at 10 M
/// hits (1.5 % of the session rows), of which ~10,000 contain a given busy page; a page- or segment-filtered query reads
/// them through the session route (SessionRollups.Query.cs, <c>touchedOnly</c>). Two structures keep that read small:
/// <list type="bullet">
/// <item>every <c>rollup_session_hits</c> row carries its session's <c>touched</c> flag, written with it wherever the
/// session row's flag is written (<see cref="WriteDayAsync"/>, <see cref="WriteVisitorSessionsAsync"/>: the only writers
/// of session rows), and the partial covering index <c>rollup_session_hits_touched</c> (<c>WHERE touched = 1</c>, by
/// site, page and day) finds the touched session-hit rows of a page without reading the page's other rows of the range
/// (637,875 index entries for 9,932 touched ones, <c>/pricing</c> over a year at 10 M hits);</item>
/// <item>where <see cref="RollupTables.TouchedSessionCopies"/> is set (PostgreSQL), a copy of the touched sessions' rows
/// in <c>rollup_touched_sessions</c>: ~20 MB a year, always cached, instead of one heap page of the 1.2 GB session table
/// per row. It is deleted with the other session rollups (<see cref="TableNames"/>) and by the upkeep with a visitor's
/// rows, and written from the session rows just written, in the same transaction.</item>
/// </list>
/// The touched visitors' statements then start from the touched session-hit rows under a page, name or host condition
/// (and, with copies, always), and look their sessions up by key.
/// </content>
internal sealed partial class SessionRollups
{
    /// <summary>The copy of the touched sessions' rows (<see cref="RollupTables.TouchedSessionCopies"/>).</summary>
    private string TouchedSessions => _t.Prefix + "rollup_touched_sessions";

    /// <summary>The copy table when the store keeps one, else nothing: deleted with the session rows.</summary>
    private string[] TouchedSessionTables => _t.TouchedSessionCopies ? [TouchedSessions] : [];

    /// <summary>
    /// Copies the touched session rows of <paramref name="day"/> just written (of <paramref name="visitors"/> only, when
    /// given) into <c>rollup_touched_sessions</c>, when the store keeps copies; the caller has deleted the old copies of
    /// the rows it rewrote. The upkeep rewrites every touched visitor of its step (new hits of a touched visitor always
    /// extend its last session, which ends within the session timeout of midnight), so no copy should be there already;
    /// <c>ON CONFLICT DO NOTHING</c> keeps an unforeseen kept row from failing every pass.
    /// </summary>
    private async ValueTask CopyTouchedSessionsAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, IReadOnlyCollection<long>? visitors, CancellationToken cancellationToken)
    {
        if (!_t.TouchedSessionCopies || visitors is { Count: 0 })
        {
            return;
        }

        var columns = string.Join(", ", SessionColumns);
        if (visitors is null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {TouchedSessions} ({columns}) SELECT {columns} FROM {_sessions} WHERE site_id = @site_id AND day = @day AND touched = 1",
                new { site_id = siteId, day }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            return;
        }

        foreach (var chunk in visitors.Order().Chunk(VisitorChunk))
        {
            var (inList, parameters) = VisitorList(siteId, day, chunk);
            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {TouchedSessions} ({columns}) SELECT {columns} FROM {_sessions} WHERE site_id = @site_id AND day = @day AND vid IN ({inList}) AND touched = 1" +
                // A safeguard (see above): a copy already there is of an unchanged row.
                " ON CONFLICT DO NOTHING",
                parameters, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The <c>FROM … WHERE …</c> part of a touched visitors' statement driven by their session-hit rows <c>h</c> (the
    /// partial index on touched rows) joined to their sessions <c>s</c> (and their continuation <paramref name="linked"/>),
    /// or null for the sessions-first form (SQLite without an event condition: the touched sessions of a segment, through
    /// their covering partial index, each seeking its session-hit rows by key). With copies (PostgreSQL) the sessions
    /// come from the copy table, and the planner picks the order: under <c>source is Google</c> it hashes the source's
    /// touched sessions against the touched session-hit rows rather than seeking each session's rows in the big table.
    /// </summary>
    private string? TouchedHitBase(bool eventCondition, string linked)
    {
        const string Range = " WHERE h.site_id = @site_id AND h.day >= @first AND h.day < @end AND h.touched = 1";
        const string Keys = "s.site_id = h.site_id AND s.day = h.day AND s.vid = h.vid AND s.start_ms = h.start_ms";
        if (_t.TouchedSessionCopies)
        {
            return $" FROM {_hits} h JOIN {TouchedSessions} s ON {Keys} {linked}{Range}";
        }

        if (!eventCondition)
        {
            return null;
        }

        // SQLite: CROSS JOIN keeps the hits outer (the page's touched rows through their index, a range of (path, day)),
        // each session then a seek into the covering partial index on touched session rows.
        return $" FROM {_hits} h {_t.Dialect.IndexHint(_t.Prefix + "rollup_session_hits_touched")} CROSS JOIN {_sessions} s {_t.Dialect.IndexHint(_t.Prefix + "rollup_sessions_touched")} {linked}" +
               $"{Range} AND {Keys} AND s.touched = 1";
    }
}

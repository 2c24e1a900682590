// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>
/// What a store tells <see cref="HitRollups"/>: its dialect, its (validated, possibly schema-qualified) table names,
/// how to open a connection, and how to make sure only one instance maintains the rollups at a time.
/// </summary>
public sealed class RollupTables
{
    /// <summary>The store's SQL dialect.</summary>
    public required SqlDialect Dialect { get; init; }

    /// <summary>The hits table.</summary>
    public required string Hits { get; init; }

    /// <summary>The prefix of the rollup tables (a validated schema-qualified prefix such as <c>"beacon".</c> or <c>beacon_</c>).</summary>
    public required string Prefix { get; init; }

    /// <summary>The isolation level of the rollups' write transactions. Default: <see cref="System.Data.IsolationLevel.Serializable"/> (SQLite's <c>BEGIN IMMEDIATE</c>).</summary>
    public System.Data.IsolationLevel WriteIsolation { get; init; } = System.Data.IsolationLevel.Serializable;

    /// <summary>
    /// Whether rollup rows are written as one <c>INSERT … SELECT FROM unnest(arrays)</c> per table (PostgreSQL), rather
    /// than one prepared insert per row (SQLite, where a statement costs no round trip). Default: false.
    /// </summary>
    public bool ArrayInsert { get; init; }

    /// <summary>
    /// Whether a read of day or month rollup rows grouped by value sums them in SQL (<c>GROUP BY value</c>: PostgreSQL's
    /// hash aggregate), rather than returning the rows for the planner to sum (SQLite, which sorts such groups through a
    /// temporary B-tree). The session route's statements driven by kept session-hit rows follow the same choice: grouped
    /// into merged sessions in SQL, or read row by row and folded in memory (<c>SessionHitRows</c>). Default: false.
    /// </summary>
    public bool GroupValuesInSql { get; init; }

    /// <summary>
    /// Whether the store keeps a copy of the touched sessions' rows in <c>rollup_touched_sessions</c> (PostgreSQL, whose
    /// heap rows of touched sessions are scattered, one page per row, and whose partial index on them cannot cover the
    /// session row's 54 columns), written and deleted with the rows of <c>rollup_sessions</c>; the touched visitors'
    /// statements then read that small table instead (SessionRollups.TouchedRows.cs). SQLite's partial index on touched
    /// session rows covers every column, so it needs no copy. Default: false.
    /// </summary>
    public bool TouchedSessionCopies { get; init; }

    /// <summary>
    /// Inserts a chunk of rollup rows inside the given transaction in bulk (SQLite: one prepared statement bound by
    /// position; PostgreSQL: binary <c>COPY</c>); <see langword="null"/>: one parameterised <c>INSERT</c> per row.
    /// </summary>
    public Func<DbConnection, DbTransaction, RollupRows, CancellationToken, ValueTask>? InsertRows { get; init; }

    /// <summary>
    /// Adds a chunk of signed deltas to a table of additive rollup rows inside the given transaction (SQLite: one
    /// prepared upsert bound by position, then a delete of the rows whose count fell to zero), or
    /// <see langword="null"/>: one <c>DELETE … RETURNING</c> and one insert per changed key, which needs no
    /// <c>UPDATE</c> grant. Arguments: the rows (<c>site_id</c>, <c>day</c>, the key columns, then the value columns
    /// holding the deltas), the number of leading columns that form the table's primary key, and the index of the
    /// value column that counts the row (a row whose count falls to zero is deleted). Returns false when a sum would be
    /// negative or a zero-count row would keep another count; the caller then rolls the transaction back.
    /// </summary>
    public Func<DbConnection, DbTransaction, RollupRows, int, int, CancellationToken, ValueTask<bool>>? ApplyDeltaRows { get; init; }

    /// <summary>
    /// Whether a list of visitor ids is passed as one JSON array parameter and read with <c>json_each</c> (SQLite,
    /// where each named parameter costs a scan of the statement's parameter names), rather than one parameter per id.
    /// Default: false.
    /// </summary>
    public bool JsonIdLists { get; init; }

    /// <summary>
    /// The statement that marks hour <c>@hour</c> of site <c>@site_id</c> dirty, given the rollup table prefix; default:
    /// an upsert into <c>rollup_dirty</c> that bumps its version.
    /// </summary>
    public Func<string, string>? MarkDirtySql { get; init; }

    /// <summary>
    /// The statement run after a rollup pass for each dirty hour it read, given the rollup table prefix: deletes the mark
    /// of hour <c>@hour</c> of site <c>@site_id</c> when its version is still <c>@ver</c>, and otherwise moves its time to
    /// <c>@since</c> (the pass's start) unless a purge marked it meanwhile (its mark is no longer <c>@read_since</c> and
    /// not positive). Default: a <c>DELETE</c> and an <c>UPDATE</c> of <c>rollup_dirty</c>.
    /// </summary>
    public Func<string, string>? SettleDirtySql { get; init; }

    /// <summary>
    /// A column of the hits table that every insert gives a higher value than any row at or below a pass's top
    /// (<see cref="InsertionTopSql"/>; SQLite: <c>seq</c>, the rowid, with writers serialised; PostgreSQL: <c>xid</c>, the
    /// inserting transaction's id), or <see langword="null"/>. When set, the store has a <c>rollup_upkeep</c> table
    /// and the rollup worker applies only the hits added since a day's last pass to that day's rows (HitRollups.Upkeep.cs);
    /// otherwise every dirty day is rebuilt whole. Default: null.
    /// </summary>
    public string? InsertionOrder { get; init; }

    /// <summary>
    /// Whether <see cref="InsertionOrder"/> is the hits table's row key (SQLite: <c>seq</c>, the rowid), so that a range
    /// of it is one seek. A pass then reads a day's new hits by that range when it holds fewer hits than the day has
    /// stored, with the site and time conditions written <c>+site_id</c> and <c>+ts</c> (SQLite's way to keep a term from
    /// choosing an index): otherwise SQLite reads them through the <c>(site_id, ts)</c> index, which walks every hit of
    /// the day to find the few new ones. Default: false.
    /// </summary>
    public bool InsertionOrderIsRowKey { get; init; }

    /// <summary>
    /// The statement that gives a pass its top <see cref="InsertionOrder"/>: every hit at or below it is final (no such
    /// hit can be added later), and every hit whose dirty mark the pass reads is at or below it unless
    /// <see cref="DirtyInsertionOrder"/> says otherwise. <see langword="null"/>: <c>SELECT MAX(order) FROM hits</c>
    /// (SQLite, whose writers are serialised). PostgreSQL: its snapshot's xmin minus one. Default: null.
    /// </summary>
    public string? InsertionTopSql { get; init; }

    /// <summary>
    /// A column of <c>rollup_dirty</c> holding the highest <see cref="InsertionOrder"/> of the hits that marked the hour,
    /// or <see langword="null"/>. When set, a pass reads it with the dirty list and gives it to
    /// <see cref="SettleDirtySql"/> as <c>@read_order</c> with its top as <c>@top</c>, so that an hour whose hits are not
    /// all within the pass stays dirty. Default: null.
    /// </summary>
    public string? DirtyInsertionOrder { get; init; }

    /// <summary>
    /// Lets other writers in during a whole-day rewrite (SQLite, one writer): called by the pass between chunks of a day's
    /// rows, inside a transaction whose day is recorded in <c>rollup_rebuilding</c> (queries cut such a day from the raw
    /// hits, so its half-written rows are never read). The store may commit the work so far and begin a new write
    /// transaction on the same connection and transaction object; it returns whether it did (the pass then checks that
    /// the day is still its own). <see langword="null"/>: a day's rows are replaced in one transaction (PostgreSQL,
    /// whose row locks never block the hit writer), and the store needs no <c>rollup_rebuilding</c> table. Default: null.
    /// </summary>
    public Func<DbConnection, DbTransaction, CancellationToken, ValueTask<bool>>? SplitPoint { get; init; }

    // The transactions of whole-day rewrites that may be split, with what checks the day after a split.
    internal System.Runtime.CompilerServices.ConditionalWeakTable<DbTransaction, Func<CancellationToken, ValueTask>> Splittable { get; } = new();

    /// <summary>Offers the store a split point of <paramref name="transaction"/> when it is registered as splittable (SQLite).</summary>
    internal ValueTask OfferSplitAsync(DbTransaction transaction, CancellationToken cancellationToken) =>
        Splittable.TryGetValue(transaction, out var split) ? split(cancellationToken) : ValueTask.CompletedTask;

    /// <summary>Opens a connection.</summary>
    public required Func<CancellationToken, ValueTask<DbConnection>> OpenAsync { get; init; }

    /// <summary>
    /// Tries to become the one maintainer on an open connection, holding it until <see cref="Unlock"/> or the connection
    /// closes; <see langword="null"/> when the database serialises writers itself (SQLite: every day is rewritten in
    /// one write transaction, so two maintainers write the same rows).
    /// </summary>
    public Func<DbConnection, CancellationToken, ValueTask<bool>>? TryLock { get; init; }

    /// <summary>Releases what <see cref="TryLock"/> took.</summary>
    public Func<DbConnection, CancellationToken, ValueTask>? Unlock { get; init; }
}

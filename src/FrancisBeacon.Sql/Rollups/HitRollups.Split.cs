// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using Dapper;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// Whole-day rewrites in bounded transactions (SQLite, <see cref="RollupTables.SplitPoint"/>; docs/storage.md, "Writing
/// while the rollups are kept"). The first transaction records the day in <c>rollup_rebuilding</c> (with a token of this
/// pass) and forgets its upkeep mark; from then on every query cuts the day from the raw hits, as it does an overdue
/// day, so the day's old rows can be deleted and its new rows inserted in chunks, with the store free to commit and let
/// its hit writer in between them. The last transaction removes the record with the day's new upkeep mark. A pass that
/// fails half-way leaves the record: the day stays answered from the raw hits and the next pass rebuilds it whole (its
/// dirty hours are still marked, and it has no upkeep mark any more).
/// </content>
public sealed partial class HitRollups
{
    /// <summary>Rows a chunked delete of rollup rows removes per statement (tests make it small).</summary>
    internal int DeleteChunkRows { get; set; } = 4096;

    private readonly ConcurrentDictionary<string, string> _keyColumns = new(StringComparer.Ordinal);

    private string Rebuilding => _t.Prefix + "rollup_rebuilding";

    private bool SplitsDays => _t.SplitPoint is not null;

    private IEnumerable<string> SplitTables => SplitsDays ? [Rebuilding] : [];

    /// <summary>How many times a whole-day rewrite committed part of its work to let other writers in (tests read it).</summary>
    internal int DaySplits { get; private set; }

    // Records the day as being rebuilt by this pass inside the rewrite's first transaction and lets the store split it.
    private async ValueTask<long> BeginSplitDayAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        var token = Random.Shared.NextInt64(1, long.MaxValue);
        var key = new { site_id = siteId, day, hour = (StartOfDayMs(day, zone) + 3_600_000) / 3_600_000, token };
        await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM {Rebuilding} WHERE site_id = @site_id AND day = @day; INSERT INTO {Rebuilding} (site_id, day, hour, token) VALUES (@site_id, @day, @hour, @token)",
            key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (_t.InsertionOrder is not null)
        {
            // Half-written rows must never be taken for an upkeep base: without a mark the next pass rebuilds the day whole.
            await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {_upkeep} WHERE site_id = @site_id AND day = @day", key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        }

        _t.Splittable.AddOrUpdate(transaction, ct => SplitDayAsync(connection, transaction, siteId, day, token, ct));
        return token;
    }

    // Offers the store a split point; after a split, makes sure no other pass took the day over meanwhile.
    private async ValueTask SplitDayAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, long token, CancellationToken cancellationToken)
    {
        if (!await _t.SplitPoint!(connection, transaction, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        DaySplits++;
        await CheckDayOwnerAsync(connection, transaction, siteId, day, token, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask CheckDayOwnerAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, long token, CancellationToken cancellationToken)
    {
        var owner = await connection.QueryFirstOrDefaultAsync<long?>(new CommandDefinition(
            $"SELECT token FROM {Rebuilding} WHERE site_id = @site_id AND day = @day", new { site_id = siteId, day }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
        if (owner != token)
        {
            throw new InvalidOperationException(string.Create(
                CultureInfo.InvariantCulture, $"Another rollup pass took over the rebuild of day {day} of site '{siteId}'; this pass stops (the other one finishes the day)."));
        }
    }

    // Removes the day's record in the rewrite's last transaction (still this pass's: checked), ending the splits.
    private async ValueTask EndSplitDayAsync(DbConnection connection, DbTransaction transaction, string siteId, long day, long token, CancellationToken cancellationToken)
    {
        _t.Splittable.Remove(transaction);
        await CheckDayOwnerAsync(connection, transaction, siteId, day, token, cancellationToken).ConfigureAwait(false);
        await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM {Rebuilding} WHERE site_id = @site_id AND day = @day", new { site_id = siteId, day }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    // Deletes the rows of one table for the days [first, last] a chunk at a time (by primary key, read from SQLite's
    // table_info), offering a split point after each full chunk.
    private async ValueTask DeleteDaysInChunksAsync(DbConnection connection, DbTransaction transaction, string table, string dims, string siteId, long first, long last, CancellationToken cancellationToken)
    {
        if (!_keyColumns.TryGetValue(table, out var columns))
        {
            var names = await connection.QueryAsync<string>(new CommandDefinition(
                "SELECT name FROM pragma_table_info(@table) WHERE pk > 0 ORDER BY pk", new { table }, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            columns = string.Join(", ", names.Select(n => SqlIdentifier.Validate(n, "rollup key column")));
            _keyColumns[table] = columns;
        }

        var key = new { site_id = siteId, first, last };
        var chunk = DeleteChunkRows.ToString(CultureInfo.InvariantCulture);
        while (true)
        {
            var deleted = await connection.ExecuteAsync(new CommandDefinition(
                $"DELETE FROM {table} WHERE ({columns}) IN (SELECT {columns} FROM {table} WHERE site_id = @site_id{dims} AND day >= @first AND day <= @last LIMIT {chunk})",
                key, transaction, cancellationToken: cancellationToken)).ConfigureAwait(false);
            if (deleted < DeleteChunkRows)
            {
                return;
            }

            if (_t.Splittable.TryGetValue(transaction, out var split))
            {
                await split(cancellationToken).ConfigureAwait(false);
            }
        }
    }
}

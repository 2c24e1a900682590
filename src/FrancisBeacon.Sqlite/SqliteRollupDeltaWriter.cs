// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Buffers;
using System.Data.Common;
using FrancisBeacon.Sql.Rollups;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FrancisBeacon.Sqlite;

/// <summary>
/// Applies the incremental upkeep's deltas to a table of additive rollup rows (<see cref="RollupTables.ApplyDeltaRows"/>):
/// one upsert prepared per chunk and bound by position through SQLitePCLRaw (<c>INSERT … ON CONFLICT DO UPDATE SET
/// v = v + excluded.v</c>), with <c>RETURNING</c> the new sums only for a key whose delta shrinks a value or leaves
/// its count (those sums are checked: none negative, no count of zero that keeps another value), and a delete of each
/// row whose count fell to zero, inside the caller's write transaction. SQLite has no grants, so the <c>UPDATE</c> this
/// needs is always allowed. Keys that only grow go <see cref="GrowingRows"/> to a statement: one step and one reset for
/// all of them, and site_id and day bound once (all rows of a chunk share them).
/// </summary>
internal static class SqliteRollupDeltaWriter
{
    /// <summary>Rows per step of the multi-row upsert of growing keys.</summary>
    internal const int GrowingRows = 32;

    public static ValueTask<bool> ApplyAsync(DbConnection connection, DbTransaction transaction, RollupRows rows, int keyColumns, int countColumn, CancellationToken cancellationToken)
    {
        var db = ((SqliteConnection)connection).Handle!;
        var columns = rows.Columns.Count;
        var keys = rows.Columns.Take(keyColumns).ToArray();
        var values = rows.Columns.Skip(keyColumns).ToArray();
        var upsertText = $"INSERT INTO {rows.Table} ({string.Join(", ", rows.Columns)}) VALUES ({string.Join(", ", Enumerable.Repeat("?", columns))})" +
                         $" ON CONFLICT ({string.Join(", ", keys)}) DO UPDATE SET {string.Join(", ", values.Select(v => $"{v} = {v} + excluded.{v}"))}";
        var checkedText = upsertText + $" RETURNING {string.Join(", ", values)}";
        // ?1 site_id and ?2 day shared by every row, then the row's key and value columns.
        var perRow = columns - 2;
        var multiText = $"INSERT INTO {rows.Table} ({string.Join(", ", rows.Columns)}) VALUES " +
                        string.Join(", ", Enumerable.Range(0, GrowingRows).Select(r => "(?1, ?2, " + string.Join(", ", Enumerable.Range(0, perRow).Select(c => $"?{3 + (r * perRow) + c}")) + ")")) +
                        $" ON CONFLICT ({string.Join(", ", keys)}) DO UPDATE SET {string.Join(", ", values.Select(v => $"{v} = {v} + excluded.{v}"))}";
        var shared = rows.Count > 0 && SharesSiteAndDay(rows);
        var deleteText = $"DELETE FROM {rows.Table} WHERE {string.Join(" AND ", keys.Select(k => $"{k} = ?"))}";
        var buffer = ArrayPool<byte>.Shared.Rent(1024);
        var count = countColumn - keyColumns;
        try
        {
            using var upsert = SqliteBatchWriter.Prepare(db, upsertText);
            sqlite3_stmt? checkedUpsert = null;
            sqlite3_stmt? delete = null;
            sqlite3_stmt? multi = null;
            Span<int> growing = stackalloc int[GrowingRows];
            var pending = 0;
            try
            {
                for (var row = 0; row < rows.Count; row++)
                {
                    if ((row & 255) == 0)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                    }

                    if (Growing(rows, row, keyColumns, countColumn))
                    {
                        // Every sum grows and the count with it: nothing to check (a new visitor's keys, mostly).
                        if (shared)
                        {
                            growing[pending++] = row;
                            if (pending == GrowingRows)
                            {
                                multi ??= SqliteBatchWriter.Prepare(db, multiText);
                                BindMany(db, multi, rows, growing, columns, ref buffer);
                                SqliteBatchWriter.Check(db, raw.sqlite3_step(multi), raw.SQLITE_DONE);
                                SqliteBatchWriter.Check(db, raw.sqlite3_reset(multi), raw.SQLITE_OK);
                                pending = 0;
                            }

                            continue;
                        }

                        Bind(db, upsert, rows, row, columns, ref buffer);
                        SqliteBatchWriter.Check(db, raw.sqlite3_step(upsert), raw.SQLITE_DONE);
                        SqliteBatchWriter.Check(db, raw.sqlite3_reset(upsert), raw.SQLITE_OK);
                        continue;
                    }

                    checkedUpsert ??= SqliteBatchWriter.Prepare(db, checkedText);
                    Bind(db, checkedUpsert, rows, row, columns, ref buffer);
                    SqliteBatchWriter.Check(db, raw.sqlite3_step(checkedUpsert), raw.SQLITE_ROW);
                    var any = false;
                    var negative = false;
                    for (var i = 0; i < values.Length; i++)
                    {
                        var sum = raw.sqlite3_column_int64(checkedUpsert, i);
                        negative |= sum < 0;
                        any |= sum != 0;
                    }

                    var zero = raw.sqlite3_column_int64(checkedUpsert, count) == 0;
                    SqliteBatchWriter.Check(db, raw.sqlite3_step(checkedUpsert), raw.SQLITE_DONE);
                    SqliteBatchWriter.Check(db, raw.sqlite3_reset(checkedUpsert), raw.SQLITE_OK);
                    if (negative || (zero && any))
                    {
                        return ValueTask.FromResult(false); // the stored rows did not hold what the delta was taken against
                    }

                    if (zero)
                    {
                        delete ??= SqliteBatchWriter.Prepare(db, deleteText);
                        Bind(db, delete, rows, row, keyColumns, ref buffer);
                        SqliteBatchWriter.Check(db, raw.sqlite3_step(delete), raw.SQLITE_DONE);
                        SqliteBatchWriter.Check(db, raw.sqlite3_reset(delete), raw.SQLITE_OK);
                    }
                }

                // The last growing rows, one by one.
                for (var i = 0; i < pending; i++)
                {
                    Bind(db, upsert, rows, growing[i], columns, ref buffer);
                    SqliteBatchWriter.Check(db, raw.sqlite3_step(upsert), raw.SQLITE_DONE);
                    SqliteBatchWriter.Check(db, raw.sqlite3_reset(upsert), raw.SQLITE_OK);
                }
            }
            finally
            {
                checkedUpsert?.Dispose();
                delete?.Dispose();
                multi?.Dispose();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return ValueTask.FromResult(true);
    }

    // No value shrinks and the count grows: the sums stay non-negative and the row keeps a count, whatever was stored.
    private static bool Growing(RollupRows rows, int row, int keyColumns, int countColumn)
    {
        if (rows.GetInt64(row, countColumn) <= 0)
        {
            return false;
        }

        for (var c = keyColumns; c < rows.Columns.Count; c++)
        {
            if (rows.GetInt64(row, c) < 0)
            {
                return false;
            }
        }

        return true;
    }

    // Whether every row has the first row's site_id (column 0) and day (column 1), as a chunk of one day's deltas does.
    private static bool SharesSiteAndDay(RollupRows rows)
    {
        var site = rows.GetString(0, 0);
        var day = rows.GetInt64(0, 1);
        for (var row = 1; row < rows.Count; row++)
        {
            if (!string.Equals(rows.GetString(row, 0), site, StringComparison.Ordinal) || rows.GetInt64(row, 1) != day)
            {
                return false;
            }
        }

        return true;
    }

    // ?1 and ?2 from the first row (SharesSiteAndDay), then columns 2.. of each row.
    private static void BindMany(sqlite3 db, sqlite3_stmt statement, RollupRows rows, ReadOnlySpan<int> batch, int columns, ref byte[] buffer)
    {
        SqliteBatchWriter.BindText(db, statement, 1, rows.GetString(batch[0], 0), ref buffer);
        SqliteBatchWriter.Check(db, raw.sqlite3_bind_int64(statement, 2, rows.GetInt64(batch[0], 1)), raw.SQLITE_OK);
        var index = 3;
        foreach (var row in batch)
        {
            for (var c = 2; c < columns; c++, index++)
            {
                SqliteRollupRowWriter.BindColumn(db, statement, index, rows, row, c, ref buffer);
            }
        }
    }

    private static void Bind(sqlite3 db, sqlite3_stmt statement, RollupRows rows, int row, int columns, ref byte[] buffer)
    {
        for (var c = 0; c < columns; c++)
        {
            SqliteRollupRowWriter.BindColumn(db, statement, c + 1, rows, row, c, ref buffer);
        }
    }
}

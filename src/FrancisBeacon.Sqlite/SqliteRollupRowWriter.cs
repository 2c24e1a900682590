// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Buffers;
using System.Data.Common;
using FrancisBeacon.Sql.Rollups;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FrancisBeacon.Sqlite;

/// <summary>
/// Inserts rollup rows as <see cref="SqliteBatchWriter"/> inserts hits: one statement prepared per chunk, values bound
/// by position through SQLitePCLRaw (text as UTF-8 from one reused buffer), inside the caller's write transaction.
/// </summary>
internal static class SqliteRollupRowWriter
{
    public static ValueTask InsertAsync(DbConnection connection, DbTransaction transaction, RollupRows rows, CancellationToken cancellationToken)
    {
        var db = ((SqliteConnection)connection).Handle!;
        var columns = rows.Columns.Count;
        var text = $"INSERT INTO {rows.Table} ({string.Join(", ", rows.Columns)}) VALUES ({string.Join(", ", Enumerable.Repeat("?", columns))})";
        var buffer = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            using var insert = SqliteBatchWriter.Prepare(db, text);
            for (var row = 0; row < rows.Count; row++)
            {
                if ((row & 255) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                for (var c = 0; c < columns; c++)
                {
                    BindColumn(db, insert, c + 1, rows, row, c, ref buffer);
                }

                SqliteBatchWriter.Check(db, raw.sqlite3_step(insert), raw.SQLITE_DONE);
                SqliteBatchWriter.Check(db, raw.sqlite3_reset(insert), raw.SQLITE_OK);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Binds column <paramref name="column"/> of row <paramref name="row"/> to parameter <paramref name="index"/> (1-based) of <paramref name="statement"/>.</summary>
    internal static void BindColumn(sqlite3 db, sqlite3_stmt statement, int index, RollupRows rows, int row, int column, ref byte[] buffer)
    {
        if (rows.TypeOf(column) == RollupColumnType.Text)
        {
            SqliteBatchWriter.BindText(db, statement, index, rows.GetString(row, column), ref buffer);
        }
        else
        {
            SqliteBatchWriter.Check(
                db,
                rows.IsNull(row, column) ? raw.sqlite3_bind_null(statement, index) : raw.sqlite3_bind_int64(statement, index, rows.GetInt64(row, column)),
                raw.SQLITE_OK);
        }
    }
}

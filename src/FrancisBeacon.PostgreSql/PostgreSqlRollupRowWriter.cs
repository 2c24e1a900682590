// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using FrancisBeacon.Sql.Rollups;
using Npgsql;
using NpgsqlTypes;

namespace FrancisBeacon.PostgreSql;

/// <summary>Inserts rollup rows with one binary <c>COPY</c> per chunk, inside the caller's transaction.</summary>
internal static class PostgreSqlRollupRowWriter
{
    public static async ValueTask InsertAsync(DbConnection connection, DbTransaction transaction, RollupRows rows, CancellationToken cancellationToken)
    {
        var columns = rows.Columns.Count;
        await using var importer = await ((NpgsqlConnection)connection).BeginBinaryImportAsync(
            $"COPY {rows.Table} ({string.Join(", ", rows.Columns)}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        for (var row = 0; row < rows.Count; row++)
        {
            await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
            for (var c = 0; c < columns; c++)
            {
                if (rows.IsNull(row, c))
                {
                    await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                switch (rows.TypeOf(c))
                {
                    case RollupColumnType.Text:
                        await importer.WriteAsync(rows.GetString(row, c), NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                        break;
                    case RollupColumnType.ShortNumber:
                        await importer.WriteAsync(checked((int)rows.GetInt64(row, c)), NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        await importer.WriteAsync(rows.GetInt64(row, c), NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                        break;
                }
            }
        }

        await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }
}

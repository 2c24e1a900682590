// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// The incremental upkeep's deltas handed to a store that applies them in bulk (<see cref="RollupTables.ApplyDeltaRows"/>;
/// SQLite: one prepared upsert bound by position): the changed keys with their signed deltas, in chunks of rows.
/// </content>
internal sealed partial class SessionRollups
{
    /// <summary>
    /// <see cref="ApplyDeltaAsync"/> through <see cref="RollupTables.ApplyDeltaRows"/>: the non-zero deltas as rows
    /// (site_id, day, key columns, value columns), in chunks of <see cref="ChunkRows"/>.
    /// </summary>
    private static async ValueTask<bool> ApplyDeltaRowsAsync(Func<DbConnection, DbTransaction, RollupRows, int, int, CancellationToken, ValueTask<bool>> apply,
        DbConnection connection, DbTransaction transaction, string table, string[] columns, RollupColumnType[] types,
        string siteId, long day, Dictionary<SegmentKey, long[]> delta, int countColumn, CancellationToken cancellationToken)
    {
        var segment = string.Equals(columns[2], "fdim", StringComparison.Ordinal);
        var page = string.Equals(columns[2], "path", StringComparison.Ordinal); // page rows: the key's Fvalue is the path
        var firstValue = segment ? 6 : page ? 5 : 4;
        var valueCount = columns.Length - firstValue;
        var rows = new RollupRows(table, columns, types, Math.Clamp(delta.Count, 1, ChunkRows));
        foreach (var (key, d) in delta)
        {
            if (Array.TrueForAll(d, v => v == 0))
            {
                continue;
            }

            if (rows.IsFull)
            {
                if (!await apply(connection, transaction, rows, firstValue, firstValue + countColumn, cancellationToken).ConfigureAwait(false))
                {
                    return false;
                }

                rows.Clear();
            }

            var r = rows.Add();
            rows.Set(r, 0, siteId);
            rows.Set(r, 1, day);
            var c = 2;
            if (segment)
            {
                rows.Set(r, c++, key.Fdim);
                rows.Set(r, c++, key.Fvalue);
            }

            if (page)
            {
                rows.Set(r, c++, key.Fvalue);
            }

            rows.Set(r, c++, key.Dim);
            rows.Set(r, c++, key.Value);
            for (var i = 0; i < valueCount; i++)
            {
                rows.Set(r, c + i, d[i]);
            }
        }

        return rows.Count == 0 || await apply(connection, transaction, rows, firstValue, firstValue + countColumn, cancellationToken).ConfigureAwait(false);
    }
}

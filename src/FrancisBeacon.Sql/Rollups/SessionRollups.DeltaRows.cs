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
        var (segment, page, firstValue) = KeyShape(columns);
        var valueCount = columns.Length - firstValue;
        var rows = new RollupRows(table, columns, types, Math.Clamp(delta.Count, 1, ChunkRows));
        // In key order: each page of the table is then read and dirtied once per step, not once per key.
        foreach (var (key, d) in Sorted(delta))
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

            SetRow(rows, rows.Add(), siteId, day, key, segment, page, d, valueCount);
        }

        return rows.Count == 0 || await apply(connection, transaction, rows, firstValue, firstValue + countColumn, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The key shape of a delta table's <paramref name="columns"/> (site_id, day, then dim, value; fdim, fvalue, dim, value
    /// for segment rows; path, dim, value for page rows, whose key's Fvalue is the path) and the index of its first value column.
    /// </summary>
    private static (bool Segment, bool Page, int FirstValue) KeyShape(string[] columns)
    {
        var segment = string.Equals(columns[2], "fdim", StringComparison.Ordinal);
        var page = string.Equals(columns[2], "path", StringComparison.Ordinal);
        return (segment, page, segment ? 6 : page ? 5 : 4);
    }

    /// <summary>Fills row <paramref name="r"/>: site_id, day, the key columns of its shape, then the first <paramref name="valueCount"/> of <paramref name="values"/>.</summary>
    private static void SetRow(RollupRows rows, int r, string siteId, long day, SegmentKey key, bool segment, bool page, long[] values, int valueCount)
    {
        rows.Set(r, 0, siteId);
        rows.Set(r, 1, day);
        var c = 2;
        if (segment)
        {
            rows.Set(r, c++, key.Fdim);
            rows.Set(r, c++, key.Fvalue);
        }
        else if (page)
        {
            rows.Set(r, c++, key.Fvalue);
        }

        rows.Set(r, c++, key.Dim);
        rows.Set(r, c++, key.Value);
        for (var i = 0; i < valueCount; i++)
        {
            rows.Set(r, c + i, values[i]);
        }
    }

    /// <summary>
    /// Adds <paramref name="delta"/> to a stored row's <paramref name="sums"/>: null when the stored row did not hold what
    /// the delta was taken against (a negative sum, or a zero count in <paramref name="countColumn"/> beside another
    /// non-zero value), false when the row falls to zero (it goes), true when it stays.
    /// </summary>
    private static bool? AddDelta(long[] sums, long[] delta, int countColumn)
    {
        var any = false;
        for (var i = 0; i < sums.Length; i++)
        {
            sums[i] += delta[i];
            if (sums[i] < 0)
            {
                return null;
            }

            any |= sums[i] != 0;
        }

        return sums[countColumn] != 0 ? true : any ? null : false;
    }
}

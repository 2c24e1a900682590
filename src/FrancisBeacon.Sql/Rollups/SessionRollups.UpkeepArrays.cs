// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// The incremental upkeep's delta application for a store that takes arrays (<see cref="RollupTables.ArrayInsert"/>:
/// PostgreSQL). One <c>DELETE … USING unnest(keys) … RETURNING</c> per chunk of changed keys instead of one statement per
/// key: on PostgreSQL every statement is a round trip, and a pass over 10 000 new visitors changes about 25 000 keys
/// (docs/performance.md, "Incremental rollup upkeep (PostgreSQL)").
/// </content>
internal sealed partial class SessionRollups
{
    private const int DeltaChunkKeys = 5000;

    /// <summary>
    /// <see cref="ApplyDeltaAsync"/> with the changed keys' rows deleted (and returned) by chunk: the same rows written,
    /// the same refusals (false: a sum would be negative, or a zero-count row would keep another count).
    /// </summary>
    private static async ValueTask<bool> ApplyDeltaByArraysAsync(RollupTables tables, DbConnection connection, DbTransaction transaction, string table, string[] columns, RollupColumnType[] types,
        string siteId, long day, Dictionary<SegmentKey, long[]> delta, int countColumn, CancellationToken cancellationToken)
    {
        var (segment, page, firstValue) = KeyShape(columns); // page rows: keys (0, path, dim, value)
        var valueCount = columns.Length - firstValue;
        var keys = delta.Where(e => !Array.TrueForAll(e.Value, v => v == 0)).Select(e => e.Key).ToList();
        var stored = new Dictionary<SegmentKey, long[]>(keys.Count);
        var collation = tables.Dialect.BinaryCollation;
        var returned = string.Join(", ", columns.Skip(firstValue).Select(c => "x." + c));
        var sql = segment
            ? $"DELETE FROM {table} AS x USING unnest(@fdims, @fvalues, @dims, @values) AS k(fdim, fvalue, dim, value)" +
              $" WHERE x.site_id = @site_id AND x.day = @day AND x.fdim = k.fdim AND x.fvalue = k.fvalue{collation} AND x.dim = k.dim AND x.value = k.value{collation}" +
              $" RETURNING x.fdim, x.fvalue, x.dim, x.value, {returned}"
            : page
            ? $"DELETE FROM {table} AS x USING unnest(@fvalues, @dims, @values) AS k(path, dim, value)" +
              $" WHERE x.site_id = @site_id AND x.day = @day AND x.path = k.path{collation} AND x.dim = k.dim AND x.value = k.value{collation}" +
              $" RETURNING 0, x.path, x.dim, x.value, {returned}"
            : $"DELETE FROM {table} AS x USING unnest(@dims, @values) AS k(dim, value)" +
              $" WHERE x.site_id = @site_id AND x.day = @day AND x.dim = k.dim AND x.value = k.value{collation}" +
              $" RETURNING -1, '', x.dim, x.value, {returned}";
        foreach (var chunk in keys.Chunk(DeltaChunkKeys))
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = sql;
            Parameter(command, "site_id", siteId);
            Parameter(command, "day", day);
            if (segment)
            {
                Parameter(command, "fdims", chunk.Select(k => k.Fdim).ToArray());
                Parameter(command, "fvalues", chunk.Select(k => k.Fvalue).ToArray());
            }
            else if (page)
            {
                Parameter(command, "fvalues", chunk.Select(k => k.Fvalue).ToArray());
            }

            Parameter(command, "dims", chunk.Select(k => k.Dim).ToArray());
            Parameter(command, "values", chunk.Select(k => k.Value).ToArray());
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var sums = new long[valueCount];
                for (var i = 0; i < valueCount; i++)
                {
                    sums[i] = RollupReader.Long(reader, 4 + i);
                }

                stored[new SegmentKey(reader.GetInt32(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3))] = sums;
            }
        }

        var insert = new RollupRows(table, columns, types, Math.Clamp(keys.Count, 1, ChunkRows));
        foreach (var key in keys)
        {
            var d = delta[key];
            var sums = stored.GetValueOrDefault(key) ?? new long[valueCount];
            switch (AddDelta(sums, d, countColumn))
            {
                case null:
                    return false;
                case false:
                    continue;
            }

            SetRow(insert, await insert.AddAsync(tables, connection, transaction, cancellationToken).ConfigureAwait(false), siteId, day, key, segment, page, sums, valueCount);
        }

        await insert.FlushAsync(tables, connection, transaction, cancellationToken).ConfigureAwait(false);
        return true;
    }
}

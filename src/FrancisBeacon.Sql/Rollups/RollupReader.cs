// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using System.Globalization;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>Reads the integer columns of rollup statements.</summary>
internal static class RollupReader
{
    /// <summary>
    /// The integer in column <paramref name="ordinal"/>: read without boxing when the provider gives a
    /// <see cref="long"/> (SQLite, PostgreSQL's <c>bigint</c>), converted otherwise (PostgreSQL's <c>numeric</c> sums);
    /// NULL (a sum over no rows) is 0.
    /// </summary>
    public static long Long(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? 0
        : reader.GetFieldType(ordinal) == typeof(long) ? reader.GetInt64(ordinal)
        : Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);
}

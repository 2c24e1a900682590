// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite;

/// <summary>
/// The connection the rollup pass works on: every write transaction it begins first lets the store's waiting hit writes
/// go (<see cref="SqliteWritePriority"/>), so a pass made of many short transactions cannot starve the hit writer.
/// </summary>
internal sealed class SqliteRollupConnection(string connectionString, SqliteWritePriority priority, TimeSpan maxWait) : SqliteConnection(connectionString)
{
    /// <inheritdoc />
    public override SqliteTransaction BeginTransaction(IsolationLevel isolationLevel, bool deferred)
    {
        if (!deferred)
        {
            priority.WaitForHitWrites(maxWait);
        }

        var transaction = base.BeginTransaction(isolationLevel, deferred);
        WriteBegan = System.Diagnostics.Stopwatch.GetTimestamp();
        return transaction;
    }

    /// <summary>When the current write transaction (or its last split) began, as a <see cref="System.Diagnostics.Stopwatch"/> timestamp.</summary>
    public long WriteBegan { get; set; }
}

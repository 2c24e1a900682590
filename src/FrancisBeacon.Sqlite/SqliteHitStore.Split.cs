// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FrancisBeacon.Sqlite;

/// <content>
/// Keeping the hit writer in while the rollups are kept (docs/storage.md, "Writing while the rollups are kept"): hit
/// writes go first (<see cref="SqliteWritePriority"/>), wait longer for the lock than the pass's statements, and a
/// whole-day rewrite commits its work so far at its next chunk when a hit write waits or it has held the lock for
/// <see cref="MaxWriteHold"/>.
/// </content>
public sealed partial class SqliteHitStore
{
    /// <summary>How long a whole-day rewrite holds SQLite's write lock before it commits at its next chunk.</summary>
    internal static readonly TimeSpan MaxWriteHold = TimeSpan.FromMilliseconds(200);

    /// <summary>The busy timeout of a hit write: three times the store's (at least 15 s with the default 5 s).</summary>
    private int HitWriteBusyTimeoutMs => (int)Math.Min(int.MaxValue, _busyTimeoutMs * 3L);

    /// <summary>Tests: split a whole-day rewrite at every chunk, waiting hit write or not.</summary>
    internal bool ForceSplits { get; set; }

    /// <summary>Tests: called after a split committed the rewrite's work so far, before the rewrite waits for hit writes and begins again.</summary>
    internal Func<ValueTask>? OnSplitCommitted { get; set; }

    /// <summary>Tests: the gate between hit writes and the pass's write transactions.</summary>
    internal SqliteWritePriority WritePriority => _priority;

    /// <summary>Tests: whether a hit write has counted itself in and not out yet.</summary>
    internal bool HitWritesWaiting => _priority.HitWritesWaiting;

    /// <summary>How many times a whole-day rewrite committed part of its work to let a hit write in (tests read it).</summary>
    internal int Splits { get; private set; }

    private async ValueTask<bool> SplitPointAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        var rollup = (SqliteRollupConnection)connection;
        if (!ForceSplits && !_priority.HitWritesWaiting && Stopwatch.GetElapsedTime(rollup.WriteBegan) < MaxWriteHold)
        {
            return false;
        }

        // Same connection, same transaction object: COMMIT and BEGIN IMMEDIATE straight on the handle, so the pass's
        // statements keep their transaction and its final Commit (or a rollback of the last chunk) still applies.
        var db = rollup.Handle!;
        SqliteBatchWriter.Check(db, raw.sqlite3_exec(db, "COMMIT"), raw.SQLITE_OK);
        Splits++;
        try
        {
            if (OnSplitCommitted is { } hook)
            {
                await hook();
            }

            _priority.WaitForHitWrites(TimeSpan.FromMilliseconds(Math.Max(1, _busyTimeoutMs)));
            cancellationToken.ThrowIfCancellationRequested();
        }
        catch
        {
            // The transaction object still holds a transaction for its rollback.
            raw.sqlite3_exec(db, "BEGIN");
            throw;
        }

        for (var attempt = 1; ; attempt++)
        {
            var rc = raw.sqlite3_exec(db, "BEGIN IMMEDIATE");
            if (rc == raw.SQLITE_OK)
            {
                break;
            }

            if ((rc != raw.SQLITE_BUSY && rc != raw.SQLITE_LOCKED) || attempt >= 3 || cancellationToken.IsCancellationRequested)
            {
                // Leave a (deferred) transaction open for the transaction object to roll back, then fail the pass: the
                // day stays in rollup_rebuilding, answered from the raw hits, and the next pass rebuilds it.
                raw.sqlite3_exec(db, "BEGIN");
                SqliteException.ThrowExceptionForRC(rc, db);
            }
        }

        rollup.WriteBegan = Stopwatch.GetTimestamp();
        return true;
    }
}

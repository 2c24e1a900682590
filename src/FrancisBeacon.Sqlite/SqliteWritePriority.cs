// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Diagnostics;

namespace FrancisBeacon.Sqlite;

/// <summary>
/// The in-process gate that puts the store's hit writes ahead of the rollup pass's write transactions (SQLite has one
/// writer). A hit write counts itself in before it begins and out after it commits; the pass begins a write
/// transaction only when no hit write is waiting (or after <c>maxWait</c>), and a whole-day rewrite commits what it has
/// written and waits at its next chunk when one is (docs/storage.md, "Writing while the rollups are kept").
/// </summary>
/// <remarks>
/// SQLite's busy handler polls with sleeps, so a pass that commits and at once begins its next transaction nearly always
/// wins the lock again: without this gate a long pass starves the hit writer until its busy timeout fails the batch.
/// </remarks>
internal sealed class SqliteWritePriority
{
    private readonly object _lock = new();
    private int _hitWrites;

    /// <summary>Tests: called when a transaction of the pass starts waiting for a hit write.</summary>
    internal Action? Waiting { get; set; }

    /// <summary>Whether a hit write has counted itself in and not out yet.</summary>
    public bool HitWritesWaiting => Volatile.Read(ref _hitWrites) > 0;

    /// <summary>Counts a hit write in; dispose the result after its commit or failure.</summary>
    public HitWrite EnterHitWrite()
    {
        lock (_lock)
        {
            _hitWrites++;
        }

        return new HitWrite(this);
    }

    /// <summary>
    /// Waits until no hit write is waiting, at most <paramref name="maxWait"/> (hit writes that keep overlapping must not
    /// stop the pass for good); returns whether it waited for one.
    /// </summary>
    public bool WaitForHitWrites(TimeSpan maxWait)
    {
        if (!HitWritesWaiting)
        {
            return false;
        }

        Waiting?.Invoke();
        var deadline = Stopwatch.GetTimestamp() + (long)(maxWait.TotalSeconds * Stopwatch.Frequency);
        lock (_lock)
        {
            while (_hitWrites > 0)
            {
                var left = deadline - Stopwatch.GetTimestamp();
                if (left <= 0 || !Monitor.Wait(_lock, TimeSpan.FromSeconds(left / (double)Stopwatch.Frequency)))
                {
                    break;
                }
            }
        }

        return true;
    }

    private void Exit()
    {
        lock (_lock)
        {
            if (--_hitWrites == 0)
            {
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>A hit write counted in until disposed.</summary>
    internal readonly struct HitWrite(SqliteWritePriority owner) : IDisposable
    {
        /// <inheritdoc />
        public void Dispose() => owner.Exit();
    }
}

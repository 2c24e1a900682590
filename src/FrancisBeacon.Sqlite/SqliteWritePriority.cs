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
/// <para>SQLite's busy handler polls with sleeps, so a pass that commits and at once begins its next transaction nearly
/// always wins the lock again: without this gate a long pass starves the hit writer until its busy timeout fails the
/// batch.</para>
/// <para>A hit write that had to wait for the lock (<see cref="HitWrite.WaitedForLock"/>) means the beacon's queue filled
/// behind it meanwhile: the writer then comes back at once with its next batch, and the next, until it has caught up.
/// Until it has (no hit write counted in for <see cref="CatchUpGap"/>), the pass waits between its transactions too, not
/// only while a hit write is counted in: counted out after one batch, the writer would otherwise lose the race for the
/// lock to the pass's next transaction and write one batch per transaction of the pass, fewer hits a second than a
/// busy site sends (docs/performance.md, "Round 12").</para>
/// </remarks>
internal sealed class SqliteWritePriority
{
    /// <summary>
    /// How long no hit write may be counted in before a writer catching up is taken to have caught up: far more than the
    /// writer needs between two batches of a backlog (microseconds), far less than the beacon's flush interval.
    /// </summary>
    internal static readonly TimeSpan CatchUpGap = TimeSpan.FromMilliseconds(2);

    private readonly object _lock = new();
    private int _hitWrites;
    private bool _catchingUp;
    private long _lastExit;

    /// <summary>Tests: called when a transaction of the pass starts waiting for a hit write.</summary>
    internal Action? Waiting { get; set; }

    /// <summary>Whether a hit write has counted itself in and not out yet.</summary>
    public bool HitWritesWaiting => Volatile.Read(ref _hitWrites) > 0;

    /// <summary>Whether the hit writer is catching up after waiting for the lock (the pass waits for it to finish).</summary>
    public bool CatchingUp
    {
        get
        {
            lock (_lock)
            {
                return _catchingUp;
            }
        }
    }

    /// <summary>Tests and benchmarks: whether a hit write that waited for the lock makes the pass wait for the catch-up (on by default).</summary>
    internal bool WaitForCatchUp { get; set; } = true;

    /// <summary>Tests: the gap that ends a catch-up (<see cref="CatchUpGap"/> by default).</summary>
    internal TimeSpan Gap { get; set; } = CatchUpGap;

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
    /// Waits until no hit write is waiting and, while the hit writer is catching up, until it has caught up (no hit write
    /// counted in for <see cref="Gap"/>), at most <paramref name="maxWait"/> in all (hit writes that keep overlapping must
    /// not stop the pass for good); returns whether it waited.
    /// </summary>
    public bool WaitForHitWrites(TimeSpan maxWait)
    {
        if (!HitWritesWaiting && !CatchingUp)
        {
            return false;
        }

        Waiting?.Invoke();
        var deadline = Stopwatch.GetTimestamp() + (long)(maxWait.TotalSeconds * Stopwatch.Frequency);
        lock (_lock)
        {
            while (true)
            {
                var now = Stopwatch.GetTimestamp();
                var gap = (long)(Gap.TotalSeconds * Stopwatch.Frequency);
                long until;
                if (_hitWrites > 0)
                {
                    until = deadline;
                }
                else if (_catchingUp && now - _lastExit < gap)
                {
                    until = Math.Min(deadline, _lastExit + gap);
                }
                else
                {
                    // Caught up: the next transaction of the pass goes first again only when a hit write waited anew.
                    _catchingUp = false;
                    break;
                }

                var left = until - now;
                if (left <= 0 && until == deadline)
                {
                    break;
                }

                Monitor.Wait(_lock, TimeSpan.FromSeconds(Math.Max(0, left) / (double)Stopwatch.Frequency));
            }
        }

        return true;
    }

    /// <summary>A hit write waited for the lock: the writer is catching up until no hit write comes for <see cref="Gap"/>.</summary>
    private void WaitedForLock()
    {
        if (!WaitForCatchUp)
        {
            return;
        }

        lock (_lock)
        {
            _catchingUp = true;
        }
    }

    private void Exit()
    {
        lock (_lock)
        {
            _lastExit = Stopwatch.GetTimestamp();
            if (--_hitWrites == 0)
            {
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>A hit write counted in until disposed.</summary>
    internal readonly struct HitWrite(SqliteWritePriority owner) : IDisposable
    {
        /// <summary>
        /// Tells the gate that this hit write had to wait for SQLite's write lock (a transaction of the pass, or another
        /// process, held it), so the beacon's queue has filled behind it: the pass lets the writer catch up.
        /// </summary>
        public void WaitedForLock() => owner.WaitedForLock();

        /// <inheritdoc />
        public void Dispose() => owner.Exit();
    }
}

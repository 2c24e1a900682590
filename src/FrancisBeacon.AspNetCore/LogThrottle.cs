// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// One log line per interval for an event a client can cause at will (a refused query, an unknown token): the first
/// occurrence is logged at once, later ones are counted and reported with the next line due, so a flood of bad
/// requests costs one line a minute instead of one per request. Thread-safe; the count is never lost, only delayed.
/// </summary>
internal sealed class LogThrottle(TimeProvider time, TimeSpan every)
{
    internal static readonly TimeSpan DefaultInterval = TimeSpan.FromMinutes(1);

    private readonly long _everyTicks = (long)(every.TotalSeconds * time.TimestampFrequency);
    private long _pending;
    private long _nextAt = long.MinValue;

    public LogThrottle(TimeProvider time)
        : this(time, DefaultInterval)
    {
    }

    /// <summary>Counts one occurrence. Returns how many to report when a line is due (the occurrences since the last line, this one included), otherwise 0.</summary>
    public long Count()
    {
        Interlocked.Increment(ref _pending);
        var now = time.GetTimestamp();
        var next = Volatile.Read(ref _nextAt);
        if (now < next || Interlocked.CompareExchange(ref _nextAt, now + _everyTicks, next) != next)
        {
            return 0;
        }

        return Interlocked.Exchange(ref _pending, 0);
    }
}

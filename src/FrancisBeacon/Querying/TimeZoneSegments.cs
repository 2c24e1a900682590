namespace FrancisBeacon.Querying;

/// <summary>
/// A stretch of time in which a time zone keeps one UTC offset: from <see cref="StartUtc"/> (inclusive) to
/// <see cref="EndUtc"/> (exclusive).
/// </summary>
/// <param name="StartUtc">Start of the stretch, inclusive.</param>
/// <param name="EndUtc">End of the stretch, exclusive.</param>
/// <param name="Offset">The zone's UTC offset during the stretch.</param>
public readonly record struct TimeZoneSegment(DateTimeOffset StartUtc, DateTimeOffset EndUtc, TimeSpan Offset);

/// <summary>
/// Splits an instant range into the stretches where a time zone's offset is constant. SQL stores use it to turn
/// UTC timestamps into local days with plain arithmetic (<c>(ts + offset) / 86400000</c>), which every database can
/// do and which gives the same answer as <see cref="TimeZoneInfo.ConvertTime(DateTimeOffset, TimeZoneInfo)"/>.
/// </summary>
public static class TimeZoneSegments
{
    /// <summary>Milliseconds in a day.</summary>
    public const long MillisecondsPerDay = 86_400_000;

    /// <summary>Computes the segments covering <c>[from, to)</c>; at least one segment.</summary>
    public static IReadOnlyList<TimeZoneSegment> Compute(TimeZoneInfo timeZone, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        // Work on UTC values only: the search below rebuilds instants from ticks with a zero offset.
        from = from.ToUniversalTime();
        to = to.ToUniversalTime();
        var segments = new List<TimeZoneSegment>();
        if (to <= from)
        {
            segments.Add(new TimeZoneSegment(from, from, timeZone.GetUtcOffset(from)));
            return segments;
        }

        var start = from;
        var offset = timeZone.GetUtcOffset(start);
        var cursor = start;
        // Offsets change at most a few times a year; probe hourly steps cheaply by days, then narrow down.
        while (cursor < to)
        {
            var next = cursor.AddDays(1);
            if (next > to)
            {
                next = to;
            }

            var nextOffset = timeZone.GetUtcOffset(next == to ? next.AddTicks(-1) : next);
            if (nextOffset != offset)
            {
                // Binary search the change to the millisecond within (cursor, next].
                var lo = cursor;
                var hi = next == to ? next.AddTicks(-1) : next;
                while ((hi - lo).TotalMilliseconds > 1)
                {
                    var mid = lo.AddTicks((hi - lo).Ticks / 2);
                    mid = new DateTimeOffset(mid.UtcTicks - (mid.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
                    if (mid <= lo)
                    {
                        break;
                    }

                    if (timeZone.GetUtcOffset(mid) == offset)
                    {
                        lo = mid;
                    }
                    else
                    {
                        hi = mid;
                    }
                }

                segments.Add(new TimeZoneSegment(start, hi, offset));
                start = hi;
                offset = timeZone.GetUtcOffset(hi);
                cursor = hi;
                continue;
            }

            cursor = next;
        }

        segments.Add(new TimeZoneSegment(start, to, offset));
        return segments;
    }

    /// <summary>The local calendar day of a UTC instant in a zone.</summary>
    public static DateOnly LocalDay(DateTimeOffset utc, TimeZoneInfo timeZone) =>
        DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(utc, timeZone).DateTime);

    /// <summary>Turns a day number (local milliseconds since the epoch divided by a day) into a date.</summary>
    public static DateOnly DayNumberToDate(long dayNumber) => DateOnly.FromDayNumber((int)(dayNumber + 719_162));

    /// <summary>The UTC instant at which a local calendar day starts in a zone (skipping a gap if midnight is in one).</summary>
    public static DateTimeOffset StartOfDay(DateOnly day, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        // Midnight may not exist (DST gaps at 00:00, e.g. America/Santiago); move forward until it does.
        var probe = local;
        for (var i = 0; i < 48 && timeZone.IsInvalidTime(probe); i++)
        {
            probe = probe.AddMinutes(30);
        }

        var offset = timeZone.IsAmbiguousTime(probe)
            ? timeZone.GetAmbiguousTimeOffsets(probe).Max()
            : timeZone.GetUtcOffset(probe);
        return new DateTimeOffset(probe, offset).ToUniversalTime();
    }
}

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

    /// <summary>
    /// The UTC instant at which a local calendar day starts in a zone: the first instant whose local day (as
    /// <see cref="LocalDay"/> gives it) is <paramref name="day"/> or later. A day whose midnight falls in a gap starts
    /// at the end of the gap (America/Santiago 2024-09-08 at 01:00); a day the zone skipped whole (Pacific/Apia
    /// 2011-12-30) starts where the next day starts, so it holds no instant.
    /// </summary>
    public static DateTimeOffset StartOfDay(DateOnly day, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        var midnight = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified).Ticks;
        // Usually local midnight less the offset in force just before it. TimeZoneInfo's local-time answers
        // (IsInvalidTime, GetUtcOffset(DateTime)) are not used: around a change of a zone's standard offset (Apia's
        // and Kiritimati's skipped days) they disagree with its instant-to-local conversion, which places the hits.
        foreach (var probe in (ReadOnlySpan<long>)[midnight - TimeSpan.TicksPerDay, midnight])
        {
            var guess = midnight - timeZone.GetUtcOffset(Instant(probe)).Ticks;
            if (IsStartOf(guess, day, timeZone))
            {
                return Instant(guess);
            }
        }

        // Midnight in a gap or repeated, or the day skipped: search the first instant of the day or later, to the
        // tick, within a day either side of local midnight (every offset is less than a day).
        var lo = Math.Max(midnight - TimeSpan.TicksPerDay, MinTicks);
        var hi = Math.Min(midnight + TimeSpan.TicksPerDay, MaxTicks);
        if (LocalDay(Instant(lo), timeZone) >= day)
        {
            return Instant(lo);
        }

        while (hi - lo > 1)
        {
            var mid = lo + ((hi - lo) / 2);
            if (LocalDay(Instant(mid), timeZone) >= day)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        return Instant(hi);
    }

    private static readonly long MinTicks = DateTimeOffset.MinValue.UtcTicks;

    private static readonly long MaxTicks = DateTimeOffset.MaxValue.UtcTicks;

    // A UTC instant from ticks, clamped to DateTimeOffset's range (days at the ends of the calendar).
    private static DateTimeOffset Instant(long utcTicks) => new(Math.Clamp(utcTicks, MinTicks, MaxTicks), TimeSpan.Zero);

    private static bool IsStartOf(long utcTicks, DateOnly day, TimeZoneInfo timeZone) =>
        utcTicks > MinTicks && utcTicks <= MaxTicks &&
        LocalDay(Instant(utcTicks), timeZone) == day && LocalDay(Instant(utcTicks - 1), timeZone) < day;
}

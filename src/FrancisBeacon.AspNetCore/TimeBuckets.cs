// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;
using FrancisBeacon.Querying;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// Every bucket of a query's time dimension over its range, in order (<c>v2/query</c>'s <c>meta.time_labels</c> and the
/// comparison pairing), kept as each bucket's local start in ticks: 8 bytes a bucket, its label written only when the
/// answer is. As a list of label strings with a set of them for the duplicates, 100 000 hourly buckets (a 147-byte
/// query) took about 10 MB, computed before the query waited for its <c>QueryConcurrency</c> slot: 110 such requests
/// at once held 1.5 GB and stalled the collection endpoints for seconds (session 21's probe).
/// </summary>
internal sealed class TimeBuckets
{
    /// <summary>The most buckets kept (about 11 years of <c>time:hour</c>); rows past them are answered, not paired.</summary>
    public const int MaxCount = 100_000;

    /// <summary>The longest label: <c>yyyy-MM-dd HH:00:00</c>.</summary>
    public const int MaxLabelLength = 19;

    private readonly HitDimension _time;
    private readonly List<long> _starts;

    private TimeBuckets(HitDimension time, List<long> starts)
    {
        _time = time;
        _starts = starts;
    }

    // How HitDimension.BucketLabel writes a bucket's start: an hour's with its time, any other's as its first day.
    private string LabelFormat => _time == HitDimension.Hour ? "yyyy-MM-dd HH:00:00" : "yyyy-MM-dd";

    /// <summary>The number of buckets.</summary>
    public int Count => _starts.Count;

    /// <summary>
    /// Walks each stretch of constant offset from one local bucket boundary (hour or midnight) to the next, so that no
    /// bucket is stepped over however short it is (a fixed 30-minute step missed the 15 minutes of 03:00 that
    /// Pacific/Chatham keeps when its clocks jump from 02:45 to 03:45). A bucket met twice (clocks going back) is kept
    /// once; the walk stops at <see cref="MaxCount"/> buckets.
    /// </summary>
    public static TimeBuckets Compute(HitQuery query, HitDimension time)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(time);
        var starts = new List<long>();
        foreach (var segment in TimeZoneSegments.Compute(query.TimeZone, query.From, query.To))
        {
            var offset = segment.Offset;
            for (var t = segment.StartUtc; t < segment.EndUtc && starts.Count < MaxCount;)
            {
                var local = t.UtcDateTime + offset;
                var start = Start(time, local);
                if (starts.Count == 0 || start > starts[^1])
                {
                    starts.Add(start);
                }
                else if (starts.BinarySearch(start) is var index and < 0)
                {
                    // Met after a later bucket: clocks went back past the range's start. Kept in order.
                    starts.Insert(~index, start);
                }

                var next = time == HitDimension.Hour
                    ? new DateTime(local.Year, local.Month, local.Day, local.Hour, 0, 0, DateTimeKind.Unspecified).AddHours(1)
                    : local.Date.AddDays(1);
                t = new DateTimeOffset(next.Ticks - offset.Ticks, TimeSpan.Zero);
            }
        }

        return new TimeBuckets(time, starts);
    }

    /// <summary>Bucket <paramref name="index"/>'s label (as <see cref="HitDimension.BucketLabel"/> writes it) in <paramref name="destination"/>.</summary>
    public int FormatLabel(int index, Span<char> destination)
    {
        var start = new DateTime(_starts[index], DateTimeKind.Unspecified);
        return start.TryFormat(destination, out var written, LabelFormat, CultureInfo.InvariantCulture)
            ? written
            : throw new ArgumentException($"A label takes up to {MaxLabelLength} characters.", nameof(destination));
    }

    /// <summary>Bucket <paramref name="index"/>'s label as a string.</summary>
    public string Label(int index)
    {
        Span<char> label = stackalloc char[MaxLabelLength];
        return new string(label[..FormatLabel(index, label)]);
    }

    /// <summary>The position of the bucket labelled <paramref name="label"/>, or -1 when none has that label.</summary>
    public int IndexOf(string label)
    {
        if (!DateTime.TryParseExact(label, LabelFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local) ||
            Start(_time, local) != local.Ticks)
        {
            return -1;
        }

        var index = _starts.BinarySearch(local.Ticks);
        return index >= 0 ? index : -1;
    }

    // The local start of the bucket holding local time t, in ticks: the label HitDimension.BucketLabel gives, as a time.
    private static long Start(HitDimension time, DateTime local)
    {
        if (time == HitDimension.Hour)
        {
            return new DateTime(local.Year, local.Month, local.Day, local.Hour, 0, 0, DateTimeKind.Unspecified).Ticks;
        }

        if (time == HitDimension.Week)
        {
            return local.Date.AddDays(-(((int)local.DayOfWeek + 6) % 7)).Ticks;
        }

        if (time == HitDimension.Month)
        {
            return new DateTime(local.Year, local.Month, 1, 0, 0, 0, DateTimeKind.Unspecified).Ticks;
        }

        return time == HitDimension.Day ? local.Date.Ticks : throw new InvalidOperationException($"{time.Name} is not a time dimension.");
    }
}

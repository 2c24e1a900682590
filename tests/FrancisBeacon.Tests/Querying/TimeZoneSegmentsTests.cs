// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Tests.Querying;

public sealed class TimeZoneSegmentsTests
{
    public static TheoryData<string> Zones { get; } =
    [
        "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Beirut", "Australia/Lord_Howe",
        "America/Santiago", "Pacific/Chatham", "Pacific/Apia",
    ];

    [Fact]
    public void Compute_BerlinAcrossSpringForward_SplitsAtTheChange()
    {
        var segments = TimeZoneSegments.Compute(Zone("Europe/Berlin"), Utc(2025, 3, 29), Utc(2025, 4, 1));

        Assert.Equal(
        [
            new TimeZoneSegment(Utc(2025, 3, 29), Utc(2025, 3, 30, 1), TimeSpan.FromHours(1)),
            new TimeZoneSegment(Utc(2025, 3, 30, 1), Utc(2025, 4, 1), TimeSpan.FromHours(2)),
        ], segments);
    }

    [Fact]
    public void Compute_BerlinOverAYear_ThreeSegmentsSplitAtBothChanges()
    {
        var segments = TimeZoneSegments.Compute(Zone("Europe/Berlin"), Utc(2025, 1, 1), Utc(2026, 1, 1));

        Assert.Equal(
        [
            new TimeZoneSegment(Utc(2025, 1, 1), Utc(2025, 3, 30, 1), TimeSpan.FromHours(1)),
            new TimeZoneSegment(Utc(2025, 3, 30, 1), Utc(2025, 10, 26, 1), TimeSpan.FromHours(2)),
            new TimeZoneSegment(Utc(2025, 10, 26, 1), Utc(2026, 1, 1), TimeSpan.FromHours(1)),
        ], segments);
    }

    [Fact]
    public void Compute_LordHowe_HalfHourShifts()
    {
        var segments = TimeZoneSegments.Compute(Zone("Australia/Lord_Howe"), Utc(2025, 1, 1), Utc(2026, 1, 1));

        Assert.Equal(
        [
            new TimeZoneSegment(Utc(2025, 1, 1), Utc(2025, 4, 5, 15), TimeSpan.FromHours(11)),
            new TimeZoneSegment(Utc(2025, 4, 5, 15), Utc(2025, 10, 4, 15, 30), TimeSpan.FromHours(10.5)),
            new TimeZoneSegment(Utc(2025, 10, 4, 15, 30), Utc(2026, 1, 1), TimeSpan.FromHours(11)),
        ], segments);
    }

    [Fact]
    public void Compute_Utc_OneSegment()
    {
        var segments = TimeZoneSegments.Compute(TimeZoneInfo.Utc, Utc(2024, 1, 1), Utc(2028, 1, 1));

        Assert.Equal([new TimeZoneSegment(Utc(2024, 1, 1), Utc(2028, 1, 1), TimeSpan.Zero)], segments);
    }

    [Fact]
    public void Compute_EmptyRange_OneEmptySegment()
    {
        var segments = TimeZoneSegments.Compute(Zone("Europe/Berlin"), Utc(2025, 7, 1), Utc(2025, 7, 1));

        Assert.Equal([new TimeZoneSegment(Utc(2025, 7, 1), Utc(2025, 7, 1), TimeSpan.FromHours(2))], segments);
    }

    [Fact]
    public void Compute_BoundsWithNonZeroOffset_SplitsAtTheSameInstant()
    {
        var from = Utc(2025, 3, 29).ToOffset(TimeSpan.FromHours(5));
        var to = Utc(2025, 4, 1).ToOffset(TimeSpan.FromHours(-3));

        var segments = TimeZoneSegments.Compute(Zone("Europe/Berlin"), from, to);

        Assert.Equal(2, segments.Count);
        Assert.Equal(Utc(2025, 3, 30, 1), segments[0].EndUtc);
        Assert.Equal(Utc(2025, 3, 30, 1), segments[1].StartUtc);
        Assert.All(segments, s => Assert.Equal(TimeSpan.Zero, s.StartUtc.Offset));
    }

    [Theory]
    [MemberData(nameof(Zones))]
    public void Compute_FourYears_SegmentsAreContiguousAndMatchTheZoneOffset(string zoneId)
    {
        var zone = Zone(zoneId);
        var from = Utc(2024, 1, 1);
        var to = Utc(2028, 1, 1);

        var segments = TimeZoneSegments.Compute(zone, from, to);

        Assert.Equal(from, segments[0].StartUtc);
        Assert.Equal(to, segments[^1].EndUtc);
        for (var i = 0; i < segments.Count; i++)
        {
            var s = segments[i];
            Assert.True(s.StartUtc < s.EndUtc, $"segment {i} is empty");
            Assert.Equal(zone.GetUtcOffset(s.StartUtc), s.Offset);
            Assert.Equal(zone.GetUtcOffset(s.EndUtc.AddMilliseconds(-1)), s.Offset);
            if (i > 0)
            {
                Assert.Equal(segments[i - 1].EndUtc, s.StartUtc);
                Assert.NotEqual(segments[i - 1].Offset, s.Offset);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Zones))]
    public void LocalDayByArithmetic_FourYearsOfHours_MatchesConvertTime(string zoneId)
    {
        var zone = Zone(zoneId);
        var segments = TimeZoneSegments.Compute(zone, Utc(2024, 1, 1), Utc(2028, 1, 1));

        foreach (var s in segments)
        {
            foreach (var instant in new[] { s.StartUtc, s.EndUtc.AddMilliseconds(-1) })
            {
                var local = (instant.ToUnixTimeMilliseconds() + (long)s.Offset.TotalMilliseconds) / TimeZoneSegments.MillisecondsPerDay;

                Assert.Equal(TimeZoneSegments.LocalDay(instant, zone), TimeZoneSegments.DayNumberToDate(local));
            }
        }
    }

    [Fact]
    public void LocalDay_BerlinAroundMidnight_FollowsLocalCalendar()
    {
        var berlin = Zone("Europe/Berlin");

        Assert.Equal(new DateOnly(2025, 3, 29), TimeZoneSegments.LocalDay(Utc(2025, 3, 29, 22, 59, 59, 999), berlin));
        Assert.Equal(new DateOnly(2025, 3, 30), TimeZoneSegments.LocalDay(Utc(2025, 3, 29, 23), berlin));
        Assert.Equal(new DateOnly(2025, 3, 30), TimeZoneSegments.LocalDay(Utc(2025, 3, 30, 21, 59, 59, 999), berlin));
        Assert.Equal(new DateOnly(2025, 3, 31), TimeZoneSegments.LocalDay(Utc(2025, 3, 30, 22), berlin));
    }

    [Theory]
    [InlineData(2025, 3, 30, "2025-03-29T23:00:00Z")]
    [InlineData(2025, 3, 31, "2025-03-30T22:00:00Z")]
    [InlineData(2025, 10, 26, "2025-10-25T22:00:00Z")]
    [InlineData(2025, 10, 27, "2025-10-26T23:00:00Z")]
    public void StartOfDay_BerlinShortAndLongDays_IsLocalMidnight(int year, int month, int day, string expected)
    {
        var start = TimeZoneSegments.StartOfDay(new DateOnly(year, month, day), Zone("Europe/Berlin"));

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), start);
    }

    [Fact]
    public void StartOfDay_SantiagoSkippedMidnight_IsOneOClock()
    {
        // 2024-09-08: clocks go from 00:00 -04 to 01:00 -03, so the day starts at 01:00 local = 04:00 UTC.
        var start = TimeZoneSegments.StartOfDay(new DateOnly(2024, 9, 8), Zone("America/Santiago"));

        Assert.Equal(Utc(2024, 9, 8, 4), start);
    }

    [Fact]
    public void StartOfDay_BeirutSkippedMidnight_IsOneOClock()
    {
        // 2025-03-30: clocks go from 00:00 +02 to 01:00 +03.
        var start = TimeZoneSegments.StartOfDay(new DateOnly(2025, 3, 30), Zone("Asia/Beirut"));

        Assert.Equal(Utc(2025, 3, 29, 22), start);
    }

    [Fact]
    public void StartOfDay_BeirutAfterRepeatedHour_IsTheOnlyMidnight()
    {
        // 2025-10-26: at 00:00 +03 clocks go back to 23:00 +02 on the 25th; the 26th starts at 00:00 +02.
        var start = TimeZoneSegments.StartOfDay(new DateOnly(2025, 10, 26), Zone("Asia/Beirut"));

        Assert.Equal(Utc(2025, 10, 25, 22), start);
    }

    [Theory]
    [MemberData(nameof(Zones))]
    public void StartOfDay_EveryDayOfFourYears_IsTheFirstInstantOfThatLocalDay(string zoneId)
    {
        var zone = Zone(zoneId);
        for (var day = new DateOnly(2024, 1, 1); day < new DateOnly(2028, 1, 1); day = day.AddDays(1))
        {
            var start = TimeZoneSegments.StartOfDay(day, zone);

            Assert.True(TimeZoneSegments.LocalDay(start, zone) == day, $"{zoneId} {day:O}: StartOfDay {start:O} is on {TimeZoneSegments.LocalDay(start, zone):O}");
            Assert.True(TimeZoneSegments.LocalDay(start.AddMilliseconds(-1), zone) < day, $"{zoneId} {day:O}: the millisecond before {start:O} is on the same day");
        }
    }

    [Theory]
    [InlineData("Pacific/Apia", 2011, 12, 30, "2011-12-29T10:00:00Z", "2011-12-30T10:00:00Z")]
    [InlineData("Pacific/Kiritimati", 1994, 12, 31, "1994-12-30T10:00:00Z", "1994-12-31T10:00:00Z")]
    public void StartOfDay_DaySkippedByTheZone_HoldsNoInstantAndTheDayBeforeIsWhole(string zoneId, int year, int month, int day, string dayBefore, string skipped)
    {
        // Apia went from -10 to +14 after 2011-12-29 (Kiritimati after 1994-12-30): the next local day was the 31st
        // (1 January). The skipped day starts where the next starts; the day before keeps its 24 hours.
        var zone = Zone(zoneId);
        var date = new DateOnly(year, month, day);

        var before = TimeZoneSegments.StartOfDay(date.AddDays(-1), zone);
        var start = TimeZoneSegments.StartOfDay(date, zone);
        var next = TimeZoneSegments.StartOfDay(date.AddDays(1), zone);

        Assert.Equal(At(dayBefore), before);
        Assert.Equal(At(skipped), start);
        Assert.Equal(start, next);
        Assert.Equal(date.AddDays(1), TimeZoneSegments.LocalDay(start, zone));
    }

    [Theory]
    [InlineData("Asia/Amman", 2022, 2, 25, "2022-02-24T22:00:00Z")]         // 00:00 +02 -> 01:00 +03
    [InlineData("Asia/Damascus", 2022, 3, 25, "2022-03-24T22:00:00Z")]      // 00:00 +02 -> 01:00 +03
    [InlineData("America/Scoresbysund", 2024, 3, 31, "2024-03-31T01:00:00Z")] // 00:00 -01 -> 01:00 +00
    [InlineData("America/Rio_Branco", 2008, 6, 24, "2008-06-24T05:00:00Z")]   // 00:00 -05 -> 01:00 -04 (new standard offset)
    public void StartOfDay_MidnightInAGapTheLocalTimeApiMisplaces_IsTheEndOfTheGap(string zoneId, int year, int month, int day, string expected)
    {
        // TimeZoneInfo's local-time answers (IsInvalidTime, GetUtcOffset(DateTime)) put these midnights an hour off
        // from its own instant-to-local conversion, which decides the day of every hit.
        var start = TimeZoneSegments.StartOfDay(new DateOnly(year, month, day), Zone(zoneId));

        Assert.Equal(At(expected), start);
    }

    [Theory]
    [InlineData("Pacific/Apia", 2011)]
    [InlineData("Pacific/Kiritimati", 1994)]
    [InlineData("Asia/Amman", 2022)]
    [InlineData("America/Scoresbysund", 2024)]
    [InlineData("America/Rio_Branco", 2008)]
    public void StartOfDay_EveryDayOfAYearWithAnOffsetChange_IsTheFirstInstantOfThatDayOrLater(string zoneId, int year)
    {
        var zone = Zone(zoneId);
        for (var day = new DateOnly(year, 1, 1); day <= new DateOnly(year + 1, 1, 1); day = day.AddDays(1))
        {
            var start = TimeZoneSegments.StartOfDay(day, zone);

            Assert.True(TimeZoneSegments.LocalDay(start, zone) >= day, $"{zoneId} {day:O}: StartOfDay {start:O} is on {TimeZoneSegments.LocalDay(start, zone):O}");
            Assert.True(TimeZoneSegments.LocalDay(start.AddTicks(-1), zone) < day, $"{zoneId} {day:O}: the tick before {start:O} is on {TimeZoneSegments.LocalDay(start.AddTicks(-1), zone):O}");
        }
    }

    [Fact]
    public void StartOfDay_FirstAndLastDaysOfTheCalendar_DoNotThrow()
    {
        var zone = Zone("Pacific/Kiritimati");

        Assert.Equal(DateTimeOffset.MinValue, TimeZoneSegments.StartOfDay(DateOnly.MinValue, zone));
        Assert.True(TimeZoneSegments.StartOfDay(DateOnly.MaxValue, zone) < DateTimeOffset.MaxValue);
    }

    [Fact]
    public void DayNumberToDate_EpochAndBefore_AreCalendarDays()
    {
        Assert.Equal(new DateOnly(1970, 1, 1), TimeZoneSegments.DayNumberToDate(0));
        Assert.Equal(new DateOnly(1969, 12, 31), TimeZoneSegments.DayNumberToDate(-1));
        Assert.Equal(new DateOnly(2025, 1, 1), TimeZoneSegments.DayNumberToDate(20089));
    }

    internal static TimeZoneInfo Zone(string id) =>
        SiteTimeZones.TryFind(id, out var zone) ? zone : throw new InvalidOperationException($"Unknown zone {id}");

    internal static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0, int millisecond = 0) =>
        new(year, month, day, hour, minute, second, millisecond, TimeSpan.Zero);

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture);
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using static FrancisBeacon.Tests.Querying.TimeZoneSegmentsTests;

namespace FrancisBeacon.Tests.Querying;

public sealed class QueryDateRangeTests
{
    private static readonly DateTimeOffset Now = Utc(2025, 6, 15, 10, 30);

    [Fact]
    public void Parse_DayWithoutDate_IsToday()
    {
        var range = QueryDateRange.Parse("day", null);

        Assert.Same(QueryDateRange.Today, range);
        Assert.Equal((Utc(2025, 6, 15), Utc(2025, 6, 16)), range.Resolve(TimeZoneInfo.Utc, Now));
    }

    [Fact]
    public void Parse_DayWithDate_IsThatDay()
    {
        var range = QueryDateRange.Parse("day", "2025-02-03");

        Assert.Equal((new DateOnly(2025, 2, 3), new DateOnly(2025, 2, 3)), range.Days(TimeZoneInfo.Utc, Now));
        Assert.Equal((Utc(2025, 2, 3), Utc(2025, 2, 4)), range.Resolve(TimeZoneInfo.Utc, Now));
    }

    [Fact]
    public void Parse_91d_IsNinetyOneDaysIncludingToday()
    {
        var range = QueryDateRange.Parse("91d", null);

        Assert.Same(QueryDateRange.Last91Days, range);
        Assert.Equal((new DateOnly(2025, 3, 17), new DateOnly(2025, 6, 15)), range.Days(TimeZoneInfo.Utc, Now));
    }

    [Fact]
    public void Parse_7d_IsSevenDaysIncludingToday()
    {
        var range = QueryDateRange.Parse("7d", null);

        Assert.Equal((new DateOnly(2025, 6, 9), new DateOnly(2025, 6, 15)), range.Days(TimeZoneInfo.Utc, Now));
        Assert.Equal((Utc(2025, 6, 9), Utc(2025, 6, 16)), range.Resolve(TimeZoneInfo.Utc, Now));
    }

    [Fact]
    public void Parse_30d_IsThirtyDaysIncludingToday()
    {
        var range = QueryDateRange.Parse("30d", null);

        Assert.Equal((Utc(2025, 5, 17), Utc(2025, 6, 16)), range.Resolve(TimeZoneInfo.Utc, Now));
    }

    [Fact]
    public void Parse_NothingGiven_Is30d()
    {
        Assert.Same(QueryDateRange.Last30Days, QueryDateRange.Parse(null, null));
        Assert.Same(QueryDateRange.Last30Days, QueryDateRange.Parse("  ", ""));
    }

    [Fact]
    public void Parse_CustomInBerlin_CoversBothDaysWhole()
    {
        var range = QueryDateRange.Parse("custom", "2025-03-01,2025-03-31");

        var (from, to) = range.Resolve(Zone("Europe/Berlin"), Now);

        Assert.Equal(Utc(2025, 2, 28, 23), from);
        Assert.Equal(Utc(2025, 3, 31, 22), to);
    }

    [Fact]
    public void Parse_TwoDatesWithoutPeriod_IsCustom()
    {
        var range = QueryDateRange.Parse(null, " 2025-01-01 , 2025-01-02 ");

        Assert.Equal("custom", range.Period);
        Assert.Equal((Utc(2025, 1, 1), Utc(2025, 1, 3)), range.Resolve(TimeZoneInfo.Utc, Now));
    }

    [Fact]
    public void Parse_CustomSameDay_IsOneDay()
    {
        var range = QueryDateRange.Parse("custom", "2025-01-01,2025-01-01");

        Assert.Equal((Utc(2025, 1, 1), Utc(2025, 1, 2)), range.Resolve(TimeZoneInfo.Utc, Now));
    }

    [Theory]
    [InlineData("week", null, "period")]
    [InlineData("DAY", null, "period")]
    [InlineData("custom", null, "date")]
    [InlineData("custom", "2025-01-01", "date")]
    [InlineData("custom", "2025-01-01,2025-01-02,2025-01-03", "date")]
    [InlineData("custom", "2025-01-01,", "date")]
    [InlineData("day", "2025-13-01", "date")]
    [InlineData("day", "01/02/2025", "date")]
    [InlineData("day", "2025-1-1", "date")]
    [InlineData("custom", "2025-02-01,2025-01-01", "date_range")]
    [InlineData("7d", "2025-01-01", "date")] // was ignored: the last 7 days, whatever the date said
    [InlineData("30d", "2025-01-01,2025-01-31", "date")]
    [InlineData("month", "2025-01-01", "date")]
    [InlineData("all", "2025-01-01", "date")]
    public void Parse_BadInput_ThrowsNamingTheField(string? period, string? date, string field)
    {
        var error = Assert.Throws<HitQueryException>(() => QueryDateRange.Parse(period, date));

        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Parse_OneDateWithoutPeriod_IsThatDay()
    {
        // Two dates alone are a custom range; one date alone was the last 30 days, ignoring it.
        var range = QueryDateRange.Parse(null, "2025-02-03");

        Assert.Equal("day", range.Period);
        Assert.Equal((new DateOnly(2025, 2, 3), new DateOnly(2025, 2, 3)), range.Days(TimeZoneInfo.Utc, Now));
    }

    [Fact]
    public void Parse_VeryLongBadDate_MessageIsShortened()
    {
        var error = Assert.Throws<HitQueryException>(() => QueryDateRange.Parse("day", new string('9', 5000)));

        Assert.True(error.Message.Length < 200);
    }

    [Fact]
    public void Resolve_7dAcrossSpringForward_IsSevenLocalDays()
    {
        var berlin = Zone("Europe/Berlin");

        var (from, to) = QueryDateRange.Last7Days.Resolve(berlin, Utc(2025, 3, 31, 12));

        Assert.Equal(Utc(2025, 3, 24, 23), from);
        Assert.Equal(Utc(2025, 3, 31, 22), to);
        Assert.Equal(TimeSpan.FromHours((7 * 24) - 1), to - from);
    }

    [Fact]
    public void Resolve_TodayAfterUtcMidnightInKolkata_IsTheKolkataDay()
    {
        var (from, to) = QueryDateRange.Today.Resolve(Zone("Asia/Kolkata"), Utc(2025, 1, 1, 23, 30));

        Assert.Equal(Utc(2025, 1, 1, 18, 30), from);
        Assert.Equal(Utc(2025, 1, 2, 18, 30), to);
    }

    [Fact]
    public void Resolve_SantiagoDayWithSkippedMidnight_StartsAtItsFirstInstant()
    {
        var (from, to) = QueryDateRange.SingleDay(new DateOnly(2024, 9, 8)).Resolve(Zone("America/Santiago"), Now);

        Assert.Equal(Utc(2024, 9, 8, 4), from);
        Assert.Equal(Utc(2024, 9, 9, 3), to);
    }

    [Fact]
    public void Resolve_DaySkippedByApia_IsAnEmptyRangeAtTheNextDaysStart()
    {
        var (from, to) = QueryDateRange.Parse("day", "2011-12-30").Resolve(Zone("Pacific/Apia"), Now);

        Assert.Equal(Utc(2011, 12, 30, 10), from);
        Assert.Equal(from, to);
    }

    [Theory]
    [InlineData("2011-12-29,2011-12-30", 2011, 12, 29, 10)] // the 29th, whole (-10)
    [InlineData("2011-12-30,2011-12-31", 2011, 12, 30, 10)] // the 31st, whole (+14)
    [InlineData("2011-12-29,2011-12-31", 2011, 12, 29, 10)] // both: 48 hours, nothing counted twice
    public void Resolve_CustomRangeEndingOrStartingOnApiasSkippedDay_CoversTheOtherDaysWhole(string dates, int year, int month, int day, int hour)
    {
        var (from, to) = QueryDateRange.Parse("custom", dates).Resolve(Zone("Pacific/Apia"), Now);

        Assert.Equal(Utc(year, month, day, hour), from);
        Assert.Equal(dates == "2011-12-29,2011-12-31" ? TimeSpan.FromHours(48) : TimeSpan.FromHours(24), to - from);
    }

    [Fact]
    public void Custom_LastBeforeFirst_Throws()
    {
        var error = Assert.Throws<HitQueryException>(() => QueryDateRange.Custom(new DateOnly(2025, 1, 2), new DateOnly(2025, 1, 1)));

        Assert.Equal("date_range", error.Field);
    }
}

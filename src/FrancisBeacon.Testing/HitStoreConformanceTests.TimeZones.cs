// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>Day boundaries in the query's time zone, across daylight-saving changes.</content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// Europe/Berlin on 2025-03-30, when clocks go from 02:00 CET to 03:00 CEST (01:00 UTC): the day is 23 hours
    /// long, and hits at 23:59:59.999 and 00:00:00.000 local fall on either side of each midnight.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_DayInBerlinAcrossSpringForward_BucketsByLocalDay()
    {
        var store = await CreateStoreWithAsync(
        [
            Visit(1, Utc(2025, 3, 29, 22, 59, 59, 999)), // 2025-03-29 23:59:59.999 CET
            Visit(2, Utc(2025, 3, 29, 23, 0, 0, 0)),     // 2025-03-30 00:00:00.000 CET
            Visit(3, Utc(2025, 3, 30, 0, 59, 59, 999)),  // 2025-03-30 01:59:59.999 CET
            Visit(4, Utc(2025, 3, 30, 1, 0, 0, 0)),      // 2025-03-30 03:00:00.000 CEST
            Visit(5, Utc(2025, 3, 30, 21, 59, 59, 999)), // 2025-03-30 23:59:59.999 CEST
            Visit(6, Utc(2025, 3, 30, 22, 0, 0, 0)),     // 2025-03-31 00:00:00.000 CEST
        ]);
        var query = Query(Utc(2025, 3, 28), Utc(2025, 4, 2), HitDimension.Day) with { TimeZone = Zone("Europe/Berlin") };

        var berlin = await store.QueryAsync(query, TestCancellationToken);
        var utc = await store.QueryAsync(query with { TimeZone = TimeZoneInfo.Utc }, TestCancellationToken);

        AssertRows([Row(["2025-03-29"], 1, 1), Row(["2025-03-30"], 4, 4), Row(["2025-03-31"], 1, 1)], berlin);
        AssertRows([Row(["2025-03-29"], 2, 2), Row(["2025-03-30"], 4, 4)], utc);
    }

    /// <summary>
    /// Europe/Berlin on 2025-10-26, when clocks go from 03:00 CEST back to 02:00 CET (01:00 UTC): the day is 25
    /// hours long and both 02:30s belong to it.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_DayInBerlinAcrossFallBack_BucketsByLocalDay()
    {
        var store = await CreateStoreWithAsync(
        [
            Visit(1, Utc(2025, 10, 25, 21, 59, 59, 999)), // 2025-10-25 23:59:59.999 CEST
            Visit(2, Utc(2025, 10, 25, 22, 0, 0, 0)),     // 2025-10-26 00:00:00.000 CEST
            Visit(3, Utc(2025, 10, 26, 0, 30, 0, 0)),     // 2025-10-26 02:30 CEST
            Visit(4, Utc(2025, 10, 26, 1, 30, 0, 0)),     // 2025-10-26 02:30 CET, again
            Visit(5, Utc(2025, 10, 26, 22, 59, 59, 999)), // 2025-10-26 23:59:59.999 CET
            Visit(6, Utc(2025, 10, 26, 23, 0, 0, 0)),     // 2025-10-27 00:00:00.000 CET
        ]);
        var query = Query(Utc(2025, 10, 24), Utc(2025, 10, 29), HitDimension.Day) with { TimeZone = Zone("Europe/Berlin") };

        var result = await store.QueryAsync(query, TestCancellationToken);

        AssertRows([Row(["2025-10-25"], 1, 1), Row(["2025-10-26"], 4, 4), Row(["2025-10-27"], 1, 1)], result);
    }

    /// <summary>America/New_York around both 2025 changes (2025-03-09 and 2025-11-02, at 02:00 local).</summary>
    [Fact]
    public virtual async Task QueryAsync_DayInNewYorkAcrossBothChanges_BucketsByLocalDay()
    {
        var store = await CreateStoreWithAsync(
        [
            Visit(1, Utc(2025, 3, 9, 4, 59, 59, 999)),   // 2025-03-08 23:59:59.999 EST
            Visit(2, Utc(2025, 3, 9, 5, 0, 0, 0)),       // 2025-03-09 00:00:00.000 EST
            Visit(3, Utc(2025, 3, 10, 3, 59, 59, 999)),  // 2025-03-09 23:59:59.999 EDT
            Visit(4, Utc(2025, 3, 10, 4, 0, 0, 0)),      // 2025-03-10 00:00:00.000 EDT
            Visit(5, Utc(2025, 11, 2, 3, 59, 59, 999)),  // 2025-11-01 23:59:59.999 EDT
            Visit(6, Utc(2025, 11, 2, 4, 0, 0, 0)),      // 2025-11-02 00:00:00.000 EDT
            Visit(7, Utc(2025, 11, 2, 5, 30, 0, 0)),     // 2025-11-02 01:30 EDT
            Visit(8, Utc(2025, 11, 2, 6, 30, 0, 0)),     // 2025-11-02 01:30 EST, again
            Visit(9, Utc(2025, 11, 3, 4, 59, 59, 999)),  // 2025-11-02 23:59:59.999 EST
            Visit(10, Utc(2025, 11, 3, 5, 0, 0, 0)),     // 2025-11-03 00:00:00.000 EST
        ]);
        var query = Query(Utc(2025, 3, 1), Utc(2025, 12, 1), HitDimension.Day) with { TimeZone = Zone("America/New_York") };

        var result = await store.QueryAsync(query, TestCancellationToken);

        AssertRows(
        [
            Row(["2025-03-08"], 1, 1), Row(["2025-03-09"], 2, 2), Row(["2025-03-10"], 1, 1),
            Row(["2025-11-01"], 1, 1), Row(["2025-11-02"], 4, 4), Row(["2025-11-03"], 1, 1),
        ], result);
    }

    /// <summary>
    /// America/Santiago skips its midnight when clocks go forward (2024-09-08 starts at 01:00 local) and repeats the
    /// last hour of a day when they go back (2025-04-05 has two 23:30s).
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_DayInSantiagoWithSkippedAndRepeatedHour_BucketsByLocalDay()
    {
        var store = await CreateStoreWithAsync(
        [
            Visit(1, Utc(2024, 9, 8, 3, 59, 59, 999)),   // 2024-09-07 23:59:59.999 -04
            Visit(2, Utc(2024, 9, 8, 4, 0, 0, 0)),       // 2024-09-08 01:00:00.000 -03, the day's first instant
            Visit(3, Utc(2024, 9, 9, 2, 59, 59, 999)),   // 2024-09-08 23:59:59.999 -03
            Visit(4, Utc(2024, 9, 9, 3, 0, 0, 0)),       // 2024-09-09 00:00:00.000 -03
            Visit(5, Utc(2025, 4, 6, 2, 30, 0, 0)),      // 2025-04-05 23:30 -03
            Visit(6, Utc(2025, 4, 6, 3, 30, 0, 0)),      // 2025-04-05 23:30 -04, again
            Visit(7, Utc(2025, 4, 6, 4, 0, 0, 0)),       // 2025-04-06 00:00:00.000 -04
        ]);
        var zone = Zone("America/Santiago");
        var query = Query(Utc(2024, 9, 1), Utc(2025, 5, 1), HitDimension.Day) with { TimeZone = zone };
        var (dayFrom, dayTo) = QueryDateRange.SingleDay(new DateOnly(2024, 9, 8)).Resolve(zone, Utc(2025, 1, 1));

        var byDay = await store.QueryAsync(query, TestCancellationToken);
        var oneDay = await store.QueryAsync(Query(dayFrom, dayTo) with { TimeZone = zone }, TestCancellationToken);

        AssertRows(
        [
            Row(["2024-09-07"], 1, 1), Row(["2024-09-08"], 2, 2), Row(["2024-09-09"], 1, 1),
            Row(["2025-04-05"], 2, 2), Row(["2025-04-06"], 1, 1),
        ], byDay);
        AssertRows([Row([], 2, 2)], oneDay);
    }

    /// <summary>The same hits fall on different days in UTC, Asia/Kolkata (+05:30) and America/New_York (-05:00).</summary>
    [Fact]
    public virtual async Task QueryAsync_SameHitsInThreeZones_DaysFollowTheQueryZone()
    {
        var store = await CreateStoreWithAsync(
        [
            Visit(1, Utc(2025, 1, 1, 18, 29, 59, 999)), // Kolkata 2025-01-01 23:59:59.999, New York 2025-01-01 13:29
            Visit(2, Utc(2025, 1, 1, 18, 30, 0, 0)),    // Kolkata 2025-01-02 00:00:00.000
            Visit(3, Utc(2025, 1, 2, 4, 59, 59, 999)),  // New York 2025-01-01 23:59:59.999
            Visit(4, Utc(2025, 1, 2, 5, 0, 0, 0)),      // New York 2025-01-02 00:00:00.000
        ]);
        var query = Query(Utc(2024, 12, 30), Utc(2025, 1, 4), HitDimension.Day);

        var utc = await store.QueryAsync(query, TestCancellationToken);
        var kolkata = await store.QueryAsync(query with { TimeZone = Zone("Asia/Kolkata") }, TestCancellationToken);
        var newYork = await store.QueryAsync(query with { TimeZone = Zone("America/New_York") }, TestCancellationToken);

        AssertRows([Row(["2025-01-01"], 2, 2), Row(["2025-01-02"], 2, 2)], utc);
        AssertRows([Row(["2025-01-01"], 1, 1), Row(["2025-01-02"], 3, 3)], kolkata);
        AssertRows([Row(["2025-01-01"], 3, 3), Row(["2025-01-02"], 1, 1)], newYork);
    }

    /// <summary>
    /// A whole local day resolved by <see cref="QueryDateRange"/> in Europe/Berlin includes its first instant and
    /// excludes the next day's midnight, on the 23-hour day of the spring change.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_LocalDayRangeOnShortDay_IncludesMidnightExcludesNextMidnight()
    {
        var zone = Zone("Europe/Berlin");
        var store = await CreateStoreWithAsync(
        [
            Visit(1, Utc(2025, 3, 29, 22, 59, 59, 999)),
            Visit(2, Utc(2025, 3, 29, 23, 0, 0, 0)),
            Visit(3, Utc(2025, 3, 30, 21, 59, 59, 999)),
            Visit(4, Utc(2025, 3, 30, 22, 0, 0, 0)),
        ]);
        var (from, to) = QueryDateRange.SingleDay(new DateOnly(2025, 3, 30)).Resolve(zone, Utc(2025, 6, 1));

        var result = await store.QueryAsync(Query(from, to, HitDimension.Day) with { TimeZone = zone }, TestCancellationToken);

        Assert.Equal(Utc(2025, 3, 29, 23), from);
        Assert.Equal(Utc(2025, 3, 30, 22), to);
        AssertRows([Row(["2025-03-30"], 2, 2)], result);
    }

    /// <summary>
    /// Pacific/Apia skipped 2011-12-30 (from -10 to +14 after the 29th): asked for, that day is empty, and a range
    /// starting or ending on it holds the neighbouring days whole and each hit once — from the raw hits, and from the
    /// rollups once they are built.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_DaySkippedByTheZone_IsEmptyAndRangesOverItCountEachHitOnce()
    {
        var zone = Zone("Pacific/Apia");
        var store = await CreateStoreWithAsync(
        [
            Visit(1, Utc(2011, 12, 29, 10, 0, 0, 0)),     // 2011-12-29 00:00:00.000 -10
            Visit(2, Utc(2011, 12, 30, 9, 59, 59, 999)),  // 2011-12-29 23:59:59.999 -10
            Visit(3, Utc(2011, 12, 30, 10, 0, 0, 0)),     // 2011-12-31 00:00:00.000 +14
            Visit(4, Utc(2011, 12, 31, 9, 59, 59, 999)),  // 2011-12-31 23:59:59.999 +14
            Visit(5, Utc(2011, 12, 31, 10, 0, 0, 0)),     // 2012-01-01 00:00:00.000 +14
        ]);
        if (store is IHitStoreRollups rollups)
        {
            await rollups.RefreshRollupsAsync(new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal) { [SiteId] = zone }, TestCancellationToken);
        }

        HitQuery Days(int first, int last, params HitDimension[] dimensions)
        {
            var (from, to) = QueryDateRange.Custom(new DateOnly(2011, 12, first), new DateOnly(2011, 12, last)).Resolve(zone, Utc(2026, 1, 1));
            return Query(from, to, dimensions) with { TimeZone = zone };
        }

        AssertRows([Row([], 0, 0)], await store.QueryAsync(Days(30, 30), TestCancellationToken), "the skipped day");
        AssertRows([], await store.QueryAsync(Days(30, 30, HitDimension.Hour), TestCancellationToken), "the skipped day by hour");
        AssertRows([Row([], 2, 2)], await store.QueryAsync(Days(29, 30), TestCancellationToken), "29th to 30th");
        AssertRows([Row([], 2, 2)], await store.QueryAsync(Days(30, 31), TestCancellationToken), "30th to 31st");
        AssertRows([Row(["2011-12-29"], 2, 2), Row(["2011-12-31"], 2, 2)], await store.QueryAsync(Days(28, 31, HitDimension.Day), TestCancellationToken), "by day");
        AssertRows([Row(["2011-12-26"], 4, 4)], await store.QueryAsync(Days(29, 31, HitDimension.Week), TestCancellationToken), "by week");
    }

    /// <summary>
    /// Hits before 1970 (negative Unix times) fall in the bucket of their own hour, day, week and month, as after it:
    /// SQL's integer division truncates toward zero, which put them in the next one. Raw, and from the rollups once built.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_HitsBefore1970_BucketByLocalTime()
    {
        Hit[] hits =
        [
            Visit(1, Utc(1900, 1, 1, 5, 30, 0, 0)),
            Visit(2, Utc(1950, 3, 1, 10, 15, 0, 0)),
            Visit(3, Utc(1969, 12, 24, 0, 30, 0, 0)), // a Wednesday
            Visit(4, Utc(1969, 12, 28, 23, 59, 59, 999)), // a Sunday
            Visit(5, Utc(1969, 12, 29, 0, 0, 0, 1)),  // the Monday of the week of 1970-01-01
            Visit(6, Utc(1969, 12, 31, 12, 0, 0, 0)),
            Visit(7, Utc(1969, 12, 31, 23, 30, 0, 0)),
            Visit(8, Utc(1970, 1, 1, 0, 30, 0, 0)),
            Visit(9, Utc(1970, 1, 5, 0, 0, 0, 0)),
        ];
        var store = await CreateStoreWithAsync(hits);
        var reference = await CreateReferenceAsync(hits);
        foreach (var zoneId in new[] { "UTC", "America/New_York", "Asia/Kathmandu" })
        {
            var zone = Zone(zoneId);
            foreach (var refreshed in new[] { false, true })
            {
                if (refreshed && store is IHitStoreRollups rollups)
                {
                    await rollups.RefreshRollupsAsync(new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal) { [SiteId] = zone }, TestCancellationToken);
                }

                foreach (var (first, end) in new[] { (new DateOnly(1969, 12, 1), new DateOnly(1970, 2, 1)), (new DateOnly(1900, 1, 1), new DateOnly(1971, 1, 1)) })
                {
                    var query = Query(TimeZoneSegments.StartOfDay(first, zone), TimeZoneSegments.StartOfDay(end, zone)) with { TimeZone = zone };
                    foreach (var dimension in new[] { HitDimension.Hour, HitDimension.Day, HitDimension.Week, HitDimension.Month })
                    {
                        var context = $"{zoneId}, {(refreshed ? "rollups" : "raw")}";
                        await AssertSameAnswerAsync(reference, store, query with { Dimensions = [dimension] }, context);
                        await AssertSameAnswerAsync(reference, store, query with { Metrics = [HitMetric.Visits, HitMetric.Pageviews], Dimensions = [dimension], Filter = HitFilter.Is(HitDimension.Page, "/") }, context);
                    }
                }
            }
        }
    }

    private static Hit Visit(long visitorId, DateTimeOffset at) => HitBuilder.Pageview("/").ByVisitor(visitorId).At(at).Build();
}

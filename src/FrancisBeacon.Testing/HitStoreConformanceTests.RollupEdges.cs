// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Testing;

/// <content>
/// Edge cases a sweep of many more random seeds found (session 18): each answered from the rollups differently from the
/// reference, so each is asked before and after a rollup refresh.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// A list with <c>Limit = 0</c> over rolled-up days: the rollups' top-N read asked the database for no group and then
    /// read the last of them (an <see cref="ArgumentOutOfRangeException"/> instead of an empty answer).
    /// </summary>
    [Fact]
    public virtual async Task Rollups_EventListWithLimitZero_AnswersNoRows()
    {
        var day = new DateTimeOffset(2025, 5, 6, 0, 0, 0, TimeSpan.Zero);
        List<Hit> hits =
        [
            HitBuilder.Pageview("/").ByVisitor(1).At(day.AddHours(9)).Build(),
            HitBuilder.Pageview("/pricing").ByVisitor(1).At(day.AddHours(9).AddMinutes(2)).Build(),
            HitBuilder.Pageview("/").ByVisitor(2).At(day.AddDays(1).AddHours(9)).Build(),
        ];
        var store = await CreateStoreWithAsync(hits);
        var reference = await CreateReferenceAsync(hits);

        foreach (var refreshed in new[] { false, true })
        {
            if (refreshed)
            {
                await RefreshRollupsAsync(store, new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal) { [SiteId] = TimeZoneInfo.Utc });
            }

            foreach (var dimension in new[] { HitDimension.Page, HitDimension.EventName, HitDimension.Hostname, HitDimension.Source })
            {
                var query = Query(day, day.AddDays(2)) with { Metrics = [HitMetric.Visitors], Dimensions = [dimension], Limit = 0 };
                await AssertSameAnswerAsync(reference, store, query, $"{dimension.Name}, refreshed: {refreshed}");
            }
        }
    }

    /// <summary>
    /// A day series with session metrics only, where one day's only hit continues a visit of the day before (across
    /// Berlin's midnight, linked by the previous visitor id): that day has no session of its own, but it has a hit, so
    /// the reference answers a row of zeros for it. From the rollups the row was missing (only session rows were read).
    /// </summary>
    [Fact]
    public virtual async Task Rollups_DaySeriesOfSessionMetrics_KeepsADayWithOnlyAContinuedVisit()
    {
        var zone = Zone("Europe/Berlin");
        List<Hit> hits =
        [
            HitBuilder.Pageview("/docs").ByVisitor(7_296_928_544_663_197_872).At(new DateTimeOffset(2024, 4, 4, 21, 58, 16, 143, TimeSpan.Zero)).Build(),
            HitBuilder.Pageview("/extended").ByVisitor(8_083_968_881_165_245_234).At(new DateTimeOffset(2024, 4, 4, 22, 13, 53, 51, TimeSpan.Zero)).Build()
                with { PreviousVisitorId = 7_296_928_544_663_197_872 },
        ];
        var store = await CreateStoreWithAsync(hits);
        var reference = await CreateReferenceAsync(hits);
        var range = new HitQuery
        {
            SiteId = SiteId,
            From = TimeZoneSegments.StartOfDay(new DateOnly(2024, 4, 1), zone),
            To = TimeZoneSegments.StartOfDay(new DateOnly(2024, 4, 9), zone),
            TimeZone = zone,
        };

        foreach (var refreshed in new[] { false, true })
        {
            if (refreshed)
            {
                await RefreshRollupsAsync(store, new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal) { [SiteId] = zone });
            }

            foreach (var dimension in new[] { HitDimension.Day, HitDimension.Week, HitDimension.Month })
            {
                foreach (var metrics in new HitMetric[][] { [HitMetric.ViewsPerVisit, HitMetric.BounceRate], [HitMetric.Visits], [HitMetric.VisitDuration], [HitMetric.Visits, HitMetric.Pageviews] })
                {
                    var query = range with { Metrics = metrics, Dimensions = [dimension] };
                    await AssertSameAnswerAsync(reference, store, query, $"{dimension.Name} of {string.Join(", ", metrics)}, refreshed: {refreshed}");
                }
            }
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Filtered session queries over ranges whose last days got hits after the last rollup refresh (a live site's today
/// and yesterday): stores with session rollups read the clean days' rows and cut the other days from raw hits; the
/// answers must still be the reference's, including visits that cross midnight from a clean day into a changed one.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// After a refresh, hits arrive for the last day and the day after (continuing visits of the clean day before, and
    /// one continuing a visit that itself continued one); without a refresh, random filtered session queries over ranges
    /// ending on those days, on them alone and on clean days only match the reference.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_SessionQueriesWithChangedLastDays_MatchReferenceWithoutRefresh()
    {
        var (store, reference) = await LoadRollupDataAsync();
        var lastMidnight = TimeZoneSegments.StartOfDay(RollupLastDay, RollupZone);
        var nextMidnight = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(1), RollupZone);
        var dayBefore = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-1), RollupZone);
        List<Hit> before =
        [
            // Visitor A (day -1): an afternoon visit and one ending just before midnight.
            Page(lastMidnight.AddHours(-6), 7_100_000, "/pricing"),
            Page(lastMidnight.AddMinutes(-8), 7_100_000, "/evening"),
            // Visitor B continues a visit of day -2 just after midnight (day -1), and is back just before the next midnight.
            Page(dayBefore.AddMinutes(-6), 7_100_010, "/late"),
            Page(dayBefore.AddMinutes(3), 7_100_011, "/pricing") with { PreviousVisitorId = 7_100_010 },
            Page(lastMidnight.AddMinutes(-3), 7_100_011, "/back") with { ReferrerSource = "Bing", Channel = "Organic Search" },
            // Visitor C bounces just before midnight; nobody continues it.
            Page(lastMidnight.AddMinutes(-1), 7_100_020, "/"),
        ];
        await store.AppendAsync(before, TestCancellationToken);
        await reference.AppendAsync(before, TestCancellationToken);
        await RefreshRollupsAsync(store);

        List<Hit> after =
        [
            Page(lastMidnight.AddMinutes(4), 7_100_001, "/night") with { PreviousVisitorId = 7_100_000 },
            Page(lastMidnight.AddMinutes(9), 7_100_001, "/pricing") with { PreviousVisitorId = 7_100_000 },
            Page(lastMidnight.AddMinutes(2), 7_100_012, "/signup") with { PreviousVisitorId = 7_100_011 },
            Page(lastMidnight.AddHours(2), 7_100_012, "/pricing"),
            Page(lastMidnight.AddHours(9), 7_100_030, "/") with { Country = "FR" },
            Page(lastMidnight.AddHours(9).AddMinutes(2), 7_100_030, "/pricing") with { Country = "FR" },
            Page(nextMidnight.AddMinutes(-5), 7_100_040, "/pricing"),
            Page(nextMidnight.AddMinutes(1), 7_100_041, "/tomorrow") with { PreviousVisitorId = 7_100_040 },
            Page(nextMidnight.AddHours(3), 7_100_050, "/pricing") with { ReferrerSource = "Bing", Channel = "Organic Search" },
        ];
        await store.AppendAsync(after, TestCancellationToken);
        await reference.AppendAsync(after, TestCancellationToken);

        var hits = await ReadAllAsync(reference, HitRange.All);
        var end = RollupLastDay.AddDays(2);
        (DateOnly From, DateOnly To)[] ranges =
        [
            (RollupLastDay.AddDays(-11), end), (RollupLastDay.AddDays(-2), end), (RollupLastDay.AddDays(-1), end), (RollupLastDay, end),
            (RollupLastDay.AddDays(-4), RollupLastDay.AddDays(1)), (RollupLastDay.AddDays(-6), RollupLastDay.AddDays(-1)),
        ];
        HitMetric[] metrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit, HitMetric.Events];
        foreach (var (fromDay, toDay) in ranges)
        {
            var baseQuery = new HitQuery
            {
                SiteId = SiteId,
                From = TimeZoneSegments.StartOfDay(fromDay, RollupZone),
                To = TimeZoneSegments.StartOfDay(toDay, RollupZone),
                TimeZone = RollupZone,
            };
            var context = $"changed last days, {fromDay:yyyy-MM-dd}..{toDay:yyyy-MM-dd}";
            var pricing = HitFilter.Is(HitDimension.Page, "/pricing");
            foreach (var dimension in new HitDimension?[] { null, HitDimension.Day, HitDimension.EntryPage, HitDimension.ExitPage, HitDimension.Source, HitDimension.Page })
            {
                var kept = dimension is { IsVisit: false, IsTime: false } ? [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events] : metrics;
                await AssertSameAnswerAsync(reference, store, baseQuery with { Metrics = kept, Dimensions = dimension is null ? [] : [dimension], Filter = pricing }, context);
                await AssertSameAnswerAsync(
                    reference, store, baseQuery with { Metrics = kept, Dimensions = dimension is null ? [] : [dimension], Filter = HitFilter.Is(HitDimension.Source, "Google", "Bing") }, context);
            }

            var random = new Random(fromDay.DayNumber + (17 * toDay.DayNumber));
            for (var i = 0; i < SessionRollupQueryCount; i++)
            {
                await AssertSameAnswerAsync(reference, store, SessionRollupQueries.Next(random, baseQuery, hits), context);
            }
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Rollups over several months: ranges of whole months, months plus edge days, single months, with visits joined
/// across month boundaries and inside months, a visit running over two midnights inside a month, a month made dirty by
/// late hits, and a purge across a month boundary; every answer must be the reference's. A store without rollups runs the same checks
/// on its raw answers.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    // About 100 days: 2025-07-29 .. 2025-11-05 (whole August, September and October, the end of DST on 2025-10-26).
    private static readonly DateOnly MonthsLastDay = new(2025, 11, 5);

    /// <summary>After a refresh, with late hits in a middle month, and after a purge across a month boundary, month-spanning ranges match the reference.</summary>
    [Fact]
    public virtual async Task Rollups_RangesOverSeveralMonths_MatchReference()
    {
        var store = await CreateStoreAsync();
        var generator = new RealisticHitGenerator(60) { SiteId = SiteId, TimeZone = RollupZone, Seed = 11 };
        var hits = generator.Generate(2_500, 100, MonthsLastDay).ToList();
        long id = 8_000_000;

        // Visits joined across midnight: at month boundaries (Sep 1, Oct 1, Nov 1) and inside months (Aug 15, Oct 10).
        foreach (var day in new[] { new DateOnly(2025, 9, 1), new DateOnly(2025, 10, 1), new DateOnly(2025, 11, 1), new DateOnly(2025, 8, 15), new DateOnly(2025, 10, 10) })
        {
            var midnight = TimeZoneSegments.StartOfDay(day, RollupZone);
            long t = id++, s = id++;
            hits.Add(Page(midnight.AddMinutes(-12), t, "/before-midnight"));
            hits.Add(Page(midnight.AddMinutes(-5), t, "/pricing"));
            hits.Add(Page(midnight.AddMinutes(4), s, "/after-midnight") with { PreviousVisitorId = t });
            hits.Add(Page(midnight.AddMinutes(9), s, "/signup") with { PreviousVisitorId = t });
            hits.Add(Page(midnight.AddHours(3), s, "/pricing")); // the new-day visitor comes back later that day
        }

        // A visit over two midnights inside September (Sep 15 23:40 .. Sep 17 00:20): the month's visit rows cannot be
        // pre-corrected, so visit queries over it must still come out right.
        var start = TimeZoneSegments.StartOfDay(new DateOnly(2025, 9, 15), RollupZone).AddHours(23).AddMinutes(40);
        long[] chain = [id++, id++, id++];
        for (var at = start; at <= start.AddHours(24).AddMinutes(40); at = at.AddMinutes(20))
        {
            var dayIndex = TimeZoneSegments.LocalDay(at, RollupZone).DayNumber - TimeZoneSegments.LocalDay(start, RollupZone).DayNumber;
            var hit = Page(at, chain[dayIndex], dayIndex == 1 && at.Minute == 0 ? "/pricing" : "/live");
            hits.Add(dayIndex > 0 ? hit with { PreviousVisitorId = chain[dayIndex - 1] } : hit);
        }

        await store.AppendAsync(hits, TestCancellationToken);
        var reference = await CreateReferenceAsync(hits);
        Assert.True(store is not IHitStoreRollups || await RefreshRollupsAsync(store) > 0);
        await AssertMonthQueriesAsync(store, reference, "after refresh");

        // Late hits in the middle of September: that month is not clean until the next refresh.
        var late = TimeZoneSegments.StartOfDay(new DateOnly(2025, 9, 10), RollupZone).AddHours(11);
        List<Hit> more = [Page(late, id, "/late"), Page(late.AddMinutes(2), id, "/pricing"), Page(late.AddMinutes(50), id, "/")];
        await store.AppendAsync(more, TestCancellationToken);
        await reference.AppendAsync(more, TestCancellationToken);
        await AssertMonthQueriesAsync(store, reference, "late hits before refresh");
        await RefreshRollupsAsync(store);
        await AssertMonthQueriesAsync(store, reference, "late hits after refresh");

        // A purge from the middle of September to the start of October, cutting the Oct 1 link.
        var range = new HitRange
        {
            SiteId = SiteId,
            From = TimeZoneSegments.StartOfDay(new DateOnly(2025, 9, 20), RollupZone).AddHours(13),
            To = TimeZoneSegments.StartOfDay(new DateOnly(2025, 10, 1), RollupZone).AddMinutes(6),
        };
        Assert.Equal(await reference.PurgeAsync(range, TestCancellationToken), await store.PurgeAsync(range, TestCancellationToken));
        await AssertMonthQueriesAsync(store, reference, "after purge");
        await RefreshRollupsAsync(store);
        await AssertMonthQueriesAsync(store, reference, "after purge and refresh");
    }

    private static async ValueTask AssertMonthQueriesAsync(IHitStore store, InMemoryHitStore reference, string context)
    {
        (DateOnly From, DateOnly To)[] ranges =
        [
            (MonthsLastDay.AddDays(-99), MonthsLastDay.AddDays(1)), // edge days + three whole months + edge days
            (new DateOnly(2025, 8, 1), new DateOnly(2025, 11, 1)), // exactly three months
            (new DateOnly(2025, 10, 1), new DateOnly(2025, 11, 1)), // exactly one month
            (new DateOnly(2025, 8, 20), new DateOnly(2025, 10, 2)), // a month with the Oct 1 link on the edge
            (new DateOnly(2025, 9, 2), new DateOnly(2025, 10, 6)), // no whole month
        ];
        HitMetric[] eventMetrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events];
        HitMetric[] allMetrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit, HitMetric.Events];
        HitMetric[] visitMetrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.Events];
        foreach (var (fromDay, toDay) in ranges)
        {
            var baseQuery = new HitQuery
            {
                SiteId = SiteId,
                From = TimeZoneSegments.StartOfDay(fromDay, RollupZone),
                To = TimeZoneSegments.StartOfDay(toDay, RollupZone),
                TimeZone = RollupZone,
            };
            List<HitQuery> queries =
            [
                baseQuery with { Metrics = allMetrics },
                baseQuery with { Metrics = allMetrics, Dimensions = [HitDimension.Month] },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Week] },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Page], Limit = 10 },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Month], Filter = HitFilter.Is(HitDimension.Page, "/pricing") },
                baseQuery with { Metrics = eventMetrics, Filter = HitFilter.Is(HitDimension.Page, "/pricing") },
            ];
            foreach (var dimension in new[] { HitDimension.EntryPage, HitDimension.ExitPage, HitDimension.Source, HitDimension.Country, HitDimension.Browser })
            {
                queries.Add(baseQuery with { Metrics = visitMetrics, Dimensions = [dimension] });
            }

            foreach (var query in queries)
            {
                await AssertSameAnswerAsync(reference, store, query, $"{context}, {fromDay:yyyy-MM-dd}..{toDay:yyyy-MM-dd}");
            }
        }
    }
}

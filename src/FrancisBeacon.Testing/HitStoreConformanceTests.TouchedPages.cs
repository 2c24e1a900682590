// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Testing;

/// <content>
/// Page filters whose touched visitors (visits continued across midnight) span months: on the busy page's data
/// (<see cref="LoadPageBlockDataAsync"/>), extra visitors cross midnight at the end of a day in February, March and
/// April with the page on one side only (before midnight, after it, or both), from a source of their own. Ranges start
/// or end on either side of those midnights (the continuation is then cut off or kept), span two or three months, and
/// combine the page with a source. A store may read these visitors by another route than the rest (the SQL stores join
/// the touched sessions' keys to the page's session-hit rows first on PostgreSQL); every answer must be the reference's.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>Page-filtered totals, lists and time series with touched visitors across months match the reference.</summary>
    [Fact]
    public virtual async Task Rollups_PageFiltersWithTouchedVisitorsAcrossMonths_MatchReference()
    {
        var (store, reference) = await LoadPageBlockDataAsync();
        DateOnly[] crossings = [new(2025, 2, 28), new(2025, 3, 13), new(2025, 3, 31), new(2025, 4, 22)];
        var extra = new List<Hit>();
        for (var i = 0; i < crossings.Length; i++)
        {
            var midnight = TimeZoneSegments.StartOfDay(crossings[i].AddDays(1), RollupZone);
            long before = 9_500_000 + (i * 100), after = before + 50;
            // The page before midnight only: the continuation is on other pages.
            extra.Add(Page(midnight.AddMinutes(-11), before, LongBusyPage) with { ReferrerSource = "Google", Country = "IT" });
            extra.Add(Page(midnight.AddMinutes(6), after, "/continued") with { PreviousVisitorId = before, ReferrerSource = "Google" });
            // The page after midnight only.
            extra.Add(Page(midnight.AddMinutes(-8), before + 1, "/late") with { ReferrerSource = "Duck", Country = "ES" });
            extra.Add(Page(midnight.AddMinutes(2), after + 1, LongBusyPage) with { PreviousVisitorId = before + 1, ReferrerSource = "Duck" });
            extra.Add(Page(midnight.AddMinutes(4), after + 1, "/after-page"));
            // The page on both sides, with an event on it after midnight.
            extra.Add(Page(midnight.AddMinutes(-5), before + 2, LongBusyPage) with { ReferrerSource = "Google", Country = "IT" });
            extra.Add(Page(midnight.AddMinutes(1), after + 2, LongBusyPage) with { PreviousVisitorId = before + 2, ReferrerSource = "Google" });
            extra.Add(HitBuilder.CustomEvent("Download", LongBusyPage).At(midnight.AddMinutes(3)).ByVisitor(after + 2).Build() with { ReferrerSource = "Google" });
        }

        await store.AppendAsync(extra, TestCancellationToken);
        await reference.AppendAsync(extra, TestCancellationToken);
        await RefreshRollupsAsync(store);

        (DateOnly From, DateOnly To)[] ranges =
        [
            (new DateOnly(2025, 2, 24), new DateOnly(2025, 5, 8)), // every crossing inside
            (new DateOnly(2025, 3, 1), new DateOnly(2025, 4, 23)), // starts after Feb 28's midnight, ends before Apr 22's
            (new DateOnly(2025, 2, 28), new DateOnly(2025, 4, 1)), // starts on a crossing's first day, ends on Mar 31's
            (new DateOnly(2025, 3, 14), new DateOnly(2025, 4, 30)), // starts on the day after Mar 13's crossing
        ];
        HitFilter[] filters =
        [
            HitFilter.Is(HitDimension.Page, LongBusyPage),
            new HitFilterAnd([HitFilter.Is(HitDimension.Page, LongBusyPage), HitFilter.Is(HitDimension.Source, "Google")]),
            new HitFilterAnd([HitFilter.Is(HitDimension.Source, "Duck"), HitFilter.Is(HitDimension.Page, LongBusyPage)]),
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
                Metrics = metrics,
            };
            foreach (var filter in filters)
            {
                List<HitQuery> queries =
                [
                    baseQuery with { Filter = filter },
                    baseQuery with { Filter = filter, Dimensions = [HitDimension.Day] },
                ];
                if (filter is not HitFilterAnd)
                {
                    queries.Add(baseQuery with { Filter = filter, Dimensions = [HitDimension.EntryPage] });
                    queries.Add(baseQuery with { Filter = filter, Dimensions = [HitDimension.ExitPage] });
                    queries.Add(baseQuery with { Filter = filter, Dimensions = [HitDimension.Source] });
                    queries.Add(baseQuery with { Filter = filter, Dimensions = [HitDimension.Country] });
                }

                foreach (var query in queries)
                {
                    await AssertSameAnswerAsync(reference, store, query, $"touched visitors across months, {fromDay:yyyy-MM-dd}..{toDay:yyyy-MM-dd}");
                }
            }
        }
    }
}

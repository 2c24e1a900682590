// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Page filters over long ranges (a store may keep its per-page sums per week, month or run of months, as the SQL stores
/// do): a page busy on every day of 2025-02-24 .. 2025-05-07 but one (Wednesday Feb 26, so the week of Feb 24 is not
/// whole), over whole months, a run of months (March-April), weeks, partial months and the week with the quiet day,
/// with visits on the page across midnight at month and week starts; then batches of late hits on days inside March
/// and April, each followed by a refresh, and a purge inside March. Every answer must be the reference's.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    private const string LongBusyPage = "/busy";

    private static readonly DateOnly PageBlocksFirstDay = new(2025, 2, 24);

    private static readonly DateOnly PageBlocksLastDay = new(2025, 5, 7);

    private static readonly DateOnly PageBlocksQuietDay = new(2025, 2, 26);

    /// <summary>Page-filtered totals, lists and time series over months, a run of months, weeks and partial ranges match the reference after a refresh.</summary>
    [Fact]
    public virtual async Task Rollups_PageFiltersOverMonthsAndWeeks_MatchReference()
    {
        var (store, reference) = await LoadPageBlockDataAsync();
        await RefreshRollupsAsync(store);
        await AssertPageBlockQueriesAsync(store, reference, "after refresh");
    }

    /// <summary>
    /// Batches of late hits on days inside March, April and the run of both (new visitors on the page, a visitor coming
    /// back to it, one leaving it for another page, one on it up to midnight): page-filtered queries over months match
    /// the reference after each refresh, and after a purge inside March and a refresh. (Before a refresh, the changed days wait for a rebuild and such ranges take the raw
    /// path, which Rollups_PageFiltersWithChangedLastDays_MatchReferenceWithoutRefresh covers.)
    /// </summary>
    [Fact]
    public virtual async Task Rollups_PageFiltersOverMonthsWithLateHits_MatchReference()
    {
        var (store, reference) = await LoadPageBlockDataAsync();
        await RefreshRollupsAsync(store);
        var march = TimeZoneSegments.StartOfDay(new DateOnly(2025, 3, 12), RollupZone);
        var april = TimeZoneSegments.StartOfDay(new DateOnly(2025, 4, 9), RollupZone);
        List<List<Hit>> batches =
        [
            [
                Page(march.AddHours(21), 8_900_001, LongBusyPage) with { ReferrerSource = "Bing", Country = "FR" },
                Page(march.AddHours(21).AddMinutes(2), 8_900_002, "/") with { UtmCampaign = "late" },
                Page(march.AddHours(21).AddMinutes(3), 8_900_002, LongBusyPage) with { UtmCampaign = "late" },
            ],
            [
                Page(march.AddHours(7).AddMinutes(31), LongPageVisitor(new DateOnly(2025, 3, 12), 6), LongBusyPage),
                Page(april.AddHours(7).AddMinutes(50), LongPageVisitor(new DateOnly(2025, 4, 9), 10), "/elsewhere"),
                Page(TimeZoneSegments.StartOfDay(new DateOnly(2025, 4, 10), RollupZone).AddMinutes(-4), LongPageVisitor(new DateOnly(2025, 4, 9), 11), LongBusyPage),
            ],
        ];
        for (var i = 0; i < batches.Count; i++)
        {
            await store.AppendAsync(batches[i], TestCancellationToken);
            await reference.AppendAsync(batches[i], TestCancellationToken);
            await RefreshRollupsAsync(store);
            await AssertPageBlockQueriesAsync(store, reference, $"batch {i + 1} after its refresh");
        }

        // A purge from Tuesday Mar 18 10:00 to Thursday Mar 20 01:00: Mar 19 has no rows any more, so March, March-April
        // and the week of Mar 17 no longer answer for the page; the days around it are rebuilt.
        var range = new HitRange
        {
            SiteId = SiteId,
            From = TimeZoneSegments.StartOfDay(new DateOnly(2025, 3, 18), RollupZone).AddHours(10),
            To = TimeZoneSegments.StartOfDay(new DateOnly(2025, 3, 20), RollupZone).AddHours(1),
        };
        Assert.Equal(await reference.PurgeAsync(range, TestCancellationToken), await store.PurgeAsync(range, TestCancellationToken));
        await RefreshRollupsAsync(store);
        await AssertPageBlockQueriesAsync(store, reference, "after a purge inside March and a refresh");
    }

    // Visitor k of the busy page on a day.
    private static long LongPageVisitor(DateOnly day, int k) => 8_000_000 + ((long)(day.DayNumber - PageBlocksFirstDay.DayNumber) * 1_000) + k;

    // 104 visitors a day on the busy page (60 on the quiet day), entering on three pages from three sources and four
    // countries, some bouncing on the page, some with an event on it, some back later in a second visit, and a visit on
    // the page just before each Monday's and each month's first midnight continued after it.
    private protected async ValueTask<(IHitStore Store, InMemoryHitStore Reference)> LoadPageBlockDataAsync()
    {
        var store = await CreateStoreAsync();
        var hits = new List<Hit>();
        string[] sources = ["Google", "Bing", "Twitter"];
        string[] countries = ["DE", "FR", "US", "GB"];
        string[] entries = ["/", LongBusyPage, "/blog"];
        for (var day = PageBlocksFirstDay; day <= PageBlocksLastDay; day = day.AddDays(1))
        {
            var midnight = TimeZoneSegments.StartOfDay(day, RollupZone);
            var count = day == PageBlocksQuietDay ? 60 : 104;
            for (var k = 0; k < count; k++)
            {
                var visitor = LongPageVisitor(day, k);
                var at = midnight.AddHours(7).AddMinutes(k * 4);
                Hit Visit(DateTimeOffset when, string path) => Page(when, visitor, path) with
                {
                    ReferrerSource = sources[(k + day.Day) % sources.Length], Channel = k % 3 == 2 ? "Organic Social" : "Organic Search",
                    Country = countries[k % countries.Length], DeviceType = k % 2 == 0 ? "Desktop" : "Mobile",
                };
                var entry = entries[(k + day.Day) % entries.Length];
                hits.Add(Visit(at, entry));
                if (entry == LongBusyPage && k % 4 == 0)
                {
                    continue; // a bounce on the page
                }

                hits.Add(Visit(at.AddMinutes(1), LongBusyPage));
                if (k % 5 == 0)
                {
                    hits.Add(HitBuilder.CustomEvent("Download", LongBusyPage).At(at.AddMinutes(2)).ByVisitor(visitor).Build() with
                    {
                        ReferrerSource = sources[(k + day.Day) % sources.Length], Country = countries[k % countries.Length],
                    });
                }

                if (k % 7 == 3)
                {
                    hits.Add(Visit(at.AddHours(3), LongBusyPage)); // a second visit
                    hits.Add(Visit(at.AddHours(3).AddMinutes(2), $"/exit-{k % 3}"));
                }
            }

            var next = TimeZoneSegments.StartOfDay(day.AddDays(1), RollupZone);
            if ((day.AddDays(1).DayOfWeek == DayOfWeek.Monday || day.AddDays(1).Day == 1) && day < PageBlocksLastDay)
            {
                long late = LongPageVisitor(day, 900), after = LongPageVisitor(day.AddDays(1), 901);
                hits.Add(Page(next.AddMinutes(-9), late, LongBusyPage) with { ReferrerSource = "Bing", Country = "FR" });
                hits.Add(Page(next.AddMinutes(4), after, LongBusyPage) with { PreviousVisitorId = late, ReferrerSource = "Twitter" });
                hits.Add(Page(next.AddMinutes(8), after, "/after"));
            }
        }

        await store.AppendAsync(hits, TestCancellationToken);
        return (store, await CreateReferenceAsync(hits));
    }

    private static async ValueTask AssertPageBlockQueriesAsync(IHitStore store, InMemoryHitStore reference, string context)
    {
        (DateOnly From, DateOnly To)[] ranges =
        [
            (PageBlocksFirstDay, PageBlocksLastDay.AddDays(1)), // the week with the quiet day, March-April, the last days
            (new DateOnly(2025, 3, 1), new DateOnly(2025, 4, 1)), // March
            (new DateOnly(2025, 3, 6), new DateOnly(2025, 4, 23)), // partial months, weeks
            (PageBlocksFirstDay, new DateOnly(2025, 3, 17)), // the week with the quiet day, the first days of March, weeks
        ];
        HitMetric[] allMetrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit, HitMetric.Events];
        HitFilter[] filters =
        [
            HitFilter.Is(HitDimension.Page, LongBusyPage),
            new HitFilterAnd([HitFilter.Is(HitDimension.Page, LongBusyPage), HitFilter.Is(HitDimension.Source, "Google")]),
        ];
        foreach (var (fromDay, toDay) in ranges)
        {
            var baseQuery = new HitQuery
            {
                SiteId = SiteId,
                From = TimeZoneSegments.StartOfDay(fromDay, RollupZone),
                To = TimeZoneSegments.StartOfDay(toDay, RollupZone),
                TimeZone = RollupZone,
                Metrics = allMetrics,
            };
            var where = $"{context}, {fromDay:yyyy-MM-dd}..{toDay:yyyy-MM-dd}";
            foreach (var filter in filters)
            {
                List<HitQuery> queries =
                [
                    baseQuery with { Filter = filter },
                    baseQuery with { Filter = filter, Dimensions = [HitDimension.Week] },
                ];
                if (filter is not HitFilterAnd)
                {
                    queries.Add(baseQuery with { Filter = filter, Dimensions = [HitDimension.EntryPage] });
                    queries.Add(baseQuery with { Filter = filter, Dimensions = [HitDimension.ExitPage], Limit = 3 });
                    queries.Add(baseQuery with { Filter = filter, Dimensions = [HitDimension.Source] });
                    queries.Add(baseQuery with { Filter = filter, Dimensions = [HitDimension.Country], Limit = 2, Offset = 1 });
                    queries.Add(baseQuery with { Filter = filter, Dimensions = [HitDimension.Day] });
                }

                foreach (var query in queries)
                {
                    await AssertSameAnswerAsync(reference, store, query, where);
                }
            }
        }
    }
}

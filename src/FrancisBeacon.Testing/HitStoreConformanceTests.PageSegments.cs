// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Page filters (<c>event:page is P</c>, alone or with one visit condition), which stores with page segments answer
/// from per-(day, page) rows for busy pages plus the session route for the sessions near midnight and the days without
/// rows: with a page busy on some days and not on others (one day just below any reasonable threshold), visitors on the
/// page near midnight and across it, sessions with several hits on the page and events on it, every answer must be the
/// reference's, after a refresh and after batches of new hits with a refresh after each.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    private const string BusyPage = "/hot";

    private static readonly HitDimension?[] PageSegmentGroupDimensions =
    [
        null, HitDimension.Day, HitDimension.Week, HitDimension.EntryPage, HitDimension.ExitPage, HitDimension.Source, HitDimension.City, HitDimension.Page,
    ];

    /// <summary>Page-filtered queries (a busy page, a quiet one, every kind of dimension, with a visit condition) after a refresh match the reference.</summary>
    [Fact]
    public virtual async Task Rollups_PageFilters_MatchReference()
    {
        var (store, reference) = await LoadPageSegmentDataAsync();
        await RefreshRollupsAsync(store);
        (DateOnly From, DateOnly To)[] ranges =
        [
            // Whole data; starting on a day whose visits continue ones of the day before (over the quiet day); the quiet
            // day alone.
            (RollupLastDay.AddDays(-11), RollupLastDay.AddDays(1)), (RollupLastDay.AddDays(-4), RollupLastDay.AddDays(1)),
            (RollupLastDay.AddDays(-3), RollupLastDay.AddDays(-2)),
        ];
        await AssertPageSegmentQueriesAsync(store, reference, ranges, "page filters after refresh");
    }

    /// <summary>
    /// Batches on the busy days with a refresh after each (new visitors on the busy page, visitors coming back to it or
    /// leaving it for another page, a visitor whose visit now runs up to midnight, the quiet page growing): page-filtered
    /// queries match the reference after every pass.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_PageFiltersWithBatchesAndRefreshAfterEach_MatchReference()
    {
        var (store, reference) = await LoadPageSegmentDataAsync();
        await RefreshRollupsAsync(store);
        var lastDay = TimeZoneSegments.StartOfDay(RollupLastDay, RollupZone);
        var nextDay = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(1), RollupZone);
        var visitor = PageVisitor(0, 0);
        List<List<Hit>> batches =
        [
            // New visitors: a bounce on the busy page, a two-page visit ending on it with an event.
            [
                Page(lastDay.AddHours(21), 9_900_001, BusyPage) with { ReferrerSource = "Bing", Country = "FR" },
                Page(lastDay.AddHours(21).AddMinutes(1), 9_900_002, "/") with { UtmCampaign = "winter" },
                Page(lastDay.AddHours(21).AddMinutes(3), 9_900_002, BusyPage) with { UtmCampaign = "winter" },
                HitBuilder.CustomEvent("Signup", BusyPage).At(lastDay.AddHours(21).AddMinutes(4)).ByVisitor(9_900_002).Build() with { Country = "DE", ReferrerSource = "Google", Channel = "Organic Search", UtmCampaign = "winter" },
            ],

            // Existing busy-page visitors: one comes back to the page in the same session, one starts a new session on
            // another page, one on the quiet day's page; a bounce grows into a two-page visit.
            [
                Page(lastDay.AddHours(19), visitor, BusyPage),
                Page(lastDay.AddHours(21).AddMinutes(20), 9_900_001, "/docs") with { ReferrerSource = "Bing", Country = "FR" },
                Page(lastDay.AddHours(22), PageVisitor(0, 1), "/elsewhere"),
                Page(lastDay.AddHours(22).AddMinutes(1), PageVisitor(0, 2), "/pricing"),
            ],

            // A busy-page visitor whose new visit runs up to midnight (now touched), and one continuing into a new day.
            [
                Page(nextDay.AddMinutes(-8), PageVisitor(0, 3), BusyPage),
                Page(nextDay.AddMinutes(-5), 9_900_003, BusyPage),
                Page(nextDay.AddMinutes(4), 9_900_004, BusyPage) with { PreviousVisitorId = 9_900_003 },
            ],

            // Late hits on an older busy day and on the quiet day.
            [
                Page(TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-2), RollupZone).AddHours(22), 9_900_005, BusyPage),
                Page(TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-3), RollupZone).AddHours(22), 9_900_006, BusyPage),
            ],
        ];

        (DateOnly From, DateOnly To)[] ranges =
        [
            (RollupLastDay.AddDays(-11), RollupLastDay.AddDays(2)),
        ];
        for (var i = 0; i < batches.Count; i++)
        {
            await store.AppendAsync(batches[i], TestCancellationToken);
            await reference.AppendAsync(batches[i], TestCancellationToken);
            await RefreshRollupsAsync(store);
            await AssertPageSegmentQueriesAsync(store, reference, ranges, $"page filters after batch {i + 1} and its refresh");
        }
    }

    /// <summary>
    /// After a refresh, hits arrive on the busy page for the last day and the day after (one continuing a visit of the
    /// last day across midnight); without a refresh, page-filtered queries over ranges ending on those days match the
    /// reference (the stored rows answer for the days before, the new days are cut from the raw hits).
    /// </summary>
    [Fact]
    public virtual async Task Rollups_PageFiltersWithChangedLastDays_MatchReferenceWithoutRefresh()
    {
        var (store, reference) = await LoadPageSegmentDataAsync();
        await RefreshRollupsAsync(store);
        var lastDay = TimeZoneSegments.StartOfDay(RollupLastDay, RollupZone);
        var nextDay = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(1), RollupZone);
        List<Hit> after =
        [
            Page(lastDay.AddHours(20), 9_800_001, BusyPage) with { ReferrerSource = "Bing", Country = "FR" },
            Page(nextDay.AddMinutes(-6), 9_800_002, BusyPage),
            Page(nextDay.AddMinutes(3), 9_800_003, BusyPage) with { PreviousVisitorId = 9_800_002 },
            Page(nextDay.AddHours(5), 9_800_004, BusyPage) with { ReferrerSource = "Google" },
        ];
        await store.AppendAsync(after, TestCancellationToken);
        await reference.AppendAsync(after, TestCancellationToken);
        (DateOnly From, DateOnly To)[] ranges =
        [
            (RollupLastDay.AddDays(-11), RollupLastDay.AddDays(2)), (RollupLastDay.AddDays(-4), RollupLastDay.AddDays(1)),
        ];
        await AssertPageSegmentQueriesAsync(store, reference, ranges, "page filters with changed last days");
    }

    // Visitor k of the busy page's visitors on day RollupLastDay + offset.
    private static long PageVisitor(int offset, int k) => 9_000_000 + ((offset + 20) * 1_000) + k;

    // The segment data set plus the busy page: 130 visitors a day on most days of the last week, 70 on day -3 (below any
    // threshold worth having, with the visitors coming back: about 80 sessions), with several entry pages, sources, countries and devices, bounces, repeated hits and events
    // on the page, and visits on it just before midnight and continued after it.
    private protected async ValueTask<(IHitStore Store, InMemoryHitStore Reference)> LoadPageSegmentDataAsync()
    {
        var (store, reference) = await LoadSegmentDataAsync();
        List<Hit> hits = [];
        string[] sources = ["Google", "Bing", "Twitter"];
        string[] countries = ["DE", "FR", "US", "GB"];
        string[] cities = ["Berlin", "Paris", "Boston"];
        string[] devices = ["Desktop", "Mobile"];
        string[] entries = ["/", BusyPage, "/blog"];
        for (var offset = -6; offset <= 0; offset++)
        {
            var midnight = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(offset), RollupZone);
            var count = offset == -3 ? 70 : 130;
            for (var k = 0; k < count; k++)
            {
                var visitor = PageVisitor(offset, k);
                var at = midnight.AddHours(7).AddMinutes(k * 5);
                Hit Visit(DateTimeOffset when, string path) => Page(when, visitor, path) with
                {
                    ReferrerSource = sources[k % sources.Length], Channel = k % 3 == 2 ? "Organic Social" : "Organic Search", Country = countries[k % countries.Length],
                    City = cities[k % cities.Length], DeviceType = devices[k % devices.Length], UtmCampaign = k % 7 == 0 ? "spring" : null,
                };
                var entry = entries[k % entries.Length];
                hits.Add(Visit(at, entry));
                if (k % 4 == 0 && entry == BusyPage)
                {
                    continue; // a bounce on the page
                }

                hits.Add(Visit(at.AddMinutes(1), BusyPage));
                if (k % 5 == 0)
                {
                    hits.Add(HitBuilder.CustomEvent("Download", BusyPage).At(at.AddMinutes(2)).ByVisitor(visitor).Build() with
                    {
                        ReferrerSource = sources[k % sources.Length], Country = countries[k % countries.Length], DeviceType = devices[k % devices.Length],
                    });
                }

                if (k % 3 == 0)
                {
                    hits.Add(Visit(at.AddMinutes(3), "/signup"));
                }

                if (k % 6 == 1)
                {
                    hits.Add(Visit(at.AddMinutes(4), BusyPage)); // back on the page (and a second session later)
                    hits.Add(Visit(at.AddHours(2), BusyPage));
                }
            }

            // On the page just before midnight, continued after it by a visitor of the next day (touched on both days).
            // (The next midnight from the zone: the range has a 25-hour day.)
            if (offset < 0)
            {
                var late = PageVisitor(offset, 900);
                var next = PageVisitor(offset + 1, 901);
                var nextMidnight = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(offset + 1), RollupZone);
                hits.Add(Page(nextMidnight.AddMinutes(-10), late, BusyPage) with { ReferrerSource = "Bing" });
                hits.Add(Page(nextMidnight.AddMinutes(5), next, BusyPage) with { PreviousVisitorId = late, ReferrerSource = "Twitter" });
                hits.Add(Page(nextMidnight.AddMinutes(9), next, "/after"));
            }
        }

        await store.AppendAsync(hits, TestCancellationToken);
        await reference.AppendAsync(hits, TestCancellationToken);
        return (store, reference);
    }

    private static async ValueTask AssertPageSegmentQueriesAsync(IHitStore store, InMemoryHitStore reference, (DateOnly From, DateOnly To)[] ranges, string context)
    {
        HitMetric[] eventMetrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events];
        HitMetric[] allMetrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit, HitMetric.Events];
        HitFilter[] filters =
        [
            HitFilter.Is(HitDimension.Page, BusyPage), HitFilter.Is(HitDimension.Page, "/pricing"),
            new HitFilterAnd([HitFilter.Is(HitDimension.Page, BusyPage), HitFilter.Is(HitDimension.Source, "Google")]),
            new HitFilterAnd([HitFilter.Is(HitDimension.Country, "FR"), HitFilter.Is(HitDimension.Page, BusyPage)]),
            new HitFilterAnd([HitFilter.Is(HitDimension.Page, BusyPage), HitFilter.Is(HitDimension.EntryPage, "/")]),
        ];
        var random = new Random(13);
        foreach (var (fromDay, toDay) in ranges)
        {
            var baseQuery = new HitQuery
            {
                SiteId = SiteId,
                From = TimeZoneSegments.StartOfDay(fromDay, RollupZone),
                To = TimeZoneSegments.StartOfDay(toDay, RollupZone),
                TimeZone = RollupZone,
            };
            var where = $"{context}, {fromDay:yyyy-MM-dd}..{toDay:yyyy-MM-dd}";
            foreach (var filter in filters)
            {
                // The top stats every time, then every grouping (lists sometimes with a limit).
                await AssertSameAnswerAsync(reference, store, baseQuery with { Metrics = allMetrics, Filter = filter }, where);
                // With a second condition, the time series only (the rows answer those; the lists keep the session route).
                foreach (var dimension in filter is HitFilterAnd ? [HitDimension.Day, HitDimension.Week] : PageSegmentGroupDimensions)
                {
                    var query = baseQuery with
                    {
                        Metrics = dimension is { IsVisit: false, IsTime: false } ? eventMetrics : allMetrics,
                        Dimensions = dimension is null ? [] : [dimension],
                        Filter = filter,
                        Limit = random.Next(4) == 0 ? 3 : null,
                    };
                    await AssertSameAnswerAsync(reference, store, query, where);
                }
            }
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Rollups (<see cref="IHitStoreRollups"/>): with rollups built, with new and late hits not rolled up yet, and after a
/// purge, the dashboard's queries over day-aligned ranges in the site's zone get the reference's answers. The data
/// follows the beacon's visitor-id rule (a new id every site-local day; visits across midnight linked by
/// <see cref="Hit.PreviousVisitorId"/>), which is what makes per-day rollups exact. A store without rollups runs the same
/// checks on its raw answers.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    private protected static readonly TimeZoneInfo RollupZone = RandomQueries.FindZone("Europe/Berlin");

    // 12 days around the end of daylight saving time in Berlin (2025-10-26).
    private protected static readonly DateOnly RollupLastDay = new(2025, 10, 31);

    /// <summary>After a refresh the dashboard's query set matches the reference on several day-aligned ranges.</summary>
    [Fact]
    public virtual async Task Rollups_AfterRefresh_MatchReference()
    {
        var (store, reference) = await LoadRollupDataAsync();
        if (store is IHitStoreRollups rollups)
        {
            Assert.True(await rollups.RefreshRollupsAsync(RollupSites(), TestCancellationToken) > 0);
        }

        await AssertRollupQueriesAsync(store, reference, "after refresh");
        // A second refresh has nothing to do.
        Assert.Equal(0, await RefreshRollupsAsync(store));
    }

    /// <summary>New hits, late hits for an old day and re-appended duplicates count at once, before any refresh.</summary>
    [Fact]
    public virtual async Task Rollups_NewLateAndDuplicateHits_MatchReferenceBeforeAndAfterRefresh()
    {
        var (store, reference) = await LoadRollupDataAsync();
        await RefreshRollupsAsync(store);
        var existing = (await ReadAllAsync(reference, HitRange.All)).Take(5).ToList();
        var lateDay = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-6), RollupZone);
        var newDay = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(1), RollupZone);
        List<Hit> more =
        [
            .. existing,
            Page(lateDay.AddHours(10), 9_000_001, "/late"),
            Page(lateDay.AddHours(10).AddMinutes(3), 9_000_001, "/pricing"),
            Page(newDay.AddHours(9), 9_000_002, "/"),
            Page(newDay.AddHours(9).AddMinutes(1), 9_000_002, "/new"),
        ];
        await store.AppendAsync(more, TestCancellationToken);
        await reference.AppendAsync(more, TestCancellationToken);
        await AssertRollupQueriesAsync(store, reference, "before refresh", extraDay: true, sessionQueries: false);
        await RefreshRollupsAsync(store);
        await AssertRollupQueriesAsync(store, reference, "after refresh", extraDay: true);
    }

    /// <summary>A purge of part of the range takes its hits out of the rollups' answers, before and after a refresh.</summary>
    [Fact]
    public virtual async Task Rollups_AfterPurge_MatchReference()
    {
        var (store, reference) = await LoadRollupDataAsync();
        await RefreshRollupsAsync(store);
        var range = new HitRange
        {
            From = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-8), RollupZone).AddHours(13),
            To = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-6), RollupZone).AddHours(7),
        };
        Assert.Equal(await reference.PurgeAsync(range, TestCancellationToken), await store.PurgeAsync(range, TestCancellationToken));
        await AssertRollupQueriesAsync(store, reference, "after purge", sessionQueries: false);
        await RefreshRollupsAsync(store);
        await AssertRollupQueriesAsync(store, reference, "after purge and refresh");
    }

    // A store without rollups answers every query from its raw hits: the same checks then compare those answers.
    private static async ValueTask<int> RefreshRollupsAsync(IHitStore store) =>
        store is IHitStoreRollups rollups ? await rollups.RefreshRollupsAsync(RollupSites(), TestCancellationToken) : 0;

    // How many random filtered session queries each range of the rollup checks asks.
    private const int SessionRollupQueryCount = 15;

    // How many random session queries with has_done / has_not_done each range of the rollup checks asks.
    private const int BehavioralQueryCount = 12;

    private protected static Dictionary<string, TimeZoneInfo> RollupSites() => new(StringComparer.Ordinal) { [SiteId] = RollupZone };

    private protected async ValueTask<(IHitStore Store, InMemoryHitStore Reference)> LoadRollupDataAsync()
    {
        var store = await CreateStoreAsync();
        var generator = new RealisticHitGenerator(200) { SiteId = SiteId, TimeZone = RollupZone, Seed = 7 };
        var hits = generator.Generate(3_000, 12, RollupLastDay).ToList();
        // Visits across midnight (the generator makes few at this size): a plain one, two bounces joined, and one whose
        // new-day visitor comes back later that day; the first two visitors also had an earlier visit the day before.
        for (var i = 0; i < 3; i++)
        {
            var midnight = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-2 - (3 * i)), RollupZone);
            long t = 7_000_000 + (i * 10);
            long s = t + 1;
            hits.Add(Page(midnight.AddMinutes(-9), t, "/before-midnight"));
            if (i != 1)
            {
                hits.Add(Page(midnight.AddMinutes(-4), t, "/pricing"));
            }

            hits.Add(Page(midnight.AddMinutes(3), s, "/after-midnight") with { PreviousVisitorId = t });
            if (i != 1)
            {
                hits.Add(Page(midnight.AddMinutes(7), s, "/signup") with { PreviousVisitorId = t });
            }

            if (i == 2)
            {
                hits.Add(Page(midnight.AddHours(5), s, "/"));
            }

            // An earlier visit of the old-day visitor: with T's exit page (i = 0) or with S's (i = 1).
            if (i < 2)
            {
                hits.Add(Page(midnight.AddHours(-6), t, i == 0 ? "/pricing" : "/after-midnight"));
            }
        }

        await store.AppendAsync(hits, TestCancellationToken);
        return (store, await CreateReferenceAsync(hits));
    }

    private protected static Hit Page(DateTimeOffset at, long visitor, string path) =>
        HitBuilder.Pageview(path).At(at).ByVisitor(visitor).Build() with { Country = "DE", ReferrerSource = "Google", Channel = "Organic Search" };

    // sessionQueries: also the random filtered session queries; they take the raw path while days wait for a rebuild,
    // which the other checks already cover.
    private static async ValueTask AssertRollupQueriesAsync(IHitStore store, InMemoryHitStore reference, string context, bool extraDay = false, bool sessionQueries = true)
    {
        var end = RollupLastDay.AddDays(extraDay ? 2 : 1);
        (DateOnly From, DateOnly To)[] ranges =
        [
            (RollupLastDay.AddDays(-11), end), (RollupLastDay.AddDays(-8), RollupLastDay.AddDays(-3)),
            (RollupLastDay.AddDays(-5), RollupLastDay.AddDays(-4)), (RollupLastDay.AddDays(-7), end),
        ];
        var hits = await ReadAllAsync(reference, HitRange.All);
        HitMetric[] eventMetrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events];
        HitMetric[] allMetrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit, HitMetric.Events];
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
                baseQuery with { Metrics = [HitMetric.Visits, HitMetric.VisitDuration] },
                baseQuery with { Metrics = allMetrics, Dimensions = [HitDimension.Day] },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Week] },
                baseQuery with { Metrics = [HitMetric.Visits, HitMetric.Visitors], Dimensions = [HitDimension.Month] },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Page], Limit = 10 },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.EventName] },
                baseQuery with { Metrics = eventMetrics, Filter = HitFilter.Is(HitDimension.Page, "/") },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Day], Filter = HitFilter.Is(HitDimension.Page, "/pricing") },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Page], Filter = HitFilter.Contains(HitDimension.Page, "/blog"), Limit = 5, Offset = 1 },
                baseQuery with { Metrics = [HitMetric.Pageviews], Dimensions = [HitDimension.Page], Filter = HitFilter.Not(HitFilter.Is(HitDimension.Page, "/")) },
            ];
            foreach (var dimension in new[] { HitDimension.EntryPage, HitDimension.ExitPage, HitDimension.Source, HitDimension.Channel, HitDimension.Country, HitDimension.City, HitDimension.Device, HitDimension.Browser, HitDimension.OperatingSystem, HitDimension.Screen, HitDimension.Language, HitDimension.UtmCampaign })
            {
                queries.Add(baseQuery with { Metrics = allMetrics, Dimensions = [dimension] });
            }

            foreach (var query in queries)
            {
                await AssertSameAnswerAsync(reference, store, query, context);
            }

            // Filtered session queries (visit, event and mixed filters), which stores answer from session rollups.
            var random = new Random(fromDay.DayNumber + (31 * toDay.DayNumber));
            for (var i = 0; sessionQueries && i < SessionRollupQueryCount; i++)
            {
                // Every other one with the site's goals set, as the HTTP API asks for a site with goals (unused by these).
                var query = SessionRollupQueries.Next(random, baseQuery, hits);
                await AssertSameAnswerAsync(reference, store, i % 2 == 1 ? query with { Goals = [HitGoal.Event("Signup"), HitGoal.Page("/blog/*")] } : query, context);
            }

            // The same with has_done / has_not_done, which the session rollups answer too (their own sequence, so the
            // queries above stay as they were).
            var behavioral = new Random(fromDay.DayNumber + (37 * toDay.DayNumber));
            for (var i = 0; sessionQueries && i < BehavioralQueryCount; i++)
            {
                await AssertSameAnswerAsync(reference, store, SessionRollupQueries.NextBehavioral(behavioral, baseQuery, hits), context);
            }
        }
    }
}

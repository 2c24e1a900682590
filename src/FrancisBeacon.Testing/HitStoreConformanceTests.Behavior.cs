// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>Behavioural filters (has_done / has_not_done) and goal conditions anywhere in the filter tree.</content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    // Visitor 1: session A (Google; "/", "/pricing", a Signup on /pricing), then session B three hours later ("/blog");
    // visitor 2: one view of /pricing; visitor 3: Google, "/" and a Signup on "/". Seven hits, four sessions.
    private static IReadOnlyList<Hit> BehaviorHits()
    {
        var t0 = Utc(2026, 8, 3, 10, 0, 0);
        var google = new HitBuilder().WithReferrer("https://www.google.com/", "Google");
        return
        [
            google.ByVisitor(1).OnPage("/").At(t0).Build(),
            new HitBuilder().ByVisitor(1).OnPage("/pricing").At(t0.AddMinutes(5)).Build(),
            new HitBuilder().ByVisitor(1).OnPage("/pricing").WithEvent("Signup").At(t0.AddMinutes(6)).Build(),
            new HitBuilder().ByVisitor(1).OnPage("/blog").At(t0.AddHours(3)).Build(),
            new HitBuilder().ByVisitor(2).OnPage("/pricing").At(t0).Build(),
            google.ByVisitor(3).OnPage("/").At(t0.AddMinutes(1)).Build(),
            new HitBuilder().ByVisitor(3).OnPage("/").WithEvent("Signup").At(t0.AddMinutes(2)).Build(),
        ];
    }

    /// <summary>
    /// has_done keeps the hits of sessions in which some hit passes the inner filter, so it combines conditions on
    /// different hits of one session ("signups by sessions that viewed /pricing"); has_not_done keeps the others. Both
    /// are per session, as in Plausible: visitor 1's later session without a signup passes has_not_done.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_HasDone_KeepsSessionsWithAMatchingHit()
    {
        var store = await CreateStoreWithAsync(BehaviorHits());
        var query = Query(Utc(2026, 8, 3, 0, 0, 0), Utc(2026, 8, 4, 0, 0, 0)) with { Metrics = [HitMetric.Visitors, HitMetric.Events] };
        var pricing = HitFilter.Is(HitDimension.Page, "/pricing");
        var signup = HitFilter.Is(HitDimension.EventName, "Signup");

        AssertRows([Row([], 1, 1)], await store.QueryAsync(query with { Filter = HitFilter.And(signup, HitFilter.HasDone(pricing)) }, CancellationToken.None));
        AssertRows([Row([], 0, 0)], await store.QueryAsync(query with { Filter = HitFilter.And(signup, pricing, HitFilter.Is(HitDimension.Page, "/")) }, CancellationToken.None));
        AssertRows(
            [Row([], 2, 2, 2, 2)],
            await store.QueryAsync(query with { Metrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.Events], Filter = HitFilter.HasNotDone(signup) }, CancellationToken.None));
        AssertRows(
            [Row(["/"], 1, 2), Row(["/pricing"], 1, 1)],
            await store.QueryAsync(query with { Metrics = [HitMetric.Visits, HitMetric.Pageviews], Dimensions = [HitDimension.EntryPage], Filter = HitFilter.HasDone(pricing) }, CancellationToken.None));
        AssertRows(
            [Row([], 6, 2)],
            await store.QueryAsync(query with { Metrics = [HitMetric.Events, HitMetric.Visitors], Filter = HitFilter.Or(HitFilter.HasDone(signup), HitFilter.Is(HitDimension.Page, "/blog")) }, CancellationToken.None));
        // A visit condition inside, and not(has_done) equal to has_not_done.
        AssertRows([Row([], 2)], await store.QueryAsync(query with { Metrics = [HitMetric.Events], Filter = HitFilter.Not(HitFilter.HasDone(HitFilter.Is(HitDimension.Source, "Google"))) }, CancellationToken.None));
        AssertRows([Row([], 2)], await store.QueryAsync(query with { Metrics = [HitMetric.Events], Filter = HitFilter.HasNotDone(HitFilter.Is(HitDimension.Source, "Google")) }, CancellationToken.None));
        AssertRows(
            [Row(["/"], 2), Row(["/pricing"], 1)],
            await store.QueryAsync(query with { Metrics = [HitMetric.Events], Dimensions = [HitDimension.Page], Filter = HitFilter.And(HitFilter.HasDone(signup), HitFilter.Not(signup)) }, CancellationToken.None));
    }

    /// <summary>has_done cannot be nested in another; the error names the filters field.</summary>
    [Fact]
    public virtual async Task QueryAsync_NestedHasDone_IsRefused()
    {
        var store = await CreateStoreWithAsync(BehaviorHits());
        var query = Query(Utc(2026, 8, 3, 0, 0, 0), Utc(2026, 8, 4, 0, 0, 0)) with
        {
            Filter = HitFilter.HasDone(HitFilter.Or(HitFilter.Is(HitDimension.Page, "/"), HitFilter.HasNotDone(HitFilter.Is(HitDimension.Page, "/blog")))),
        };

        var error = await Assert.ThrowsAsync<HitQueryException>(async () => await store.QueryAsync(query, CancellationToken.None));
        Assert.Equal("filters", error.Field);
    }

    /// <summary>
    /// event:goal conditions work under or, not and has_done (each names the goals whose hits it means); conversion_rate
    /// still needs a top-level goal condition or the goal dimension.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_GoalConditions_WorkAnywhereInTheTree()
    {
        var store = await CreateStoreWithAsync(BehaviorHits());
        var query = Query(Utc(2026, 8, 3, 0, 0, 0), Utc(2026, 8, 4, 0, 0, 0)) with
        {
            Metrics = [HitMetric.Events, HitMetric.Visitors],
            Goals = [HitGoal.Event("Signup"), HitGoal.Page("/blog")],
        };
        var signup = HitFilter.Is(HitDimension.Goal, "Signup");

        AssertRows([Row([], 3, 2)], await store.QueryAsync(query with { Filter = HitFilter.Or(signup, HitFilter.Is(HitDimension.Goal, "Visit /blog")) }, CancellationToken.None));
        AssertRows([Row([], 5, 3)], await store.QueryAsync(query with { Filter = HitFilter.Not(signup) }, CancellationToken.None));
        AssertRows([Row([], 5, 2)], await store.QueryAsync(query with { Filter = HitFilter.HasDone(signup) }, CancellationToken.None));
        AssertRows([Row([], 2, 2)], await store.QueryAsync(query with { Filter = HitFilter.HasNotDone(signup) }, CancellationToken.None));
        AssertRows(
            [Row(["Signup"], 1, 1)],
            await store.QueryAsync(query with { Dimensions = [HitDimension.Goal], Filter = HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/pricing")) }, CancellationToken.None));
        // A goal condition that names no configured goal matches nothing.
        AssertRows([Row([], 0, 0)], await store.QueryAsync(query with { Filter = HitFilter.Or(HitFilter.Is(HitDimension.Goal, "Nope"), HitFilter.Is(HitDimension.Page, "/nowhere")) }, CancellationToken.None));

        var error = await Assert.ThrowsAsync<HitQueryException>(async () =>
            await store.QueryAsync(query with { Metrics = [HitMetric.ConversionRate], Filter = HitFilter.Not(signup) }, CancellationToken.None));
        Assert.Equal("metrics", error.Field);
    }

    /// <summary>
    /// Revenue metrics combine with sessions: grouped by a visit dimension they add up the revenue of each group's
    /// sessions (their kept hits), in the query's currency only; with session metrics and a time dimension, that of the
    /// bucket's hits; with a visit filter or has_done, that of the kept hits.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_RevenueWithSessions_SumsTheKeptHitsOfEachGroup()
    {
        var t0 = Utc(2026, 8, 3, 10, 0, 0);
        var google = new HitBuilder().WithReferrer("https://www.google.com/", "Google");
        var store = await CreateStoreWithAsync(
        [
            google.ByVisitor(1).OnPage("/").At(t0).Build(),
            new HitBuilder().ByVisitor(1).OnPage("/checkout").WithEvent("Purchase").WithRevenue(10.5m, "EUR").At(t0.AddMinutes(1)).Build(),
            new HitBuilder().ByVisitor(1).OnPage("/checkout").WithEvent("Purchase").WithRevenue(4m, "USD").At(t0.AddMinutes(2)).Build(),
            new HitBuilder().ByVisitor(1).OnPage("/checkout").WithEvent("Purchase").WithRevenue(1.25m, "EUR").At(t0.AddMinutes(3)).Build(),
            new HitBuilder().ByVisitor(2).OnPage("/checkout").WithEvent("Purchase").WithRevenue(2m, "EUR").At(t0.AddHours(1)).Build(),
            new HitBuilder().ByVisitor(3).OnPage("/").At(t0.AddHours(2)).Build(),
        ]);
        var query = Query(Utc(2026, 8, 3, 0, 0, 0), Utc(2026, 8, 4, 0, 0, 0)) with
        {
            Metrics = [HitMetric.Visits, HitMetric.TotalRevenue, HitMetric.AverageRevenue],
            RevenueCurrency = "EUR",
        };

        AssertRows(
            [Row(["(not set)"], 2, 2, 2), Row(["Google"], 1, 11.75, 5.875)],
            await store.QueryAsync(query with { Dimensions = [HitDimension.Source] }, CancellationToken.None));
        AssertRows([Row(["2026-08-03"], 3, 13.75, 4.583333)], await store.QueryAsync(query with { Dimensions = [HitDimension.Day] }, CancellationToken.None));
        AssertRows(
            [Row([], 11.75, 1)],
            await store.QueryAsync(query with { Metrics = [HitMetric.TotalRevenue, HitMetric.Visitors], Filter = HitFilter.Is(HitDimension.Source, "Google") }, CancellationToken.None));
        AssertRows(
            [Row([], 2, 4)],
            await store.QueryAsync(query with { Metrics = [HitMetric.Visits, HitMetric.TotalRevenue], RevenueCurrency = "USD", Filter = HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/")) }, CancellationToken.None));
        AssertRows(
            [Row(["/checkout"], 1, 2)],
            await store.QueryAsync(query with { Metrics = [HitMetric.Visits, HitMetric.TotalRevenue], Dimensions = [HitDimension.EntryPage], Filter = HitFilter.Is(HitDimension.EntryPage, "/checkout") }, CancellationToken.None));
    }

    /// <summary>
    /// With rollups built, queries that look like rollup queries but carry has_done / has_not_done or revenue metrics
    /// with sessions still match the reference (a planner answers has_done from session rollups or leaves it to the raw
    /// path; revenue with sessions is the raw path's), also over ranges that cut a visit across midnight.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_BehavioralFiltersAndRevenue_MatchReference()
    {
        var (store, reference) = await LoadRollupDataAsync();
        if (store is IHitStoreRollups rollups)
        {
            await rollups.RefreshRollupsAsync(RollupSites(), TestCancellationToken);
        }

        var query = new HitQuery
        {
            SiteId = SiteId,
            From = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-11), RollupZone),
            To = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(1), RollupZone),
            TimeZone = RollupZone,
        };
        HitMetric[] eventMetrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events];
        HitMetric[] allMetrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit, HitMetric.Events];
        HitQuery[] queries =
        [
            query with { Metrics = eventMetrics, Dimensions = [HitDimension.Page], Filter = HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/pricing")) },
            query with { Metrics = eventMetrics, Filter = HitFilter.HasNotDone(HitFilter.Is(HitDimension.Page, "/")) },
            query with { Metrics = eventMetrics, Dimensions = [HitDimension.Day], Filter = HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/")) },
            query with { Metrics = allMetrics, Dimensions = [HitDimension.Day], Filter = HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/pricing")) },
            query with { Metrics = allMetrics, Dimensions = [HitDimension.Source], Filter = HitFilter.Not(HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/"))) },
            query with { Metrics = allMetrics },
            query with { Metrics = [HitMetric.Visits, HitMetric.TotalRevenue, HitMetric.AverageRevenue], Dimensions = [HitDimension.Source] },
            query with { Metrics = [HitMetric.Visits, HitMetric.TotalRevenue], Dimensions = [HitDimension.Day] },
        ];
        foreach (var q in queries)
        {
            await AssertSameAnswerAsync(reference, store, q, "behavioural and revenue queries with rollups built");
        }

        // Ranges that cut the visits across midnight (LoadRollupDataAsync: at the starts of days -2 and -8, pages
        // /before-midnight and /pricing before, /after-midnight and /signup after): only the range's part of a visit
        // counts as done, whichever side of the cut the page is on.
        foreach (var (from, to) in new[] { (-3, -2), (-2, -1), (-3, -1), (-9, -8), (-8, -7) })
        {
            var edge = query with { From = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(from), RollupZone), To = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(to), RollupZone) };
            foreach (var filter in new[]
            {
                HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/after-midnight")), HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/before-midnight")),
                HitFilter.HasNotDone(HitFilter.Is(HitDimension.Page, "/signup")), HitFilter.HasNotDone(HitFilter.Is(HitDimension.Page, "/pricing")),
            })
            {
                await AssertSameAnswerAsync(reference, store, edge with { Metrics = allMetrics, Filter = filter }, $"behavioural filter over days {from} to {to}");
                await AssertSameAnswerAsync(reference, store, edge with { Metrics = eventMetrics, Dimensions = [HitDimension.Page], Filter = filter }, $"behavioural filter over days {from} to {to}, by page");
            }
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Testing;

/// <content>Filters on visit dimensions and filtered session metrics (Plausible semantics).</content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    private static IReadOnlyList<Hit> VisitFilterHits()
    {
        var t0 = Utc(2026, 8, 3, 10, 0, 0);
        var google = new HitBuilder().WithReferrer("https://www.google.com/", "Google");
        return
        [
            google.ByVisitor(1).OnPage("/").At(t0).Build(),
            new HitBuilder().ByVisitor(1).OnPage("/blog").At(t0.AddMinutes(5)).Build(),
            new HitBuilder().ByVisitor(1).OnPage("/blog").WithEvent("Signup").At(t0.AddMinutes(6)).Build(),
            new HitBuilder().ByVisitor(2).OnPage("/pricing").At(t0).Build(),
            google.ByVisitor(3).OnPage("/blog").At(t0.AddMinutes(1)).Build(),
        ];
    }

    /// <summary>
    /// A visit:* filter keeps whole sessions whose attribute (the first hit's) matches: every hit of those sessions
    /// counts, later hits without a referrer included, and session metrics are over those sessions.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_VisitFilter_KeepsWholeSessions()
    {
        var store = await CreateStoreWithAsync(VisitFilterHits());
        var query = Query(Utc(2026, 8, 3, 0, 0, 0), Utc(2026, 8, 4, 0, 0, 0)) with
        {
            Metrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.Events, HitMetric.BounceRate],
            Filter = HitFilter.Is(HitDimension.Source, "Google"),
        };

        AssertRows([Row([], 2, 2, 3, 4, 50)], await store.QueryAsync(query, CancellationToken.None));
        AssertRows(
            [Row(["/blog"], 2), Row(["/"], 1)],
            await store.QueryAsync(query with { Metrics = [HitMetric.Pageviews], Dimensions = [HitDimension.Page] }, CancellationToken.None));
        AssertRows(
            [Row(["(not set)"], 1, 100)],
            await store.QueryAsync(query with { Metrics = [HitMetric.Visits, HitMetric.BounceRate], Dimensions = [HitDimension.Source], Filter = HitFilter.Is(HitDimension.EntryPage, "/pricing") }, CancellationToken.None));
    }

    /// <summary>
    /// An event filter with session metrics counts the sessions with at least one matching hit, each taken whole
    /// (bounce rate, duration and views per visit of the full session), while event metrics count matching hits.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_EventFilterWithSessionMetrics_CountsSessionsWithAMatch()
    {
        var store = await CreateStoreWithAsync(VisitFilterHits());
        var query = Query(Utc(2026, 8, 3, 0, 0, 0), Utc(2026, 8, 4, 0, 0, 0)) with
        {
            Metrics = [HitMetric.Visits, HitMetric.Pageviews, HitMetric.Events, HitMetric.BounceRate, HitMetric.ViewsPerVisit, HitMetric.VisitDuration],
            Filter = HitFilter.Is(HitDimension.Page, "/blog"),
        };

        // Visitor 1's session (3 hits, 2 page views, 360 s) and visitor 3's bounce; 2 page views and 1 event on /blog.
        AssertRows([Row([], 2, 2, 3, 50, 1.5, 180)], await store.QueryAsync(query, CancellationToken.None));
        AssertRows(
            [Row(["2026-08-03"], 2, 2, 3, 50, 1.5, 180)],
            await store.QueryAsync(query with { Dimensions = [HitDimension.Day] }, CancellationToken.None));
    }

    /// <summary>Visit and event conditions mix freely under and, or and not.</summary>
    [Fact]
    public virtual async Task QueryAsync_MixedVisitAndEventFilters_CombineFreely()
    {
        var store = await CreateStoreWithAsync(VisitFilterHits());
        var query = Query(Utc(2026, 8, 3, 0, 0, 0), Utc(2026, 8, 4, 0, 0, 0)) with { Metrics = [HitMetric.Events, HitMetric.Visits] };

        AssertRows(
            [Row([], 3, 2)],
            await store.QueryAsync(query with { Filter = HitFilter.And(HitFilter.Is(HitDimension.Source, "Google"), HitFilter.Not(HitFilter.Is(HitDimension.EventName, "Signup"))) }, CancellationToken.None));
        AssertRows(
            [Row([], 5, 3)],
            await store.QueryAsync(query with { Filter = HitFilter.Or(HitFilter.Is(HitDimension.Source, "Google"), HitFilter.Is(HitDimension.Page, "/pricing")) }, CancellationToken.None));
        AssertRows(
            [Row([], 1, 1)],
            await store.QueryAsync(query with { Filter = HitFilter.Not(HitFilter.Contains(HitDimension.ExitPage, "/blog")) }, CancellationToken.None));
        AssertRows(
            [Row(["Google"], 3, 2)],
            await store.QueryAsync(query with { Dimensions = [HitDimension.Source], Filter = HitFilter.And(HitFilter.Is(HitDimension.Source, "Google"), HitFilter.Contains(HitDimension.Page, "/")), Metrics = [HitMetric.Pageviews, HitMetric.Visits] }, CancellationToken.None));
    }
}

/// <content>Regular expressions and case-insensitive comparisons.</content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>matches / matches_not use the portable subset; case_sensitive: false folds ASCII letters only.</summary>
    [Fact]
    public virtual async Task QueryAsync_RegexAndCaseInsensitiveFilters_MatchTheSubset()
    {
        var t0 = Utc(2026, 7, 1, 12, 0, 0);
        var store = await CreateStoreWithAsync(
        [
            new HitBuilder().ByVisitor(1).OnPage("/blog/2026/a").At(t0).Build(),
            new HitBuilder().ByVisitor(2).OnPage("/Blog/x").At(t0.AddMinutes(1)).Build(),
            new HitBuilder().ByVisitor(3).OnPage("/ÉTÉ").At(t0.AddMinutes(2)).Build(),
            new HitBuilder().ByVisitor(4).OnPage("/😀").At(t0.AddMinutes(3)).Build(),
        ]);
        var query = Query(t0.AddHours(-1), t0.AddHours(1)) with { Metrics = [HitMetric.Events] };

        AssertRows([Row([], 1)], await store.QueryAsync(query with { Filter = HitFilter.Matches(HitDimension.Page, @"^/blog/\d{4}/") }, CancellationToken.None));
        AssertRows([Row([], 2)], await store.QueryAsync(query with { Filter = HitFilter.Matches(HitDimension.Page, "^/[Bb]log/") }, CancellationToken.None));
        AssertRows([Row([], 1)], await store.QueryAsync(query with { Filter = HitFilter.Matches(HitDimension.Page, "^/.$") }, CancellationToken.None));
        AssertRows(
            [Row([], 2)],
            await store.QueryAsync(query with { Filter = new HitFilterCondition(HitFilterOperator.MatchesNot, HitDimension.Page, ["blog", "^/.$"]) }, CancellationToken.None));
        AssertRows(
            [Row([], 2)],
            await store.QueryAsync(query with { Filter = new HitFilterCondition(HitFilterOperator.Contains, HitDimension.Page, ["/BLOG/"]) { IgnoreCase = true } }, CancellationToken.None));
        AssertRows(
            [Row([], 0)],
            await store.QueryAsync(query with { Filter = new HitFilterCondition(HitFilterOperator.Is, HitDimension.Page, ["/été"]) { IgnoreCase = true } }, CancellationToken.None));
    }
}

/// <content>Custom properties: the event:props:&lt;key&gt; dimension and filters on it.</content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// event:props:&lt;key&gt; groups hits by one property (missing: (not set), empty stays empty), keys with quotes,
    /// dots and unicode included, and filters on it.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_PropertyDimension_GroupsAndFiltersByKey()
    {
        var t0 = Utc(2026, 7, 1, 12, 0, 0);
        const string oddKey = "a.\"b\" $[0] ключ";
        var store = await CreateStoreWithAsync(
        [
            HitBuilder.CustomEvent("Purchase", "/").ByVisitor(1).At(t0).WithProperty("plan", "pro").WithProperty(oddKey, "x").Build(),
            HitBuilder.CustomEvent("Purchase", "/").ByVisitor(2).At(t0.AddMinutes(1)).WithProperty("plan", "pro").Build(),
            HitBuilder.CustomEvent("Purchase", "/").ByVisitor(3).At(t0.AddMinutes(2)).WithProperty("plan", string.Empty).Build(),
            new HitBuilder().ByVisitor(4).At(t0.AddMinutes(3)).Build(),
        ]);
        var query = Query(t0.AddHours(-1), t0.AddHours(1)) with { Metrics = [HitMetric.Events] };

        AssertRows(
            [Row(["pro"], 2), Row([string.Empty], 1), Row(["(not set)"], 1)],
            await store.QueryAsync(query with { Dimensions = [HitDimension.Property("plan")] }, CancellationToken.None));
        AssertRows(
            [Row(["(not set)"], 3), Row(["x"], 1)],
            await store.QueryAsync(query with { Dimensions = [HitDimension.Property(oddKey)] }, CancellationToken.None));
        AssertRows(
            [Row([], 2)],
            await store.QueryAsync(query with { Filter = HitFilter.Is(HitDimension.Property("plan"), "pro") }, CancellationToken.None));
        AssertRows(
            [Row([], 2)],
            await store.QueryAsync(query with { Metrics = [HitMetric.Visits], Filter = HitFilter.Is(HitDimension.Property("plan"), "pro") }, CancellationToken.None));
    }
}

/// <content>Goals, conversion_rate and percentage (answered through <see cref="CompositeQueries"/>).</content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// event:goal groups the hits completing each configured goal (event or page pattern); conversion_rate divides
    /// converting visitors by all visitors of the same group without the goal; percentage divides by the total.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_Goals_ConversionRateAndPercentage()
    {
        var store = await CreateStoreWithAsync(VisitFilterHits());
        var query = Query(Utc(2026, 8, 3, 0, 0, 0), Utc(2026, 8, 4, 0, 0, 0)) with
        {
            Goals = [HitGoal.Event("Signup"), HitGoal.Page("/blog*"), HitGoal.Event("Never")],
            Metrics = [HitMetric.Visitors, HitMetric.Events, HitMetric.ConversionRate],
        };

        AssertRows(
            [Row(["Visit /blog*"], 2, 2, 66.67), Row(["Signup"], 1, 1, 33.33)],
            await store.QueryAsync(query with { Dimensions = [HitDimension.Goal] }, CancellationToken.None));
        AssertRows(
            [Row([], 1, 1, 33.33)],
            await store.QueryAsync(query with { Filter = HitFilter.Is(HitDimension.Goal, "Signup") }, CancellationToken.None));
        AssertRows(
            [Row(["Google"], 1, 50)],
            await store.QueryAsync(query with { Metrics = [HitMetric.Visitors, HitMetric.ConversionRate], Dimensions = [HitDimension.Source], Filter = HitFilter.Is(HitDimension.Goal, "Signup") }, CancellationToken.None));
        AssertRows(
            [Row(["/blog"], 2, 66.7), Row(["/"], 1, 33.3), Row(["/pricing"], 1, 33.3)],
            await store.QueryAsync(query with { Metrics = [HitMetric.Visitors, HitMetric.Percentage], Dimensions = [HitDimension.Page] }, CancellationToken.None));
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Testing;

/// <content>Metrics and grouping by page and by day, on <see cref="HitScenario.SmallSite"/>.</content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    private protected static readonly DateTimeOffset SmallSiteFrom = new(2025, 1, 10, 0, 0, 0, TimeSpan.Zero);
    private protected static readonly DateTimeOffset SmallSiteTo = new(2025, 1, 12, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Without dimensions the answer is one totals row: distinct visitors over all events, and page views only.</summary>
    [Fact]
    public virtual async Task QueryAsync_NoDimensions_ReturnsOneTotalsRow()
    {
        var store = await CreateStoreWithAsync(HitScenario.SmallSite());

        var result = await store.QueryAsync(Query(SmallSiteFrom, SmallSiteTo), TestCancellationToken);

        AssertRows([Row([], 5, 6)], result);
    }

    /// <summary>Grouped by page: visitors count distinct ids per page, custom events count as visitors but not as page views.</summary>
    [Fact]
    public virtual async Task QueryAsync_GroupByPage_CountsEachPage()
    {
        var store = await CreateStoreWithAsync(HitScenario.SmallSite());

        var result = await store.QueryAsync(Query(SmallSiteFrom, SmallSiteTo, HitDimension.Page), TestCancellationToken);

        AssertRows(
        [
            Row(["/"], 3, 3),
            Row(["/blog"], 2, 2),
            Row(["/about"], 1, 1),
            Row(["/pricing"], 1, 0),
        ], result);
    }

    /// <summary>Grouped by day: one row per UTC day, oldest first even when a later day has more visitors.</summary>
    [Fact]
    public virtual async Task QueryAsync_GroupByDay_CountsEachDayOldestFirst()
    {
        var store = await CreateStoreWithAsync(HitScenario.SmallSite());

        var result = await store.QueryAsync(Query(SmallSiteFrom, SmallSiteTo, HitDimension.Day), TestCancellationToken);

        AssertRows(
        [
            Row(["2025-01-10"], 2, 3),
            Row(["2025-01-11"], 3, 3),
        ], result);
    }

    /// <summary>Grouped by day then page: ordered by day, then by page.</summary>
    [Fact]
    public virtual async Task QueryAsync_GroupByDayThenPage_OrdersByDayThenPage()
    {
        var store = await CreateStoreWithAsync(HitScenario.SmallSite());

        var result = await store.QueryAsync(Query(SmallSiteFrom, SmallSiteTo, HitDimension.Day, HitDimension.Page), TestCancellationToken);

        AssertRows(
        [
            Row(["2025-01-10", "/"], 2, 2),
            Row(["2025-01-10", "/about"], 1, 1),
            Row(["2025-01-11", "/"], 1, 1),
            Row(["2025-01-11", "/blog"], 2, 2),
            Row(["2025-01-11", "/pricing"], 1, 0),
        ], result);
    }

    /// <summary>Grouped by page then day: ordered by the first metric, largest first, then by page and day.</summary>
    [Fact]
    public virtual async Task QueryAsync_GroupByPageThenDay_OrdersByFirstMetricThenValues()
    {
        var store = await CreateStoreWithAsync(HitScenario.SmallSite());

        var result = await store.QueryAsync(Query(SmallSiteFrom, SmallSiteTo, HitDimension.Page, HitDimension.Day), TestCancellationToken);

        AssertRows(
        [
            Row(["/", "2025-01-10"], 2, 2),
            Row(["/blog", "2025-01-11"], 2, 2),
            Row(["/", "2025-01-11"], 1, 1),
            Row(["/about", "2025-01-10"], 1, 1),
            Row(["/pricing", "2025-01-11"], 1, 0),
        ], result);
    }

    /// <summary>Metrics come in the order the query lists them, and the first one decides the row order.</summary>
    [Fact]
    public virtual async Task QueryAsync_MetricsPageviewsThenVisitors_ListsAndOrdersByPageviews()
    {
        var store = await CreateStoreWithAsync(HitScenario.SmallSite());
        var query = Query(SmallSiteFrom, SmallSiteTo, HitDimension.Page) with { Metrics = [HitMetric.Pageviews, HitMetric.Visitors] };

        var result = await store.QueryAsync(query, TestCancellationToken);

        AssertRows(
        [
            Row(["/"], 3, 3),
            Row(["/blog"], 2, 2),
            Row(["/about"], 1, 1),
            Row(["/pricing"], 0, 1),
        ], result);
    }

    /// <summary>A query may ask for a single metric; each row then has exactly one value.</summary>
    [Fact]
    public virtual async Task QueryAsync_SingleMetric_ReturnsOnlyThatMetric()
    {
        var store = await CreateStoreWithAsync(HitScenario.SmallSite());
        var visitors = Query(SmallSiteFrom, SmallSiteTo, HitDimension.Day) with { Metrics = [HitMetric.Visitors] };
        var pageviews = Query(SmallSiteFrom, SmallSiteTo) with { Metrics = [HitMetric.Pageviews] };

        var byDay = await store.QueryAsync(visitors, TestCancellationToken);
        var total = await store.QueryAsync(pageviews, TestCancellationToken);

        AssertRows([Row(["2025-01-10"], 2), Row(["2025-01-11"], 3)], byDay);
        AssertRows([Row([], 6)], total);
    }

    /// <summary>
    /// Visitors over a range are distinct over the whole range, not a sum of daily distinct counts: a visitor seen on
    /// two days is one visitor of the range.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_VisitorOnTwoDays_CountedOnceOverTheRange()
    {
        var b = HitBuilder.Pageview("/").ByVisitor(42);
        var store = await CreateStoreWithAsync([b.At(Utc(2025, 2, 1, 10)).Build(), b.At(Utc(2025, 2, 2, 10)).Build()]);

        var total = await store.QueryAsync(Query(Utc(2025, 2, 1), Utc(2025, 2, 3)), TestCancellationToken);
        var byDay = await store.QueryAsync(Query(Utc(2025, 2, 1), Utc(2025, 2, 3), HitDimension.Day), TestCancellationToken);

        AssertRows([Row([], 1, 2)], total);
        AssertRows([Row(["2025-02-01"], 1, 1), Row(["2025-02-02"], 1, 1)], byDay);
    }

    /// <summary>Paths that differ only in case or in unicode normalisation are different pages, compared byte for byte.</summary>
    [Fact]
    public virtual async Task QueryAsync_PathsDifferingOnlyInCaseOrNormalisation_AreDifferentPages()
    {
        var b = new HitBuilder().At(Utc(2025, 3, 1, 12));
        var store = await CreateStoreWithAsync(
        [
            b.OnPage("/About").ByVisitor(1).Build(),
            b.OnPage("/about").ByVisitor(2).Build(),
            b.OnPage("/about").ByVisitor(3).Build(),
            b.OnPage("/ABOUT").ByVisitor(4).Build(),
            b.OnPage("/about/").ByVisitor(5).Build(),
            b.OnPage("/café").ByVisitor(6).Build(),
            b.OnPage("/cafe\u0301").ByVisitor(7).Build(),
        ]);

        var result = await store.QueryAsync(Query(Utc(2025, 3, 1), Utc(2025, 3, 2), HitDimension.Page), TestCancellationToken);

        AssertRows(
        [
            Row(["/about"], 2, 2),
            Row(["/ABOUT"], 1, 1),
            Row(["/About"], 1, 1),
            Row(["/about/"], 1, 1),
            Row(["/cafe\u0301"], 1, 1),
            Row(["/café"], 1, 1),
        ], result);
    }

    /// <summary>Event names are compared exactly: only <c>pageview</c> is a page view, not <c>Pageview</c> or <c>pageview </c>.</summary>
    [Fact]
    public virtual async Task QueryAsync_EventNamesResemblingPageview_AreNotPageviews()
    {
        var b = HitBuilder.Pageview("/").At(Utc(2025, 3, 1, 12));
        var store = await CreateStoreWithAsync(
        [
            b.ByVisitor(1).Build(),
            b.ByVisitor(2).WithEvent("Pageview").Build(),
            b.ByVisitor(3).WithEvent("pageview ").Build(),
            b.ByVisitor(4).WithEvent("PAGEVIEW").Build(),
        ]);

        var result = await store.QueryAsync(Query(Utc(2025, 3, 1), Utc(2025, 3, 2)), TestCancellationToken);

        AssertRows([Row([], 4, 1)], result);
    }

    /// <summary>Hits of other sites, including a site id that differs only in case, never count for the asked site.</summary>
    [Fact]
    public virtual async Task QueryAsync_OtherSites_NeverLeakIntoTheAnswer()
    {
        var at = Utc(2025, 1, 10, 12);
        var store = await CreateStoreWithAsync(
        [
            .. HitScenario.SmallSite(),
            HitBuilder.Pageview("/").ForSite("Example.com").ByVisitor(99).At(at).Build(),
            HitBuilder.Pageview("/leak").ForSite("example.com.evil").ByVisitor(98).At(at).Build(),
            HitBuilder.Pageview("/leak").ForSite("example.co").ByVisitor(97).At(at).Build(),
        ]);

        var total = await store.QueryAsync(Query(SmallSiteFrom, SmallSiteTo), TestCancellationToken);
        var byPage = await store.QueryAsync(Query(SmallSiteFrom, SmallSiteTo, HitDimension.Page), TestCancellationToken);
        var other = await store.QueryAsync(Query(SmallSiteFrom, SmallSiteTo) with { SiteId = HitScenario.OtherSiteId }, TestCancellationToken);
        var nobody = await store.QueryAsync(Query(SmallSiteFrom, SmallSiteTo, HitDimension.Page) with { SiteId = "nobody.example" }, TestCancellationToken);

        AssertRows([Row([], 5, 6)], total);
        Assert.DoesNotContain(byPage.Rows, r => r.Dimensions[0] == "/leak");
        AssertRows([Row([], 1, 1)], other);
        AssertRows([], nobody);
    }
}

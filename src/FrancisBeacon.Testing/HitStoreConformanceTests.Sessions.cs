// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Testing;

public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// Two visitors: A has a three-page session, a 40-minute pause, then a bounce; B has one page view and a custom
    /// event in one session. Visits, bounce rate, duration, views per visit, entry and exit pages follow.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_Sessions_GiveVisitsBounceDurationAndEntryExitPages()
    {
        var t0 = Utc(2026, 5, 4, 10, 0, 0);
        var store = await CreateStoreWithAsync(
        [
            new HitBuilder().ByVisitor(1).OnPage("/").At(t0).Build(),
            new HitBuilder().ByVisitor(1).OnPage("/pricing").At(t0.AddMinutes(5)).Build(),
            new HitBuilder().ByVisitor(1).OnPage("/signup").At(t0.AddMinutes(10)).Build(),
            new HitBuilder().ByVisitor(1).OnPage("/blog").At(t0.AddMinutes(50)).Build(),
            new HitBuilder().ByVisitor(2).OnPage("/blog").At(t0.AddMinutes(1)).Build(),
            new HitBuilder().ByVisitor(2).OnPage("/blog").WithEvent("Signup").At(t0.AddMinutes(2)).Build(),
        ]);

        var totals = await store.QueryAsync(
            Query(t0.AddHours(-1), t0.AddHours(2)) with
            {
                Metrics = [HitMetric.Visits, HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit],
            },
            CancellationToken.None);

        // 3 sessions; 1 bounce (A's /blog) of 3 = 33 %; durations 600 s, 0 s, 60 s → 220 s; 5 page views / 3 = 1.67.
        AssertRows([Row([], 3, 2, 5, 6, 33, 220, 1.67)], totals);

        var entries = await store.QueryAsync(
            Query(t0.AddHours(-1), t0.AddHours(2)) with { Metrics = [HitMetric.Visits, HitMetric.Pageviews], Dimensions = [HitDimension.EntryPage] },
            CancellationToken.None);
        AssertRows([Row(["/blog"], 2, 2), Row(["/"], 1, 3)], entries);

        var exits = await store.QueryAsync(
            Query(t0.AddHours(-1), t0.AddHours(2)) with { Metrics = [HitMetric.Visits], Dimensions = [HitDimension.ExitPage] },
            CancellationToken.None);
        AssertRows([Row(["/blog"], 2), Row(["/signup"], 1)], exits);
    }

    /// <summary>A session metric cannot be grouped by an event dimension: the query names the offending metric.</summary>
    [Fact]
    public virtual async Task QueryAsync_SessionMetricByPage_ThrowsNamingMetrics()
    {
        var store = await CreateStoreAsync();

        var ex = await Assert.ThrowsAsync<HitQueryException>(async () => await store.QueryAsync(
            Query(Utc(2026, 1, 1, 0, 0, 0), Utc(2026, 1, 2, 0, 0, 0)) with { Metrics = [HitMetric.BounceRate], Dimensions = [HitDimension.Page] },
            CancellationToken.None));

        Assert.Equal("metrics", ex.Field);
    }

    /// <summary>With a day dimension, a session counts on the day it starts; its later hits still count where they happen.</summary>
    [Fact]
    public virtual async Task QueryAsync_SessionAcrossMidnight_CountsOnItsStartDay()
    {
        var t0 = Utc(2026, 5, 4, 23, 50, 0);
        var store = await CreateStoreWithAsync(
        [
            new HitBuilder().ByVisitor(7).OnPage("/a").At(t0).Build(),
            new HitBuilder().ByVisitor(7).OnPage("/b").At(t0.AddMinutes(20)).Build(),
        ]);

        var days = await store.QueryAsync(
            Query(Utc(2026, 5, 4, 0, 0, 0), Utc(2026, 5, 6, 0, 0, 0)) with { Metrics = [HitMetric.Visits, HitMetric.Pageviews], Dimensions = [HitDimension.Day] },
            CancellationToken.None);

        AssertRows([Row(["2026-05-04"], 1, 1), Row(["2026-05-05"], 0, 1)], days);
    }
}

public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// The visitor id changes at the site's midnight; a hit just after midnight carries yesterday's id in
    /// <see cref="Hit.PreviousVisitorId"/>, so the session that crosses midnight stays one session (two visitor ids,
    /// one visit). A link to a session that ended too long ago joins nothing.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_SessionLinkedAcrossMidnight_IsOneVisit()
    {
        var midnight = Utc(2026, 5, 5, 0, 0, 0);
        var store = await CreateStoreWithAsync(
        [
            new HitBuilder().ByVisitor(100).OnPage("/evening").At(midnight.AddMinutes(-10)).Build(),
            new HitBuilder().ByVisitor(200).WithPreviousVisitor(100).OnPage("/night").At(midnight.AddMinutes(5)).Build(),
            new HitBuilder().ByVisitor(200).OnPage("/later").At(midnight.AddMinutes(20)).Build(),
            new HitBuilder().ByVisitor(300).OnPage("/old").At(midnight.AddHours(-3)).Build(),
            new HitBuilder().ByVisitor(400).WithPreviousVisitor(300).OnPage("/fresh").At(midnight.AddMinutes(1)).Build(),
        ]);

        var totals = await store.QueryAsync(
            Query(midnight.AddHours(-6), midnight.AddHours(6)) with { Metrics = [HitMetric.Visits, HitMetric.Visitors, HitMetric.VisitDuration, HitMetric.BounceRate] },
            CancellationToken.None);
        // Sessions: 100→200 joined (30 min), 300 alone, 400 alone → 3 visits; 4 visitor ids; (1800 + 0 + 0) / 3 = 600 s; 2 of 3 bounced.
        AssertRows([Row([], 3, 4, 600, 67)], totals);

        var exits = await store.QueryAsync(
            Query(midnight.AddHours(-6), midnight.AddHours(6)) with { Metrics = [HitMetric.Visits, HitMetric.Pageviews], Dimensions = [HitDimension.EntryPage, HitDimension.ExitPage] },
            CancellationToken.None);
        AssertRows([Row(["/evening", "/later"], 1, 3), Row(["/fresh", "/fresh"], 1, 1), Row(["/old", "/old"], 1, 1)], exits);
    }
}

public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// Visit dimensions take the session's first hit: a session that came from a search engine counts all its page
    /// views under that source, though only its first hit carried the referrer. Hits with no value group under
    /// <see cref="HitDimension.NotSet"/>.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_VisitSource_AttributesTheWholeSessionToItsFirstHit()
    {
        var t0 = Utc(2026, 6, 1, 9, 0, 0);
        var store = await CreateStoreWithAsync(
        [
            new HitBuilder().ByVisitor(1).OnPage("/").WithReferrer("https://www.google.com/", "Google").WithScreenWidth(1920).At(t0).Build(),
            new HitBuilder().ByVisitor(1).OnPage("/pricing").At(t0.AddMinutes(3)).Build(),
            new HitBuilder().ByVisitor(2).OnPage("/").WithScreenWidth(390).At(t0.AddMinutes(1)).Build(),
        ]);

        var sources = await store.QueryAsync(
            Query(t0.AddHours(-1), t0.AddHours(1)) with { Metrics = [HitMetric.Pageviews, HitMetric.Visits], Dimensions = [HitDimension.Source] },
            CancellationToken.None);
        AssertRows([Row(["Google"], 2, 1), Row([HitDimension.NotSet], 1, 1)], sources);

        var screens = await store.QueryAsync(
            Query(t0.AddHours(-1), t0.AddHours(1)) with { Metrics = [HitMetric.Visitors], Dimensions = [HitDimension.Screen] },
            CancellationToken.None);
        AssertRows([Row(["Desktop"], 1), Row(["Mobile"], 1)], screens);
    }

    /// <summary>Hours, ISO weeks (from Monday) and months are local to the query's time zone.</summary>
    [Fact]
    public virtual async Task QueryAsync_HourWeekMonth_BucketInTheQueryZone()
    {
        var berlin = Zone("Europe/Berlin");
        // Sunday 31 May 2026, 23:30 in Berlin (21:30 UTC), and Monday 1 June 00:30 in Berlin.
        var store = await CreateStoreWithAsync(
        [
            new HitBuilder().ByVisitor(1).At(Utc(2026, 5, 31, 21, 30, 0)).Build(),
            new HitBuilder().ByVisitor(2).At(Utc(2026, 5, 31, 22, 30, 0)).Build(),
        ]);
        var query = Query(Utc(2026, 5, 1, 0, 0, 0), Utc(2026, 7, 1, 0, 0, 0)) with { TimeZone = berlin, Metrics = [HitMetric.Pageviews] };

        AssertRows([Row(["2026-05-31 23:00:00"], 1), Row(["2026-06-01 00:00:00"], 1)], await store.QueryAsync(query with { Dimensions = [HitDimension.Hour] }, CancellationToken.None));
        AssertRows([Row(["2026-05-25"], 1), Row(["2026-06-01"], 1)], await store.QueryAsync(query with { Dimensions = [HitDimension.Week] }, CancellationToken.None));
        AssertRows([Row(["2026-05-01"], 1), Row(["2026-06-01"], 1)], await store.QueryAsync(query with { Dimensions = [HitDimension.Month] }, CancellationToken.None));
    }
}

public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>Filters on event dimensions: is, is_not, contains (case-sensitive), and/or/not, and (not set).</summary>
    [Fact]
    public virtual async Task QueryAsync_Filters_KeepOnlyMatchingHits()
    {
        var t0 = Utc(2026, 7, 1, 12, 0, 0);
        var store = await CreateStoreWithAsync(
        [
            new HitBuilder().ByVisitor(1).OnPage("/blog/a").At(t0).Build(),
            new HitBuilder().ByVisitor(2).OnPage("/blog/b").At(t0.AddMinutes(1)).Build(),
            new HitBuilder().ByVisitor(3).OnPage("/Blog/c").At(t0.AddMinutes(2)).Build(),
            new HitBuilder().ByVisitor(4).OnPage("/pricing").WithEvent("Signup").At(t0.AddMinutes(3)).Build(),
        ]);
        var query = Query(t0.AddHours(-1), t0.AddHours(1)) with { Metrics = [HitMetric.Events] };

        AssertRows([Row([], 2)], await store.QueryAsync(query with { Filter = HitFilter.Contains(HitDimension.Page, "/blog/") }, CancellationToken.None));
        AssertRows([Row([], 1)], await store.QueryAsync(query with { Filter = HitFilter.Is(HitDimension.EventName, "Signup") }, CancellationToken.None));
        AssertRows(
            [Row([], 3)],
            await store.QueryAsync(query with { Filter = HitFilter.Not(HitFilter.Is(HitDimension.EventName, "Signup")) }, CancellationToken.None));
        AssertRows(
            [Row([], 2)],
            await store.QueryAsync(query with { Filter = HitFilter.Or(HitFilter.Is(HitDimension.Page, "/Blog/c"), HitFilter.Contains(HitDimension.Page, "pric")) }, CancellationToken.None));
        AssertRows(
            [Row([], 0)],
            await store.QueryAsync(query with { Filter = HitFilter.And(HitFilter.Contains(HitDimension.Page, "blog"), HitFilter.Is(HitDimension.EventName, "Signup")) }, CancellationToken.None));
    }
}

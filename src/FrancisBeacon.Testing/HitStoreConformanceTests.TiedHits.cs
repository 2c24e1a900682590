// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Testing;

/// <content>
/// A visitor's hits that tie on (time, path, event name): a page view sent twice in one millisecond (the pixel and the
/// script, a retried beacon) with a different referrer or link. The session's first hit — its visit attributes and its
/// link across midnight — is the tied hit with the lowest id (<see cref="Guid.CompareTo(Guid)"/> order,
/// docs/query-api.md "Sessions"), whatever order the hits were appended in and whatever order the database returns
/// them in; so each case is appended in two orders and asked before and after a rollup refresh.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    private static readonly DateTimeOffset TiedDay = new(2025, 3, 10, 0, 0, 0, TimeSpan.Zero);

    private static readonly DateTimeOffset TiedAt = TiedDay.AddHours(9).AddMilliseconds(123);

    /// <summary>
    /// Twelve page views of <c>/</c> by one visitor in one millisecond, each from another source, with random ids (so
    /// the ids' order differs between the RFC 9562 byte order and a little-endian one): one visit, from the source of
    /// the hit with the lowest id.
    /// </summary>
    [Fact]
    public virtual async Task Sessions_HitsTiedOnTimePathAndEvent_TakeTheLowestIdAsTheFirstHit()
    {
        var random = new Random(1709);
        var tied = Enumerable.Range(0, 12).Select(i => HitBuilder.Pageview("/").ByVisitor(41).At(TiedAt)
            .WithReferrer($"https://s{i:00}.example/", $"s{i:00}").WithChannel("Referral").WithId(RealisticHitGenerator.NextGuid(random)).Build()).ToList();
        var first = tied.MinBy(h => h.Id)!;
        Assert.NotEqual(tied[0].Id, first.Id);
        Assert.NotEqual(tied[^1].Id, first.Id);
        var other = tied.First(h => h.Id != first.Id);

        // As one batch in two orders, and one hit per batch, the highest id first.
        foreach (var (hits, oneByOne) in new[] { (tied, false), (Enumerable.Reverse(tied).ToList(), false), (tied.OrderByDescending(h => h.Id).ToList(), true) })
        {
            var store = oneByOne ? await CreateStoreAsync() : await CreateStoreWithAsync(hits);
            foreach (var hit in oneByOne ? hits : [])
            {
                await store.AppendAsync([hit], TestCancellationToken);
            }

            var reference = await CreateReferenceAsync(hits);
            foreach (var refreshed in new[] { false, true })
            {
                if (refreshed)
                {
                    await RefreshRollupsAsync(store, UtcSites());
                }

                var context = $"first appended: {hits[0].ReferrerSource}, one by one: {oneByOne}, refreshed: {refreshed}";
                var bySource = Query(TiedDay, TiedDay.AddDays(1), HitDimension.Source) with { Metrics = [HitMetric.Visits, HitMetric.Pageviews, HitMetric.Visitors] };
                AssertRows([Row([first.ReferrerSource!], 1, 12, 1)], await reference.QueryAsync(bySource, TestCancellationToken), "reference, " + context);
                AssertRows([Row([first.ReferrerSource!], 1, 12, 1)], await store.QueryAsync(bySource, TestCancellationToken), context);

                var ofFirst = Query(TiedDay, TiedDay.AddDays(1)) with { Metrics = [HitMetric.Visits, HitMetric.Pageviews], Filter = HitFilter.Is(HitDimension.Source, first.ReferrerSource!) };
                AssertRows([Row([], 1, 12)], await store.QueryAsync(ofFirst, TestCancellationToken), context);
                var ofOther = ofFirst with { Filter = HitFilter.Is(HitDimension.Source, other.ReferrerSource!) };
                AssertRows([Row([], 0, 0)], await store.QueryAsync(ofOther, TestCancellationToken), context);

                foreach (var dimension in new[] { HitDimension.Channel, HitDimension.EntryPage, HitDimension.Day })
                {
                    await AssertSameAnswerAsync(reference, store, bySource with { Dimensions = [dimension], Filter = HitFilter.Is(HitDimension.Source, first.ReferrerSource!) }, context);
                }
            }
        }
    }

    /// <summary>
    /// A visit that continues across midnight under a new visitor id, whose first two hits tie: only one of them carries
    /// the link to the visit before midnight. When it is the one with the lower id the visit is one across both days;
    /// when the other is, the two days have a visit each.
    /// </summary>
    [Fact]
    public virtual async Task Sessions_TiedFirstHitsAcrossMidnight_LinkOfTheLowestIdDecides()
    {
        var midnight = new DateTimeOffset(2025, 3, 11, 0, 0, 0, TimeSpan.Zero);
        var low = Guid.Parse("00000002-0000-7000-8000-000000000000");
        var high = Guid.Parse("00000100-0000-7000-8000-000000000000"); // lower than `low` in little-endian byte order
        foreach (var linkOnLow in new[] { true, false })
        {
            List<Hit> tied =
            [
                HitBuilder.Pageview("/docs").ByVisitor(52).At(midnight.AddMinutes(5)).WithId(low).WithPreviousVisitor(linkOnLow ? 51 : null).Build(),
                HitBuilder.Pageview("/docs").ByVisitor(52).At(midnight.AddMinutes(5)).WithId(high).WithPreviousVisitor(linkOnLow ? null : 51).Build(),
            ];
            foreach (var order in new[] { tied, [tied[1], tied[0]] })
            {
                List<Hit> hits =
                [
                    HitBuilder.Pageview("/").ByVisitor(51).At(midnight.AddMinutes(-10)).Build(),
                    .. order,
                    HitBuilder.Pageview("/pricing").ByVisitor(52).At(midnight.AddMinutes(8)).Build(),
                ];
                var store = await CreateStoreWithAsync(hits);
                var reference = await CreateReferenceAsync(hits);
                foreach (var refreshed in new[] { false, true })
                {
                    if (refreshed)
                    {
                        await RefreshRollupsAsync(store, UtcSites());
                    }

                    var context = $"link on the lower id: {linkOnLow}, first appended: {order[0].Id}, refreshed: {refreshed}";
                    var visits = Query(midnight.AddDays(-1), midnight.AddDays(1)) with { Metrics = [HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate] };
                    var expected = linkOnLow ? Row([], 1, 4, 0) : Row([], 2, 4, 50);
                    AssertRows([expected], await reference.QueryAsync(visits, TestCancellationToken), "reference, " + context);
                    AssertRows([expected], await store.QueryAsync(visits, TestCancellationToken), context);
                    foreach (var dimension in new[] { HitDimension.Day, HitDimension.EntryPage, HitDimension.ExitPage })
                    {
                        await AssertSameAnswerAsync(reference, store, visits with { Dimensions = [dimension] }, context);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Tied hits that arrive after the day was rolled up: a tie among the new hits of a new visitor (the day holds more
    /// stored hits than new ones, so a store may apply them incrementally), and a new hit tied with a stored one that has
    /// a higher id. Both visits take the source of their lowest id after the next refresh.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_TiedHitsArrivingAfterARefresh_TakeTheLowestIdAsTheFirstHit()
    {
        var day = TiedDay;
        List<Hit> stored =
        [
            .. Enumerable.Range(0, 20).Select(i => HitBuilder.Pageview("/").ByVisitor(100 + i).At(day.AddHours(6).AddMinutes(i)).Build()),
            HitBuilder.Pageview("/").ByVisitor(61).At(TiedAt).WithReferrer("https://late.example/", "late").WithId(Guid.Parse("00000100-0000-7000-8000-000000000061")).Build(),
        ];
        List<Hit> newVisitor =
        [
            HitBuilder.Pageview("/blog").ByVisitor(62).At(TiedAt).WithReferrer("https://second.example/", "second").WithId(Guid.Parse("00000100-0000-7000-8000-000000000062")).Build(),
            HitBuilder.Pageview("/blog").ByVisitor(62).At(TiedAt).WithReferrer("https://first.example/", "first").WithId(Guid.Parse("00000002-0000-7000-8000-000000000062")).Build(),
        ];
        List<Hit> tiedWithStored =
        [
            HitBuilder.Pageview("/").ByVisitor(61).At(TiedAt).WithReferrer("https://early.example/", "early").WithId(Guid.Parse("00000002-0000-7000-8000-000000000061")).Build(),
        ];
        var store = await CreateStoreWithAsync(stored);
        await RefreshRollupsAsync(store, UtcSites());
        await store.AppendAsync(newVisitor, TestCancellationToken);
        await RefreshRollupsAsync(store, UtcSites());

        var bySource = Query(day, day.AddDays(1), HitDimension.Source) with { Metrics = [HitMetric.Visits, HitMetric.Pageviews] };
        AssertRows([Row(["(not set)"], 20, 20), Row(["first"], 1, 2), Row(["late"], 1, 1)], await store.QueryAsync(bySource, TestCancellationToken), "tied new hits");

        await store.AppendAsync(tiedWithStored, TestCancellationToken);
        await RefreshRollupsAsync(store, UtcSites());
        var reference = await CreateReferenceAsync([.. stored, .. newVisitor, .. tiedWithStored]);
        List<AggregateRow> expected = [Row(["(not set)"], 20, 20), Row(["early"], 1, 2), Row(["first"], 1, 2)];
        AssertRows(expected, await reference.QueryAsync(bySource, TestCancellationToken), "reference");
        AssertRows(expected, await store.QueryAsync(bySource, TestCancellationToken));
        await AssertSameAnswerAsync(reference, store, bySource with { Dimensions = [HitDimension.EntryPage], Filter = HitFilter.Is(HitDimension.Source, "first") });
    }

    /// <summary>
    /// Seven hits of a random differential run (seed 1, 5 000 hits, minimised), where PostgreSQL's sort took the other
    /// of visitor 0's two tied page views as the first hit than the reference did (Berlin, weeks, source not set).
    /// </summary>
    [Fact]
    public virtual async Task Sessions_TiedHitsOfADifferentialRun_MatchReference()
    {
        static DateTimeOffset T(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture);
        List<Hit> hits =
        [
            new Hit { Id = Guid.Parse("07700185-2a59-483e-0cec-c1611cec9935"), SiteId = SiteId, Timestamp = T("2027-03-25T15:23:52.429Z"), Path = "/" + new string('x', 300), VisitorId = long.MinValue, EventName = "Signup", Hostname = "example.com" },
            new Hit { Id = Guid.Parse("dd2949b6-54fd-ef3e-3828-893ad09a2967"), SiteId = SiteId, Timestamp = T("2027-03-26T23:00:00.000Z"), Path = "/", VisitorId = -500362631036847656L, Hostname = "example.com", PreviousVisitorId = long.MinValue, Referrer = "https://ref.example/1", ReferrerSource = "ref0", Channel = "Referral", ScreenWidth = 2972 },
            new Hit { Id = Guid.Parse("5a48752d-62a0-3ff5-6c8f-557b70c92ece"), SiteId = SiteId, Timestamp = T("2027-03-28T00:59:59.999Z"), Path = "/", VisitorId = 0L, Hostname = "example.com", Referrer = "https://ref.example/3", ReferrerSource = "ref2", ScreenWidth = 1765 },
            new Hit { Id = Guid.Parse("fb9a7e2f-de86-7cd8-a869-dcbf5b81f63f"), SiteId = SiteId, Timestamp = T("2027-03-28T00:59:59.999Z"), Path = "/", VisitorId = 0L, Hostname = "example.com" },
            new Hit { Id = Guid.Parse("be73ed9d-0e60-2b09-e17e-aa0fc3771569"), SiteId = SiteId, Timestamp = T("2027-03-28T21:20:19.313Z"), Path = "/Ω", VisitorId = 0L, EventName = "signup", Hostname = "example.com" },
            new Hit { Id = Guid.Parse("95942e5d-c5e5-7071-83e5-e882f36d34e5"), SiteId = SiteId, Timestamp = T("2027-03-29T21:30:28.203Z"), Path = "/About", VisitorId = -2779172848455142400L, Hostname = "example.com", Referrer = "https://ref.example/4", ReferrerSource = "ref2", ScreenWidth = 338 },
            new Hit { Id = Guid.Parse("1b4752af-e597-8c8b-4c76-1906c40e000e"), SiteId = SiteId, Timestamp = T("2027-03-30T14:37:49.832Z"), Path = "/blog/", VisitorId = -1L, Hostname = "example.com" },
        ];
        var zone = Zone("Europe/Berlin");
        var query = new HitQuery
        {
            SiteId = SiteId,
            From = T("2027-03-22T00:00:00+01:00"),
            To = T("2027-04-05T00:00:00+02:00"),
            TimeZone = zone,
            Metrics = [HitMetric.Visitors, HitMetric.Pageviews],
            Dimensions = [HitDimension.Week],
            Filter = HitFilter.Is(HitDimension.Source, HitDimension.NotSet),
        };
        foreach (var order in new[] { hits, Enumerable.Reverse(hits).ToList() })
        {
            var store = await CreateStoreWithAsync(order);
            var reference = await CreateReferenceAsync(order);
            // The visit of 2027-03-28 starts at the page view with the lower id (from "ref2"): not in "(not set)".
            AssertRows([Row(["2027-03-22"], 2, 0), Row(["2027-03-29"], 1, 1)], await reference.QueryAsync(query, TestCancellationToken), "reference");
            foreach (var refreshed in new[] { false, true })
            {
                if (refreshed)
                {
                    await RefreshRollupsAsync(store, new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal) { [SiteId] = zone });
                }

                await AssertSameAnswerAsync(reference, store, query, $"refreshed: {refreshed}");
                await AssertSameAnswerAsync(reference, store, query with { Dimensions = [HitDimension.Source], Filter = null, Metrics = [HitMetric.Visits, HitMetric.Pageviews] }, $"refreshed: {refreshed}");
            }
        }
    }
}

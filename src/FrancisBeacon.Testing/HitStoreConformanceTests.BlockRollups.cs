// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Rollups over blocks of days (a store may keep sums per week or per run of months, as the SQL stores do): random
/// ranges over about eight months, fixed ranges of whole weeks and whole runs of 2, 4 and 8 months, visits joined
/// across midnight at a week's first day (a Monday), inside a week, and at the first days of months inside a run of
/// months, late hits inside a week and a month (dirty days inside blocks), and a purge inside a run of months; every
/// answer must be the reference's. A store without rollups runs the same checks on its raw answers.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    // 2025-04-16 .. 2025-12-31: the runs of months May-June .. November-December, May-August, September-December, May-December.
    private static readonly DateOnly BlocksLastDay = new(2025, 12, 31);

    /// <summary>After a refresh, with late hits inside a week, and after a purge inside a run of months, ranges over whole weeks and runs of months match the reference.</summary>
    [Fact]
    public virtual async Task Rollups_RangesOverWeeksAndRunsOfMonths_MatchReference()
    {
        var store = await CreateStoreAsync();
        var generator = new RealisticHitGenerator(80) { SiteId = SiteId, TimeZone = RollupZone, Seed = 23 };
        var hits = generator.Generate(3_000, 260, BlocksLastDay).ToList();
        long id = 9_000_000;

        // Visits joined across midnight: at inner month starts of runs of months (Jun 1, Jul 1, Sep 1, Oct 1, Dec 1), at
        // a week's first day (Monday Oct 13) and inside a week (Wednesday Oct 15, Friday Aug 8).
        DateOnly[] linked =
        [
            new(2025, 6, 1), new(2025, 7, 1), new(2025, 9, 1), new(2025, 10, 1), new(2025, 12, 1),
            new(2025, 10, 13), new(2025, 10, 15), new(2025, 8, 8),
        ];
        foreach (var day in linked)
        {
            var midnight = TimeZoneSegments.StartOfDay(day, RollupZone);
            long t = id++, s = id++;
            hits.Add(Page(midnight.AddMinutes(-14), t, "/before-midnight"));
            hits.Add(Page(midnight.AddMinutes(-6), t, "/pricing"));
            hits.Add(Page(midnight.AddMinutes(3), s, "/after-midnight") with { PreviousVisitorId = t });
            hits.Add(Page(midnight.AddMinutes(8), s, "/blog/joined") with { PreviousVisitorId = t });
            hits.Add(Page(midnight.AddHours(2), s, "/pricing")); // the new-day visitor comes back later that day
        }

        // A visit over two midnights inside a week (Tuesday Nov 18 23:40 .. Thursday Nov 20 00:20): that week and the
        // runs of months holding November cannot pre-correct their visit rows.
        var start = TimeZoneSegments.StartOfDay(new DateOnly(2025, 11, 18), RollupZone).AddHours(23).AddMinutes(40);
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
        var random = new Random(5);
        await AssertBlockQueriesAsync(store, reference, random, "after refresh");

        // Late hits on a Thursday inside a week and inside the runs of months holding October.
        var late = TimeZoneSegments.StartOfDay(new DateOnly(2025, 10, 16), RollupZone).AddHours(9);
        List<Hit> more = [Page(late, id, "/late"), Page(late.AddMinutes(2), id, "/blog/late"), Page(late.AddMinutes(45), id, "/")];
        await store.AppendAsync(more, TestCancellationToken);
        await reference.AppendAsync(more, TestCancellationToken);
        await AssertBlockQueriesAsync(store, reference, random, "late hits before refresh");
        await RefreshRollupsAsync(store);
        await AssertBlockQueriesAsync(store, reference, random, "late hits after refresh");

        // A purge from a Wednesday in July to the start of a Monday in August (inside May-August and May-December).
        var range = new HitRange
        {
            SiteId = SiteId,
            From = TimeZoneSegments.StartOfDay(new DateOnly(2025, 7, 23), RollupZone).AddHours(10),
            To = TimeZoneSegments.StartOfDay(new DateOnly(2025, 8, 4), RollupZone).AddHours(1),
        };
        Assert.Equal(await reference.PurgeAsync(range, TestCancellationToken), await store.PurgeAsync(range, TestCancellationToken));
        await AssertBlockQueriesAsync(store, reference, random, "after purge");
        await RefreshRollupsAsync(store);
        await AssertBlockQueriesAsync(store, reference, random, "after purge and refresh");
    }

    private static async ValueTask AssertBlockQueriesAsync(IHitStore store, InMemoryHitStore reference, Random random, string context)
    {
        List<(DateOnly From, DateOnly To)> ranges =
        [
            (new DateOnly(2025, 5, 1), new DateOnly(2026, 1, 1)), // May-December
            (new DateOnly(2025, 9, 1), new DateOnly(2025, 11, 1)), // September-October
            (new DateOnly(2025, 4, 20), new DateOnly(2025, 12, 29)), // edge days, months and runs of months, weeks
            (new DateOnly(2025, 10, 13), new DateOnly(2025, 10, 27)), // two whole weeks, the Oct 13 link on the edge
            (new DateOnly(2025, 10, 12), new DateOnly(2025, 11, 11)), // 30 days: edge days and weeks
        ];
        for (var i = 0; i < 4; i++)
        {
            var from = BlocksLastDay.AddDays(-random.Next(0, 259));
            ranges.Add((from, from.AddDays(random.Next(7, 200))));
        }

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
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Page], Limit = 10 },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Page], Filter = HitFilter.Contains(HitDimension.Page, "/blog/") },
                baseQuery with { Metrics = eventMetrics, Filter = HitFilter.Is(HitDimension.Page, "/pricing") },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Day], Filter = HitFilter.Is(HitDimension.Page, "/pricing") },
            ];
            foreach (var dimension in new[] { HitDimension.EntryPage, HitDimension.ExitPage, HitDimension.Source })
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

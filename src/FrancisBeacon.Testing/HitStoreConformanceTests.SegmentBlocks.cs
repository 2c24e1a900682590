// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Segment filters over long ranges (a store may keep its per-segment sums per month, week or run of months, as the SQL
/// stores do): whole months, runs of months, whole weeks, partial months at both ends, the range's last days and
/// lists cut to a few rows, with visits of the segment crossing midnight at month and week starts, late hits on a day
/// inside a month (a changed day inside blocks, before and after a refresh) and a purge inside a run of months; every
/// answer must be the reference's.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    // 2025-03-05 .. 2025-10-15: runs of months March-April, May-June, July-August, May-August and the months around them.
    private static readonly DateOnly SegmentBlocksLastDay = new(2025, 10, 15);

    /// <summary>
    /// Segment-filtered totals and lists over whole and partial months, runs of months and weeks match the reference
    /// after a refresh, with a changed day inside a month before and after the next refresh, and after a purge.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_SegmentFiltersOverMonthsAndWeeks_MatchReference()
    {
        var store = await CreateStoreAsync();
        var generator = new RealisticHitGenerator(60) { SiteId = SiteId, TimeZone = RollupZone, Seed = 31 };
        var hits = generator.Generate(2_500, 225, SegmentBlocksLastDay).ToList();
        long id = 9_500_000;

        // Visits of the segments crossing midnight (touched visitors) at month starts inside runs of months (May 1,
        // Jul 1, Aug 1), at a week's first day (Monday Jun 16), inside a week (Thursday Jun 5) and at a range edge (Sep 1).
        DateOnly[] linked = [new(2025, 5, 1), new(2025, 7, 1), new(2025, 8, 1), new(2025, 6, 16), new(2025, 6, 5), new(2025, 9, 1)];
        foreach (var day in linked)
        {
            var midnight = TimeZoneSegments.StartOfDay(day, RollupZone);
            long t = id++, s = id++;
            hits.Add(Page(midnight.AddMinutes(-14), t, "/") with { ReferrerSource = "Google", Channel = "Organic Search", Country = "FR" });
            hits.Add(Page(midnight.AddMinutes(-6), t, "/pricing") with { ReferrerSource = "Google", Channel = "Organic Search", Country = "FR" });
            hits.Add(Page(midnight.AddMinutes(3), s, "/after-midnight") with { PreviousVisitorId = t, ReferrerSource = "Bing" });
            hits.Add(Page(midnight.AddMinutes(9), s, "/pricing") with { PreviousVisitorId = t, ReferrerSource = "Bing" });
            hits.Add(Page(midnight.AddHours(4), s, "/features") with { ReferrerSource = "Google", Channel = "Organic Search" });
        }

        await store.AppendAsync(hits, TestCancellationToken);
        var reference = await CreateReferenceAsync(hits);
        Assert.True(store is not IHitStoreRollups || await RefreshRollupsAsync(store) > 0);
        await AssertSegmentBlockQueriesAsync(store, reference, "after refresh");

        // Late hits on Wednesday Jun 11 (inside June, the week of Jun 9, May-June and May-August): the day waits for a
        // rebuild, so the blocks holding it must not answer until the next refresh.
        var late = TimeZoneSegments.StartOfDay(new DateOnly(2025, 6, 11), RollupZone).AddHours(10);
        List<Hit> more =
        [
            Page(late, id, "/late") with { ReferrerSource = "Google", Channel = "Organic Search" },
            Page(late.AddMinutes(3), id, "/pricing") with { ReferrerSource = "Google", Channel = "Organic Search" },
            Page(late.AddMinutes(40), id + 1, "/") with { ReferrerSource = "DuckDuckGo", Country = "FR" },
        ];
        await store.AppendAsync(more, TestCancellationToken);
        await reference.AppendAsync(more, TestCancellationToken);
        await AssertSegmentBlockQueriesAsync(store, reference, "late hits before refresh");
        await RefreshRollupsAsync(store);
        await AssertSegmentBlockQueriesAsync(store, reference, "late hits after refresh");

        // A purge from Wednesday Jul 9 10:00 to Monday Jul 21 01:00 (inside July, July-August and May-August).
        var range = new HitRange
        {
            SiteId = SiteId,
            From = TimeZoneSegments.StartOfDay(new DateOnly(2025, 7, 9), RollupZone).AddHours(10),
            To = TimeZoneSegments.StartOfDay(new DateOnly(2025, 7, 21), RollupZone).AddHours(1),
        };
        Assert.Equal(await reference.PurgeAsync(range, TestCancellationToken), await store.PurgeAsync(range, TestCancellationToken));
        await RefreshRollupsAsync(store);
        await AssertSegmentBlockQueriesAsync(store, reference, "after purge and refresh");
    }

    private static async ValueTask AssertSegmentBlockQueriesAsync(IHitStore store, InMemoryHitStore reference, string context)
    {
        (DateOnly From, DateOnly To)[] ranges =
        [
            (new DateOnly(2025, 3, 1), new DateOnly(2025, 9, 1)), // March-August, the first days without hits
            (new DateOnly(2025, 4, 17), new DateOnly(2025, 9, 23)), // partial months at both ends, weeks, months, runs
            (new DateOnly(2025, 6, 4), new DateOnly(2025, 7, 4)), // 30 days: edge days and weeks
            (new DateOnly(2025, 8, 27), new DateOnly(2025, 10, 16)), // to the last day: its month and week incomplete
        ];
        HitMetric[] eventMetrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events];
        HitMetric[] allMetrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit, HitMetric.Events];
        HitFilter[] filters =
        [
            HitFilter.Is(HitDimension.Source, "Google"), HitFilter.Is(HitDimension.Country, "FR"), HitFilter.Is(HitDimension.Device, "Mobile"),
        ];
        foreach (var (fromDay, toDay) in ranges)
        {
            var baseQuery = new HitQuery
            {
                SiteId = SiteId,
                From = TimeZoneSegments.StartOfDay(fromDay, RollupZone),
                To = TimeZoneSegments.StartOfDay(toDay, RollupZone),
                TimeZone = RollupZone,
            };
            foreach (var filter in filters)
            {
                List<HitQuery> queries =
                [
                    baseQuery with { Metrics = allMetrics, Filter = filter },
                    // Lists cut to the top (the dashboard's panels) and in full, ordered by each additive metric.
                    baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Page], Filter = filter, Limit = 5 },
                    baseQuery with { Metrics = [HitMetric.Pageviews, HitMetric.Visitors], Dimensions = [HitDimension.Page], Filter = filter, Limit = 3, Offset = 2 },
                    baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Page], Filter = filter },
                    baseQuery with { Metrics = allMetrics, Dimensions = [HitDimension.EntryPage], Filter = filter, Limit = 4 },
                    baseQuery with { Metrics = [HitMetric.Visits, HitMetric.Visitors], Dimensions = [HitDimension.ExitPage], Filter = filter, Limit = 4 },
                    baseQuery with { Metrics = allMetrics, Dimensions = [HitDimension.Country], Filter = filter, Limit = 2 },
                ];
                foreach (var query in queries)
                {
                    await AssertSameAnswerAsync(reference, store, query, $"{context}, {fromDay:yyyy-MM-dd}..{toDay:yyyy-MM-dd}");
                }
            }
        }
    }
}

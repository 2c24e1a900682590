// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Lists with a limit and an offset over many values with equal counts (a store may read only the groups that can
/// reach the top, as the SQL stores do): pages, entry and exit pages ordered by visitors, pageviews, events, visits and
/// a non-additive metric, over ranges that read runs of months, months, weeks and days, with visits joined across
/// midnight (corrections to some values) and late hits waiting for a refresh; ties around the limit and the offset
/// must be broken by the value in UTF-8 byte order, exactly as the reference does.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    private static readonly DateOnly TopListsLastDay = new(2025, 12, 31);

    /// <summary>Top-k lists with ties at the limit and offset boundaries match the reference, before and after refreshes.</summary>
    [Fact]
    public virtual async Task Rollups_TopListsWithTiesAtTheLimit_MatchReference()
    {
        var store = await CreateStoreAsync();
        var generator = new RealisticHitGenerator(60) { SiteId = SiteId, TimeZone = RollupZone, Seed = 31 };
        var hits = generator.Generate(1_500, 260, TopListsLastDay).ToList();

        // 62 pages with 1 to 3 visits each, spread over May to December: most counts in a range tie. Two of them differ
        // between UTF-16 and UTF-8 order (U+FF61 sorts after a surrogate pair in UTF-16, before it in UTF-8).
        var pages = Enumerable.Range(0, 60).Select(i => string.Create(CultureInfo.InvariantCulture, $"/tie/{i:00}")).Append("/tie/\uFF61").Append("/tie/\U0001F600").ToArray();
        long id = 8_000_000;
        for (var i = 0; i < pages.Length; i++)
        {
            for (var v = 0; v <= i % 3; v++)
            {
                var day = new DateOnly(2025, 5, 1).AddDays(((i * 7) + (v * 37)) % 240);
                var at = TimeZoneSegments.StartOfDay(day, RollupZone).AddHours(9 + v);
                var visitor = id++;
                hits.Add(Page(at, visitor, pages[i]));
                if ((i + v) % 2 == 0)
                {
                    hits.Add(Page(at.AddMinutes(4), visitor, pages[(i + 1) % pages.Length])); // another exit page
                }
            }
        }

        // Visits joined across midnight (corrections to the entry and exit pages of both days): at a month start, at a
        // week's first day (Monday Oct 13), inside a week (Wednesday Oct 15) and on an edge day of the 30-day range.
        foreach (var day in new DateOnly[] { new(2025, 9, 1), new(2025, 10, 13), new(2025, 10, 15), new(2025, 10, 12), new(2025, 6, 4) })
        {
            var midnight = TimeZoneSegments.StartOfDay(day, RollupZone);
            long t = id++, s = id++;
            hits.Add(Page(midnight.AddMinutes(-10), t, pages[3]));
            hits.Add(Page(midnight.AddMinutes(-5), t, pages[4]));
            hits.Add(Page(midnight.AddMinutes(2), s, pages[5]) with { PreviousVisitorId = t });
            hits.Add(Page(midnight.AddMinutes(6), s, pages[61]) with { PreviousVisitorId = t });
        }

        await store.AppendAsync(hits, TestCancellationToken);
        var reference = await CreateReferenceAsync(hits);
        await RefreshRollupsAsync(store);
        await AssertTopListsAsync(store, reference, "after refresh");

        // Late hits on a Thursday inside a week and a month: that day is computed from raw hits until the next refresh.
        var late = TimeZoneSegments.StartOfDay(new DateOnly(2025, 10, 16), RollupZone).AddHours(11);
        List<Hit> more = [Page(late, id, pages[7]), Page(late.AddMinutes(3), id, pages[60]), Page(late.AddMinutes(40), id + 1, pages[8])];
        await store.AppendAsync(more, TestCancellationToken);
        await reference.AppendAsync(more, TestCancellationToken);
        await AssertTopListsAsync(store, reference, "late hits before refresh");
        await RefreshRollupsAsync(store);
        await AssertTopListsAsync(store, reference, "late hits after refresh");
    }

    private static async ValueTask AssertTopListsAsync(IHitStore store, InMemoryHitStore reference, string context)
    {
        (DateOnly From, DateOnly To)[] ranges =
        [
            (new DateOnly(2025, 5, 1), new DateOnly(2026, 1, 1)), // a run of eight months
            (new DateOnly(2025, 4, 20), new DateOnly(2025, 12, 29)), // edge days, months, runs of months, weeks
            (new DateOnly(2025, 9, 1), new DateOnly(2025, 11, 1)), // September and October
            (new DateOnly(2025, 10, 13), new DateOnly(2025, 10, 27)), // two whole weeks
            (new DateOnly(2025, 10, 12), new DateOnly(2025, 11, 11)), // 30 days: edge days and weeks
            (new DateOnly(2025, 6, 3), new DateOnly(2025, 6, 7)), // days only
        ];
        (int Limit, int Offset)[] pagesOf = [(1, 0), (5, 0), (9, 0), (10, 3), (20, 7), (4, 40), (3, 61), (7, 15), (2, 1)];
        List<(HitDimension Dimension, HitMetric[] Metrics)> lists =
        [
            (HitDimension.Page, [HitMetric.Visitors, HitMetric.Pageviews]),
            (HitDimension.Page, [HitMetric.Pageviews, HitMetric.Visitors]),
            (HitDimension.Page, [HitMetric.Events, HitMetric.Visitors]),
            (HitDimension.EntryPage, [HitMetric.Visitors, HitMetric.Visits, HitMetric.BounceRate, HitMetric.VisitDuration]),
            (HitDimension.EntryPage, [HitMetric.Visits, HitMetric.Visitors, HitMetric.Pageviews]),
            (HitDimension.ExitPage, [HitMetric.Visitors, HitMetric.Visits, HitMetric.BounceRate, HitMetric.VisitDuration]),
            (HitDimension.ExitPage, [HitMetric.Pageviews, HitMetric.Visits, HitMetric.Events]),
            (HitDimension.ExitPage, [HitMetric.BounceRate, HitMetric.Visitors]), // not additive: every group is read
        ];
        var n = 0;
        foreach (var (fromDay, toDay) in ranges)
        {
            var baseQuery = new HitQuery
            {
                SiteId = SiteId,
                From = TimeZoneSegments.StartOfDay(fromDay, RollupZone),
                To = TimeZoneSegments.StartOfDay(toDay, RollupZone),
                TimeZone = RollupZone,
            };
            foreach (var (dimension, metrics) in lists)
            {
                for (var k = 0; k < 3; k++)
                {
                    var (limit, offset) = pagesOf[n++ % pagesOf.Length];
                    var query = baseQuery with { Metrics = metrics, Dimensions = [dimension], Limit = limit, Offset = offset };
                    await AssertSameAnswerAsync(reference, store, query, $"{context}, {fromDay:yyyy-MM-dd}..{toDay:yyyy-MM-dd}");
                }
            }
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Segment filters (one visit filter <c>is</c> one value on source, channel, country, device, browser, OS or a UTM
/// dimension), which stores with segment rollups answer from per-segment day rows plus the sessions near midnight: with
/// visits crossing midnight (several, with other visits of both visitors the same day), visitors with several visits of
/// different sources in a day, ranges starting on a day with continuations, one-day ranges and ranges ending on days
/// with hits not rolled up yet, every answer must be the reference's.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    private static readonly HitDimension[] SegmentFilterDimensions =
    [
        HitDimension.Source, HitDimension.Channel, HitDimension.Country, HitDimension.Device, HitDimension.Browser, HitDimension.OperatingSystem,
        HitDimension.UtmSource, HitDimension.UtmMedium, HitDimension.UtmCampaign,
    ];

    private static readonly HitDimension?[] SegmentGroupDimensions =
    [
        null, HitDimension.Day, HitDimension.Week, HitDimension.Month, HitDimension.Page, HitDimension.EventName, HitDimension.Hostname,
        HitDimension.EntryPage, HitDimension.ExitPage, HitDimension.Source, HitDimension.Country, HitDimension.City, HitDimension.UtmCampaign,
    ];

    /// <summary>Segment-filtered queries (every segment dimension, every kind of dimension) after a refresh match the reference.</summary>
    [Fact]
    public virtual async Task Rollups_SegmentFilters_MatchReference()
    {
        var (store, reference) = await LoadSegmentDataAsync();
        await RefreshRollupsAsync(store);
        (DateOnly From, DateOnly To)[] ranges =
        [
            // Whole data; starting on a day whose visits continue ones of the day before; one day; a middle stretch.
            (RollupLastDay.AddDays(-11), RollupLastDay.AddDays(1)), (RollupLastDay.AddDays(-4), RollupLastDay.AddDays(1)),
            (RollupLastDay.AddDays(-4), RollupLastDay.AddDays(-3)), (RollupLastDay.AddDays(-8), RollupLastDay.AddDays(-2)),
            // Longer than the stores list day by day (years: a plain day range).
            (RollupLastDay.AddDays(-1000), RollupLastDay.AddDays(1)),
        ];
        await AssertSegmentQueriesAsync(store, reference, ranges, "segments after refresh");
    }

    /// <summary>
    /// After a refresh, hits arrive for the last day and the day after (continuing visits of the last clean day across
    /// midnight); without a refresh, segment queries over ranges ending on those days match the reference.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_SegmentFiltersWithChangedLastDays_MatchReferenceWithoutRefresh()
    {
        var (store, reference) = await LoadSegmentDataAsync();
        await RefreshRollupsAsync(store);
        var lastMidnight = TimeZoneSegments.StartOfDay(RollupLastDay, RollupZone);
        var nextMidnight = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(1), RollupZone);
        List<Hit> after =
        [
            // Continues a stored visit of day -1 (Bing) after midnight, and comes back later with another source.
            Page(lastMidnight.AddMinutes(6), 7_300_001, "/night") with { PreviousVisitorId = 7_200_040 },
            Page(lastMidnight.AddHours(6), 7_300_001, "/pricing") with { ReferrerSource = "Bing", Channel = "Organic Search", Country = "FR" },
            Page(lastMidnight.AddHours(9), 7_300_010, "/") with { Country = "FR", DeviceType = "Mobile" },
            Page(nextMidnight.AddMinutes(-5), 7_300_020, "/pricing") with { ReferrerSource = "Bing", Channel = "Organic Search" },
            Page(nextMidnight.AddMinutes(2), 7_300_021, "/tomorrow") with { PreviousVisitorId = 7_300_020 },
            Page(nextMidnight.AddHours(4), 7_300_030, "/pricing"),
        ];
        await store.AppendAsync(after, TestCancellationToken);
        await reference.AppendAsync(after, TestCancellationToken);
        (DateOnly From, DateOnly To)[] ranges =
        [
            (RollupLastDay.AddDays(-11), RollupLastDay.AddDays(2)), (RollupLastDay.AddDays(-1), RollupLastDay.AddDays(2)),
            (RollupLastDay, RollupLastDay.AddDays(2)), (RollupLastDay.AddDays(-3), RollupLastDay.AddDays(1)),
        ];
        await AssertSegmentQueriesAsync(store, reference, ranges, "segments with changed last days");
    }

    // The rollup data set with more visits across midnight: visitors with several visits of different sources the same
    // day on both sides, chains (a visit continuing one that continued another), and bounces joined.
    private protected async ValueTask<(IHitStore Store, InMemoryHitStore Reference)> LoadSegmentDataAsync()
    {
        var (store, reference) = await LoadRollupDataAsync();
        List<Hit> hits = [];
        for (var i = 0; i < 5; i++)
        {
            var midnight = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-4 + i), RollupZone);
            long t = 7_200_000 + (i * 10);
            long s = t + 1;
            var source = i % 2 == 0 ? "Google" : "Bing";
            // T's visitor: a morning visit from another source, then one spanning 23:40 to after midnight.
            hits.Add(Page(midnight.AddHours(-15), t, "/morning") with { ReferrerSource = "Twitter", Channel = "Organic Social", DeviceType = "Mobile" });
            hits.Add(Page(midnight.AddMinutes(-20), t, "/late") with { ReferrerSource = source, Country = i == 3 ? "FR" : "DE" });
            hits.Add(Page(midnight.AddMinutes(-6), t, "/pricing") with { ReferrerSource = source, Country = i == 3 ? "FR" : "DE" });
            // S's visitor: continues after midnight, later a visit of its own from another source (or the same one).
            hits.Add(Page(midnight.AddMinutes(5), s, "/after-midnight") with { PreviousVisitorId = t, ReferrerSource = "DuckDuckGo", UtmCampaign = "spring" });
            if (i != 2)
            {
                hits.Add(Page(midnight.AddMinutes(15), s, "/signup") with { PreviousVisitorId = t });
            }

            hits.Add(Page(midnight.AddHours(3), s, "/") with { ReferrerSource = i == 1 ? source : "Twitter", UtmSource = "news", UtmMedium = "email", UtmCampaign = "spring" });
            // A visit ending just before midnight that nobody continues, and its visitor's earlier visit.
            hits.Add(Page(midnight.AddHours(-8), t + 2, "/") with { ReferrerSource = source, Country = "US", UtmSource = "news" });
            hits.Add(Page(midnight.AddMinutes(-2), t + 2, "/bye") with { ReferrerSource = "Google", Browser = "Firefox" });
        }

        await store.AppendAsync(hits, TestCancellationToken);
        await reference.AppendAsync(hits, TestCancellationToken);
        return (store, reference);
    }

    private static async ValueTask AssertSegmentQueriesAsync(IHitStore store, InMemoryHitStore reference, (DateOnly From, DateOnly To)[] ranges, string context)
    {
        var hits = await ReadAllAsync(reference, HitRange.All);
        HitMetric[] eventMetrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events];
        HitMetric[] allMetrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit, HitMetric.Events];
        var random = new Random(11);
        foreach (var (fromDay, toDay) in ranges)
        {
            var baseQuery = new HitQuery
            {
                SiteId = SiteId,
                From = TimeZoneSegments.StartOfDay(fromDay, RollupZone),
                To = TimeZoneSegments.StartOfDay(toDay, RollupZone),
                TimeZone = RollupZone,
            };
            foreach (var filterDimension in SegmentFilterDimensions)
            {
                // The most common value (the big segment), a random one, and one nobody has.
                var common = hits.GroupBy(filterDimension.ValueOf).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key;
                string[] values = [common, filterDimension.ValueOf(hits[random.Next(hits.Count)]), "no such value"];
                foreach (var dimension in SegmentGroupDimensions)
                {
                    var value = values[random.Next(values.Length)];
                    var filter = random.Next(4) == 0 ? new HitFilterAnd([HitFilter.Is(filterDimension, value)]) : HitFilter.Is(filterDimension, value);
                    var metrics = dimension is { IsVisit: false, IsTime: false } ? eventMetrics : allMetrics;
                    var query = baseQuery with
                    {
                        Metrics = metrics,
                        Dimensions = dimension is null ? [] : [dimension],
                        Filter = filter,
                        Limit = random.Next(4) == 0 ? 3 : null,
                    };
                    await AssertSameAnswerAsync(reference, store, query, $"{context}, {fromDay:yyyy-MM-dd}..{toDay:yyyy-MM-dd}");
                }

                // Totals of the common segment every time (the top stats after a click on a row).
                await AssertSameAnswerAsync(reference, store, baseQuery with { Metrics = allMetrics, Filter = HitFilter.Is(filterDimension, common) }, $"{context}, {fromDay:yyyy-MM-dd}..{toDay:yyyy-MM-dd}");
            }
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Testing;

/// <content>
/// The live day: a store may keep the site's latest day without segment and page-segment rows and answer segment- and
/// page-filtered queries for it from its session rows, deriving those rows once a later day has hits (docs/storage.md,
/// "Live days"). Every answer must match the reference while the day is live, after it is extended, once it stops being
/// live, and after a late hit for it.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// Segment- and page-filtered queries over ranges ending on the last day while it is the latest day with hits, after
    /// a batch extends it, after the next day's first hits (one continuing a visit of the last day across midnight), and
    /// after a late hit for the last day: each after a refresh, each matching the reference.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_SegmentAndPageFiltersWhileLastDayIsLiveAndAfter_MatchReference()
    {
        var (store, reference) = await LoadPageSegmentDataAsync();
        await RefreshRollupsAsync(store);
        var lastDay = TimeZoneSegments.StartOfDay(RollupLastDay, RollupZone);
        var nextDay = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(1), RollupZone);
        List<List<Hit>> batches =
        [
            // Nothing new: the last day as the first build left it.
            [],

            // The live day extended: new visitors on the busy page (one from a segment value seen before, one new value),
            // an existing busy-page visitor coming back.
            [
                Page(lastDay.AddHours(21), 9_910_001, BusyPage) with { ReferrerSource = "Bing", Country = "FR" },
                Page(lastDay.AddHours(21).AddMinutes(2), 9_910_002, BusyPage) with { ReferrerSource = "Ecosia", Channel = "Organic Search" },
                Page(lastDay.AddHours(21).AddMinutes(5), 9_910_002, "/pricing") with { ReferrerSource = "Ecosia", Channel = "Organic Search" },
                Page(lastDay.AddHours(22), PageVisitor(0, 4), BusyPage),
            ],

            // The next day starts: a visit continuing one of the last day across midnight, and a new visitor.
            [
                Page(nextDay.AddMinutes(-6), 9_910_003, BusyPage) with { ReferrerSource = "Google" },
                Page(nextDay.AddMinutes(3), 9_910_004, BusyPage) with { PreviousVisitorId = 9_910_003 },
                Page(nextDay.AddHours(2), 9_910_005, BusyPage) with { ReferrerSource = "Bing", Country = "DE" },
            ],

            // A late hit for the last day (no longer the latest day), and more of the next day.
            [
                Page(lastDay.AddHours(23), 9_910_006, BusyPage) with { ReferrerSource = "Bing", Country = "FR" },
                Page(nextDay.AddHours(3), 9_910_007, "/") with { ReferrerSource = "Google", Country = "US" },
            ],
        ];

        (DateOnly From, DateOnly To)[] ranges =
        [
            (RollupLastDay.AddDays(-11), RollupLastDay.AddDays(2)), (RollupLastDay, RollupLastDay.AddDays(1)),
            (RollupLastDay.AddDays(-6), RollupLastDay.AddDays(1)), (RollupLastDay.AddDays(-1), RollupLastDay.AddDays(2)),
        ];
        for (var i = 0; i < batches.Count; i++)
        {
            await store.AppendAsync(batches[i], TestCancellationToken);
            await reference.AppendAsync(batches[i], TestCancellationToken);
            await RefreshRollupsAsync(store);
            await AssertSegmentQueriesAsync(store, reference, ranges, $"segments after batch {i} and its refresh");
            await AssertPageSegmentQueriesAsync(store, reference, ranges, $"page filters after batch {i} and its refresh");
        }
    }
}

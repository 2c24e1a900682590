// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Testing;

/// <content>
/// Visitors who become touched (a visit of theirs may now be merged across midnight) after their visits to the busy page
/// were stored: by a late hit on another page on the live last day, by a hit continuing one of their visits into the
/// next day, and by a late hit on an older day whose rows are then rewritten. A store may keep the touched visitors'
/// rows apart (the SQL stores mark their session-hit rows and index them, and PostgreSQL copies their session rows:
/// docs/storage.md, "Touched rows"); a row left unmarked by one of these write paths loses the visit from page-filtered
/// answers, which must be the reference's.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// Page- and segment-filtered queries match the reference after each batch (and its refresh) that turns busy-page
    /// visitors into touched ones by hits on other pages: a late visit up to midnight on the live last day, a visit
    /// continued into the next day, a late visit up to midnight on an older day.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_PageFiltersWhenVisitorsBecomeTouched_MatchReference()
    {
        var (store, reference) = await LoadPageSegmentDataAsync();
        await RefreshRollupsAsync(store);
        var lastDay = TimeZoneSegments.StartOfDay(RollupLastDay, RollupZone);
        var nextDay = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(1), RollupZone);
        var olderNext = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-1), RollupZone);
        List<List<Hit>> batches =
        [
            // New busy-page visitors on the live last day, untouched (their visits end in the evening).
            [
                Page(lastDay.AddHours(19), 9_920_001, BusyPage) with { ReferrerSource = "Bing", Country = "FR" },
                Page(lastDay.AddHours(19).AddMinutes(2), 9_920_001, "/pricing") with { ReferrerSource = "Bing", Country = "FR" },
                Page(lastDay.AddHours(20), 9_920_002, BusyPage) with { ReferrerSource = "Google" },
            ],

            // Both come back late, on other pages only: a new visit running up to midnight makes each visitor touched,
            // so their earlier busy-page visits now count with the touched visitors (an incremental pass may do this).
            [
                Page(nextDay.AddMinutes(-12), 9_920_001, "/late") with { ReferrerSource = "Bing", Country = "FR" },
                Page(nextDay.AddMinutes(-20), 9_920_002, "/docs") with { ReferrerSource = "Google" },
                Page(nextDay.AddMinutes(-7), 9_920_002, "/docs/more") with { ReferrerSource = "Google" },
            ],

            // The next day starts (the last day is no longer live): one late visit continues into it.
            [
                Page(nextDay.AddMinutes(4), 9_920_003, "/continued") with { PreviousVisitorId = 9_920_001 },
                Page(nextDay.AddHours(2), 9_920_004, BusyPage) with { ReferrerSource = "Bing", Country = "DE" },
            ],

            // A late visit up to midnight on an older day by one of its busy-page visitors, on another page: that day is
            // rewritten (the next day has rows).
            [
                Page(olderNext.AddMinutes(-9), PageVisitor(-2, 5), "/late-older"),
            ],
        ];

        (DateOnly From, DateOnly To)[] ranges =
        [
            (RollupLastDay.AddDays(-11), RollupLastDay.AddDays(2)), (RollupLastDay, RollupLastDay.AddDays(1)),
            (RollupLastDay.AddDays(-2), RollupLastDay.AddDays(1)),
        ];
        for (var i = 0; i < batches.Count; i++)
        {
            await store.AppendAsync(batches[i], TestCancellationToken);
            await reference.AppendAsync(batches[i], TestCancellationToken);
            await RefreshRollupsAsync(store);
            await AssertPageSegmentQueriesAsync(store, reference, ranges, $"page filters after batch {i + 1} (visitors becoming touched) and its refresh");
            await AssertSegmentQueriesAsync(store, reference, ranges, $"segments after batch {i + 1} (visitors becoming touched) and its refresh");
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Incremental rollup upkeep: hits arrive in batches with a refresh after each, as on a live site. A store may apply
/// only a batch's new hits to the stored rows (docs/storage.md, "Incremental upkeep") or rebuild the days whole; either
/// way every answer must match the reference after every pass.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// Five batches, each followed by a refresh and the full rollup query set: new visitors on the last day, existing
    /// visitors extending their last session and starting a new one, a session continued across midnight into a new day
    /// and a late visit by a visitor linked across midnight, late hits on old days (a new visitor and an existing one),
    /// and re-sent hits with a session running up to midnight.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_BatchesWithRefreshAfterEach_MatchReference()
    {
        var (store, reference) = await LoadRollupDataAsync();
        await RefreshRollupsAsync(store);
        var lastDay = TimeZoneSegments.StartOfDay(RollupLastDay, RollupZone);
        var nextDay = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(1), RollupZone);
        var all = await ReadAllAsync(reference, HitRange.All);
        // Visitors of the last day with their last hit, earliest first (the generator's visitors, not the linked ones).
        var lastDayVisitors = all.Where(h => h.Timestamp >= lastDay && h.Timestamp < nextDay && h.VisitorId is < 7_000_000 or > 7_000_100)
            .GroupBy(h => h.VisitorId).Select(g => (Visitor: g.Key, Last: g.Max(h => h.Timestamp), First: g.First()))
            .OrderBy(v => v.Last).ThenBy(v => v.Visitor).ToList();
        Assert.True(lastDayVisitors.Count >= 6, "the data set needs visitors on its last day");
        var oldDay = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-4), RollupZone);
        var oldVisitor = all.Where(h => h.Timestamp >= oldDay && h.Timestamp < oldDay.AddDays(1) && h.VisitorId is < 7_000_000 or > 7_000_100)
            .GroupBy(h => h.VisitorId).Select(g => (Visitor: g.Key, Last: g.Max(h => h.Timestamp))).OrderBy(v => v.Last).First();
        var lateVisitor = lastDayVisitors[^1];
        List<List<Hit>> batches =
        [
            // New visitors on the last day: a bounce, a two-page visit from a campaign, an event.
            [
                Page(lastDay.AddHours(20), 8_000_001, "/"),
                Page(lastDay.AddHours(20).AddMinutes(1), 8_000_002, "/pricing") with { UtmCampaign = "autumn", Channel = "Paid Search" },
                Page(lastDay.AddHours(20).AddMinutes(4), 8_000_002, "/signup") with { UtmCampaign = "autumn", Channel = "Paid Search" },
                HitBuilder.CustomEvent("Signup", "/signup").At(lastDay.AddHours(20).AddMinutes(5)).ByVisitor(8_000_002).Build() with { Country = "DE", ReferrerSource = "Google", Channel = "Paid Search", UtmCampaign = "autumn" },
            ],

            // Existing visitors: one extends its last session (a new exit page), one starts a new session, one grows a
            // bounce into a two-page visit; a new visitor comes back 40 minutes later (two sessions).
            [
                .. lastDayVisitors.Take(3).Select((v, i) => Page(v.Last.AddMinutes(i == 1 ? 45 : 10), v.Visitor, i == 0 ? "/docs" : "/pricing") with
                {
                    Country = v.First.Country, ReferrerSource = v.First.ReferrerSource, Channel = v.First.Channel,
                }),
                Page(lastDay.AddHours(20).AddMinutes(41), 8_000_001, "/blog"),
            ],

            // Across midnight: a last-day visitor continues into a new day (and the new day starts), and a new-day
            // visitor linked to a last-day visit comes back later.
            [
                Page(lastDay.AddHours(23).AddMinutes(50), 8_000_003, "/late-night"),
                Page(nextDay.AddMinutes(5), 8_000_004, "/after-midnight") with { PreviousVisitorId = 8_000_003 },
                Page(nextDay.AddHours(2), 8_000_005, "/"),
                Page(TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-2), RollupZone).AddHours(9), 7_000_001, "/back-again"),
            ],

            // Late hits on an old day: a new visitor, and an existing visitor after its last hit.
            [
                Page(oldDay.AddHours(15), 8_000_006, "/late"),
                Page(oldVisitor.Last.AddMinutes(20), oldVisitor.Visitor, "/late-too"),
            ],

            // Re-sent hits (ignored by their ids), and a last-day visitor whose new session runs up to midnight.
            [
                .. all.Where(h => h.Timestamp >= lastDay).Take(4),
                Page(nextDay.AddMinutes(-10), lateVisitor.Visitor, "/almost-midnight"),
                Page(nextDay.AddHours(3), 8_000_005, "/pricing"),
            ],
        ];

        for (var i = 0; i < batches.Count; i++)
        {
            await store.AppendAsync(batches[i], TestCancellationToken);
            await reference.AppendAsync(batches[i], TestCancellationToken);
            await RefreshRollupsAsync(store);
            // The random filtered session queries after the batches that change links and session rows most.
            await AssertRollupQueriesAsync(store, reference, $"after batch {i + 1} and its refresh", extraDay: true, sessionQueries: i is 1 or 2 or 4);
        }

        // Nothing is left to do, and the answers still match.
        Assert.Equal(0, await RefreshRollupsAsync(store));
    }

    /// <summary>
    /// Many small batches on the last day (new visitors and returning ones, every hit later than the visitor's earlier
    /// ones, as on a live site), a refresh after each: the answers match the reference after the last.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_ManyBatchesOnToday_MatchReference()
    {
        var (store, reference) = await LoadRollupDataAsync();
        await RefreshRollupsAsync(store);
        var lastDay = TimeZoneSegments.StartOfDay(RollupLastDay, RollupZone);
        var random = new Random(11);
        string[] pages = ["/", "/pricing", "/docs", "/blog/a", "/blog/b", "/signup"];
        string[] countries = ["DE", "FR", "US"];
        var clock = lastDay.AddHours(18);
        for (var batch = 0; batch < 8; batch++)
        {
            var hits = new List<Hit>();
            for (var i = 0; i < 6; i++)
            {
                clock = clock.AddSeconds(random.Next(20, 400));
                var visitor = 8_100_000 + random.Next(0, 12);
                var page = pages[random.Next(pages.Length)];
                hits.Add(random.Next(5) == 0
                    ? HitBuilder.CustomEvent("Download", page).At(clock).ByVisitor(visitor).Build() with { Country = countries[visitor % 3], ReferrerSource = "Google", Channel = "Organic Search" }
                    : Page(clock, visitor, page) with { Country = countries[visitor % 3] });
            }

            await store.AppendAsync(hits, TestCancellationToken);
            await reference.AppendAsync(hits, TestCancellationToken);
            await RefreshRollupsAsync(store);
        }

        await AssertRollupQueriesAsync(store, reference, "after eight batches with a refresh each");
    }
}

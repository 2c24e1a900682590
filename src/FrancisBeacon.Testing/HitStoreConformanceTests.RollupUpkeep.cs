// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Rollup upkeep: a day rebuilt on its own (a late hit) is linked to the day before from what the store reads of that
/// day for the links (the hits of the visitors the rebuilt day links to), and must give the reference's answers.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// A late hit on each day holding a visit continued from the day before (whose visitor also had another visit that
    /// day): after the refresh that rebuilds those days alone, the answers match the reference.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_LateHitOnDayWithLinks_MatchReferenceAfterRefresh()
    {
        var (store, reference) = await LoadRollupDataAsync();
        await RefreshRollupsAsync(store);
        List<Hit> more = [];
        foreach (var back in new[] { 2, 5, 8 })
        {
            var day = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-back), RollupZone);
            more.Add(Page(day.AddHours(14), 9_100_000 + back, "/late"));
        }

        await store.AppendAsync(more, TestCancellationToken);
        await reference.AppendAsync(more, TestCancellationToken);
        if (store is IHitStoreRollups)
        {
            Assert.True(await RefreshRollupsAsync(store) >= 3);
        }

        await AssertRollupQueriesAsync(store, reference, "after rebuilding days with links");
    }

    /// <summary>
    /// The same late hits, queried before any refresh: each changed day is computed from its raw hits at query time while
    /// the clean day before it is read from its stored rows, and the links between the two (a visit continued across
    /// midnight, whose visitor also had another visit that day) are computed from the visitors the changed day links to.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_LateHitOnDayWithLinks_MatchReferenceBeforeRefresh()
    {
        var (store, reference) = await LoadRollupDataAsync();
        await RefreshRollupsAsync(store);
        List<Hit> more = [];
        foreach (var back in new[] { 2, 5, 8 })
        {
            var day = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-back), RollupZone);
            more.Add(Page(day.AddHours(14), 9_200_000 + back, "/late"));
        }

        await store.AppendAsync(more, TestCancellationToken);
        await reference.AppendAsync(more, TestCancellationToken);
        await AssertRollupQueriesAsync(store, reference, "with changed days next to clean days with links");
    }
}

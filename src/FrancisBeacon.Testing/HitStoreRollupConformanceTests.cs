// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <summary>
/// The conformance kit plus schema migration plus rollups kept longer than raw hits, for stores that are both
/// <see cref="IHitStoreSchema"/> and <see cref="IHitStoreRollups"/> (the SQL stores): derive from this class instead of
/// <see cref="HitStoreSchemaConformanceTests{TFixture}"/>.
/// Rollups kept longer than raw hits: after a raw-hit retention purge (everything before a time, derived data kept),
/// the queries the rollups answer still count the deleted days exactly as before the purge, late hits for those days
/// neither change them nor make them be rebuilt, newer days keep counting, and a later purge that includes derived
/// data removes the old days' rollups.
/// </summary>
/// <typeparam name="TFixture">The fixture that creates the store under test.</typeparam>
public abstract class HitStoreRollupConformanceTests<TFixture> : HitStoreSchemaConformanceTests<TFixture>
    where TFixture : class, IHitStoreFixture
{
    /// <summary>Creates the test class; xUnit passes the class fixture.</summary>
    /// <param name="fixture">The fixture that creates the store under test.</param>
    protected HitStoreRollupConformanceTests(TFixture fixture)
        : base(fixture)
    {
    }

    /// <summary>Raw hits purged, rollups kept: old days are answered from rollups, never rebuilt from what is left.</summary>
    [Fact]
    public virtual async Task Rollups_RawHitsPurgedRollupsKept_AnswerOldDaysFromRollups()
    {
        var (store, before) = await LoadRollupDataAsync();
        var rollups = store as IHitStoreRollups ?? throw new InvalidOperationException(
            $"{store.GetType().Name} is not an {nameof(IHitStoreRollups)}: derive its tests from HitStoreSchemaConformanceTests<TFixture> instead.");
        await rollups.RefreshRollupsAsync(RollupSites(), TestCancellationToken);
        var hits = await ReadAllAsync(before, HitRange.All);

        // Raw retention: hits before day -5, 13:00 go (that day keeps the rollups built from all its hits).
        var cutoff = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-5), RollupZone).AddHours(13);
        var after = await CreateReferenceAsync(hits);
        var purged = await after.PurgeAsync(new HitRange { To = cutoff }, TestCancellationToken);
        Assert.True(purged > 0);
        Assert.Equal(purged, await store.PurgeAsync(new HitRange { To = cutoff }, TestCancellationToken));
        HitAssert.Equal(await ReadAllAsync(after, HitRange.All), await ReadAllAsync(store, HitRange.All));

        await AssertRetainedRollupsAsync(store, before, "after the raw purge");

        // A late hit for a day that only has rollups is stored, but neither changes those days nor gets them rebuilt.
        var oldDay = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-9), RollupZone);
        Hit[] late = [Page(oldDay.AddHours(11), 9_100_001, "/late"), Page(oldDay.AddHours(11).AddMinutes(1), 9_100_001, "/pricing")];
        await store.AppendAsync(late, TestCancellationToken);
        await AssertRetainedRollupsAsync(store, before, "late hits for old days, before refresh");
        Assert.Equal(0, await rollups.RefreshRollupsAsync(RollupSites(), TestCancellationToken));
        await AssertRetainedRollupsAsync(store, before, "late hits for old days, after refresh");

        // New hits after the horizon count as usual.
        var newDay = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(1), RollupZone);
        Hit[] fresh = [Page(newDay.AddHours(9), 9_100_002, "/"), Page(newDay.AddHours(9).AddMinutes(2), 9_100_002, "/new")];
        await store.AppendAsync(fresh, TestCancellationToken);
        await before.AppendAsync(fresh, TestCancellationToken);
        await AssertRetainedRollupsAsync(store, before, "new hits, before refresh", extraDay: true);
        await rollups.RefreshRollupsAsync(RollupSites(), TestCancellationToken);
        await AssertRetainedRollupsAsync(store, before, "new hits, after refresh", extraDay: true);

        // Rollup retention: a purge with derived data before day -8 removes those days from the answers.
        var rollupCutoff = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-8), RollupZone);
        await store.PurgeAsync(new HitRange { To = rollupCutoff, IncludeDerivedData = true }, TestCancellationToken);
        await before.PurgeAsync(new HitRange { To = rollupCutoff }, TestCancellationToken);
        var query = new HitQuery
        {
            SiteId = SiteId,
            From = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-11), RollupZone),
            To = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(-8), RollupZone),
            TimeZone = RollupZone,
            Metrics = [HitMetric.Visitors, HitMetric.Pageviews],
        };
        Assert.Equal([0d, 0d], (await store.QueryAsync(query, TestCancellationToken)).Rows.Single().Metrics);
        await AssertSameAnswerAsync(before, store, query with { From = rollupCutoff, To = TimeZoneSegments.StartOfDay(RollupLastDay.AddDays(2), RollupZone), Metrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events] }, "after the rollup purge");
    }

    /// <summary>The queries rollups answer, over ranges reaching back before the raw-hit horizon: the pre-purge answers.</summary>
    private static async ValueTask AssertRetainedRollupsAsync(IHitStore store, InMemoryHitStore beforePurge, string context, bool extraDay = false)
    {
        var end = RollupLastDay.AddDays(extraDay ? 2 : 1);
        (DateOnly From, DateOnly To)[] ranges = [(RollupLastDay.AddDays(-11), end), (RollupLastDay.AddDays(-10), RollupLastDay.AddDays(-6)), (RollupLastDay.AddDays(-5), end)];
        HitMetric[] eventMetrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events];
        HitMetric[] allMetrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit, HitMetric.Events];
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
                baseQuery with { Metrics = allMetrics, Dimensions = [HitDimension.Day] },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Page], Limit = 10 },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Day], Filter = HitFilter.Is(HitDimension.Page, "/pricing") },
            ];
            foreach (var dimension in new[] { HitDimension.EntryPage, HitDimension.ExitPage, HitDimension.Source, HitDimension.Country })
            {
                queries.Add(baseQuery with { Metrics = allMetrics, Dimensions = [dimension] });
            }

            foreach (var query in queries)
            {
                await AssertSameAnswerAsync(beforePurge, store, query, $"{context}, {fromDay:yyyy-MM-dd}..{toDay:yyyy-MM-dd}");
            }
        }
    }
}

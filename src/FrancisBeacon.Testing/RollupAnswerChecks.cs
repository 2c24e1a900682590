// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <summary>
/// For a store's own tests of its rollup writes (split rewrites, purges stopped half-way): day-aligned queries that the
/// rollups answer (day rows, sessions, segments) compared with a store over the same database that reads raw hits only.
/// </summary>
internal static class RollupAnswerChecks
{
    /// <summary>
    /// The answers that differ, one line each, over the three local days ending with <paramref name="lastDay"/>; empty
    /// when the store answers every query as the raw path does.
    /// </summary>
    public static async Task<List<string>> MismatchesAsync(IHitStore store, IHitStore raw, string siteId, TimeZoneInfo zone, DateOnly lastDay, CancellationToken cancellationToken)
    {
        var from = TimeZoneSegments.StartOfDay(lastDay.AddDays(-2), zone);
        var to = TimeZoneSegments.StartOfDay(lastDay.AddDays(1), zone);
        HitQuery[] queries =
        [
            new() { SiteId = siteId, From = from, To = to, TimeZone = zone, Metrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration] },
            new() { SiteId = siteId, From = from, To = to, TimeZone = zone, Metrics = [HitMetric.Visitors, HitMetric.Pageviews], Dimensions = [HitDimension.Page] },
            new() { SiteId = siteId, From = from, To = to, TimeZone = zone, Metrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.BounceRate], Dimensions = [HitDimension.Source] },
            new() { SiteId = siteId, From = from, To = to, TimeZone = zone, Metrics = [HitMetric.Visitors, HitMetric.Pageviews], Dimensions = [HitDimension.Day] },
            new() { SiteId = siteId, From = from, To = to, TimeZone = zone, Metrics = [HitMetric.Visitors, HitMetric.Visits], Dimensions = [HitDimension.Device], Filter = HitFilter.Is(HitDimension.Country, HitDimension.NotSet) },
        ];
        var mismatches = new List<string>();
        foreach (var query in queries)
        {
            var expected = Sorted(await raw.QueryAsync(query, cancellationToken));
            var actual = Sorted(await store.QueryAsync(query, cancellationToken));
            if (!expected.SequenceEqual(actual, StringComparer.Ordinal))
            {
                mismatches.Add($"{RandomQueries.Describe(query)}: expected {string.Join("; ", expected)}, got {string.Join("; ", actual)}");
            }
        }

        return mismatches;
    }

    private static List<string> Sorted(AggregateResult result) => [.. result.Rows.Select(r => r.ToString()).Order(StringComparer.Ordinal)];
}

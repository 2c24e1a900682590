// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Text;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>Answers of the PostgreSQL store against the in-memory reference, on the same generated hits.</summary>
public sealed class PostgreSqlHitStoreQueryTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly string[] TimeZoneIds = ["UTC", "Europe/Berlin", "Asia/Kolkata"];

    private static readonly HitDimension[][] DimensionSets =
    [
        [],
        [HitDimension.Page],
        [HitDimension.Day],
        [HitDimension.Page, HitDimension.Day],
        [HitDimension.Day, HitDimension.Page],
    ];

    private static readonly HitMetric[][] MetricSets = [[HitMetric.Visitors, HitMetric.Pageviews], [HitMetric.Pageviews]];

    private static readonly (int? Limit, int Offset)[] Pages = [(null, 0), (3, 0), (4, 2), (null, 5), (0, 0), (1000, 1)];

    [Fact]
    public async Task QueryAsync_GeneratedHits_EqualsInMemoryReferenceForEveryShape()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var reference = new InMemoryHitStore();
        var hits = TestHits.Generate(400, seed: 20260101);
        await store.AppendAsync(hits, Ct);
        await reference.AppendAsync(hits, Ct);
        (DateTimeOffset From, DateTimeOffset To)[] ranges =
        [
            (TestHits.SpringStart, TestHits.SpringEnd),
            (TestHits.AutumnStart, TestHits.AutumnEnd),
            (TestHits.SpringStart, TestHits.AutumnEnd),
            // Odd bounds: inside a millisecond, and exactly on a hit.
            (new DateTimeOffset(2024, 3, 30, 23, 0, 0, TimeSpan.Zero).AddTicks(-1), new DateTimeOffset(2024, 10, 27, 18, 30, 0, TimeSpan.Zero).AddTicks(5_001)),
        ];

        var failures = new StringBuilder();
        var count = 0;
        foreach (var site in TestHits.Sites)
        {
            foreach (var zone in TimeZoneIds)
            {
                Assert.True(SiteTimeZones.TryFind(zone, out var timeZone));
                foreach (var (from, to) in ranges)
                {
                    foreach (var dimensions in DimensionSets)
                    {
                        foreach (var metrics in MetricSets)
                        {
                            foreach (var (limit, offset) in Pages)
                            {
                                var query = new HitQuery
                                {
                                    SiteId = site,
                                    From = from,
                                    To = to,
                                    TimeZone = timeZone,
                                    Dimensions = dimensions,
                                    Metrics = metrics,
                                    Limit = limit,
                                    Offset = offset,
                                };
                                var expected = await reference.QueryAsync(query, Ct);
                                var actual = await store.QueryAsync(query, Ct);
                                count++;
                                if (!expected.Equals(actual))
                                {
                                    failures.Append(System.Globalization.CultureInfo.InvariantCulture,
                                        $"{site} {zone} [{from:O}, {to:O}) dims=[{string.Join(",", dimensions.Select(d => d.Name))}] metrics=[{string.Join(",", metrics)}] limit={limit} offset={offset}\n expected:\n{expected}\n actual:\n{actual}\n");
                                }
                            }
                        }
                    }
                }
            }
        }

        Assert.True(failures.Length == 0, $"Answers differ from the reference store:\n{failures}");
        Assert.Equal(TestHits.Sites.Length * TimeZoneIds.Length * ranges.Length * DimensionSets.Length * MetricSets.Length * Pages.Length, count);
    }

    [Fact]
    public async Task QueryAsync_ByPageOnDatabaseWithLinguisticCollation_OrdersByUtf8Bytes()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var t = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        // One hit per path, so every row ties on the metric and the order is the byte order of the paths.
        var hits = TestHits.Paths.Select((p, i) => new Hit { SiteId = "s", Path = p, Timestamp = t.AddSeconds(i), VisitorId = i }).ToList();
        await store.AppendAsync(hits, Ct);

        var result = await store.QueryAsync(
            new HitQuery { SiteId = "s", From = t, To = t.AddDays(1), Dimensions = [HitDimension.Page], Metrics = [HitMetric.Pageviews] }, Ct);

        var expected = TestHits.Paths.Order(Utf8OrdinalComparer.Instance).ToArray();
        Assert.Equal(expected, result.Rows.Select(r => r.Dimensions[0]));
        // The surrogate pair (F0 9F ...) sorts after U+E000 (EE 80 80) and U+FFFD (EF BF BD) in UTF-8, unlike UTF-16.
        Assert.True(Array.IndexOf(expected, "/😀") > Array.IndexOf(expected, "/\uFFFD"));
    }
}

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

    /// <summary>
    /// Filters whose values are about 6 KB of UTF-8 (2,048 CJK characters, the longest value a query may hold) on the
    /// page, the entry page, the referrer, the source (a segment dimension) and a property, over hits holding such
    /// values (stored cut, the property whole) with the rollups built: every answer is the reference's, none fails.
    /// </summary>
    [Fact]
    public async Task QueryAsync_FilterValuesOfSixKilobytes_EqualsInMemoryReference()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var reference = new InMemoryHitStore();
        var random = new Random(20261129);
        var longValue = new string([.. Enumerable.Range(0, HitLimits.MaxUrlLength).Select(_ => (char)random.Next(0x4E00, 0x9FFF))]);
        var day = new DateTimeOffset(2025, 8, 4, 0, 0, 0, TimeSpan.Zero);
        var hits = new List<Hit>();
        for (var v = 1; v <= 20; v++)
        {
            var builder = Testing.HitBuilder.Pageview("/" + longValue[..^1]).ByVisitor(v)
                .WithReferrer("https://example.org/" + longValue[..^20], longValue[..HitLimits.MaxShortTextLength])
                .WithProperty("k", longValue);
            hits.Add(builder.At(day.AddHours(8).AddMinutes(v * 2)).Build());
            hits.Add(builder.OnPage("/short").At(day.AddHours(8).AddMinutes((v * 2) + 1)).Build());
        }

        hits.Add(Testing.HitBuilder.Pageview("/next").ByVisitor(99).At(day.AddDays(1).AddHours(3)).Build());
        await store.AppendAsync(hits, Ct);
        await reference.AppendAsync(hits, Ct);
        await store.RefreshRollupsAsync(new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal) { [Testing.HitBuilder.DefaultSiteId] = TimeZoneInfo.Utc }, Ct);

        var stored = HitText.Truncate(hits[0]);
        var filters = new List<HitFilter>();
        foreach (var (sent, kept) in new[] { (hits[0].Path, stored.Path), (hits[0].Referrer!, stored.Referrer!), (hits[0].ReferrerSource!, stored.ReferrerSource!) })
        {
            foreach (var value in new[] { sent, kept })
            {
                filters.Add(HitFilter.Is(HitDimension.Page, value));
                filters.Add(HitFilter.Is(HitDimension.EntryPage, value));
                filters.Add(HitFilter.Is(HitDimension.Referrer, value));
                filters.Add(HitFilter.Is(HitDimension.Source, value));
                filters.Add(HitFilter.Contains(HitDimension.Page, value));
                filters.Add(HitFilter.Not(HitFilter.Is(HitDimension.Page, value)));
            }
        }

        filters.Add(HitFilter.Is(HitDimension.Property("k"), longValue));
        filters.Add(HitFilter.Contains(HitDimension.Property("k"), longValue));
        filters.Add(HitFilter.HasDone(HitFilter.Is(HitDimension.Page, hits[0].Path)));
        HitDimension[][] dimensionSets = [[], [HitDimension.Day], [HitDimension.Page], [HitDimension.Source], [HitDimension.EntryPage]];
        var failures = new StringBuilder();
        foreach (var filter in filters)
        {
            foreach (var dimensions in dimensionSets)
            {
                var query = new HitQuery
                {
                    SiteId = Testing.HitBuilder.DefaultSiteId,
                    From = day,
                    To = day.AddDays(2),
                    TimeZone = TimeZoneInfo.Utc,
                    Dimensions = dimensions,
                    Metrics = dimensions is [{ IsVisit: true }] ? [HitMetric.Visitors, HitMetric.Visits, HitMetric.BounceRate] : [HitMetric.Visitors, HitMetric.Pageviews],
                    Filter = filter,
                };
                var expected = await reference.QueryAsync(query, Ct);
                var actual = await store.QueryAsync(query, Ct);
                if (!expected.Equals(actual))
                {
                    failures.Append(System.Globalization.CultureInfo.InvariantCulture, $"{filter} dims=[{string.Join(",", dimensions.Select(d => d.Name))}]\n expected:\n{expected}\n actual:\n{actual}\n");
                }
            }
        }

        Assert.True(failures.Length == 0, $"Answers differ from the reference store:\n{failures}");
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Hostile values (what a crafted request or a careless caller can put in a hit): NUL, unpaired surrogates, other
/// control characters, and the longest values a request may send (<see cref="HitLimits"/>' limits in characters) in
/// text that takes three UTF-8 bytes per character and does not compress. A store keeps each value or cleans it as
/// <see cref="HitText.Clean(string)"/> does, cuts it to <see cref="HitLimits"/>' sizes in bytes as
/// <see cref="HitText.Truncate(Hit)"/> does, never fails the batch, and its rollups and queries over such values work
/// and agree with the reference.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    private static readonly string[] HostileValues =
    [
        "x\0y",
        "\0",
        "a\uD800b",
        "a\uDC00b",
        "\uDC00\uD800",
        "end\uD83D",
        "\u0001\u001F\u007F\u0085\u2028\uFEFF\uFFFE\uFFFF",
        "\"\\'<script>alert(1)</script>",
        "%00%C0%AE%ZZ",
    ];

    /// <summary>
    /// NUL and unpaired surrogates in every text field, property key and property value (and in the site id) are kept
    /// or replaced with U+FFFD (<see cref="HitText.Clean(string)"/>; each such code unit on its own), in the same batch as ordinary hits, which are kept.
    /// </summary>
    [Fact]
    public virtual async Task AppendAsync_HostileText_KeptOrCleanedAsHitTextClean()
    {
        var hits = HostileHits();
        var store = await CreateStoreWithAsync(hits);

        var read = await ReadAllAsync(store, HitRange.All);

        Assert.Equal(hits.Count, read.Count);
        var byId = read.ToDictionary(h => h.Id);
        foreach (var hit in hits)
        {
            var stored = byId[hit.Id];
            var cleaned = HitText.Clean(hit);
            Assert.Equal(hit.Timestamp, stored.Timestamp);
            Assert.Equal(hit.VisitorId, stored.VisitorId);
            foreach (var (name, get) in TextFields)
            {
                AssertKeptOrCleaned(get(hit), get(cleaned), get(stored), name);
            }

            Assert.Equal(hit.Properties.Count, stored.Properties.Count);
            foreach (var (key, value) in hit.Properties)
            {
                var storedKey = stored.Properties.ContainsKey(key) ? key : HitText.Clean(key);
                Assert.True(stored.Properties.TryGetValue(storedKey, out var storedValue), $"The property key {Escape(key)} was neither kept nor cleaned.");
                AssertKeptOrCleaned(value, HitText.Clean(value), storedValue, "props[" + Escape(key) + "]");
            }
        }
    }

    /// <summary>
    /// Revenue past a 64-bit integer: anyone can send ten hits of the largest amount the endpoints accept (10^18
    /// millionths each). Totals and averages over hits, over sessions and under a filter are answered, not failed (an
    /// "integer overflow" from SQLite's SUM was a 500 for every revenue query of the range), and agree with the reference.
    /// </summary>
    [Fact]
    public virtual async Task QueryAsync_RevenueBeyondALong_AnsweredNotFailed()
    {
        var t0 = Utc(2026, 5, 4, 10, 0, 0);
        var hits = Enumerable.Range(0, 12)
            .Select(i => new HitBuilder().ByVisitor(1 + (i % 2)).OnPage("/checkout").WithEvent("Purchase").At(t0.AddMinutes(i)).WithRevenue(999_999_999_999.999999m, "EUR").Build())
            .Append(new HitBuilder().ByVisitor(3).OnPage("/").At(t0).Build())
            .ToList();
        var store = await CreateStoreWithAsync(hits);
        var reference = await CreateReferenceAsync(hits);
        var query = Query(t0.AddHours(-1), t0.AddHours(1)) with { RevenueCurrency = "EUR" };
        HitQuery[] queries =
        [
            query with { Metrics = [HitMetric.TotalRevenue, HitMetric.AverageRevenue] },
            query with { Metrics = [HitMetric.TotalRevenue, HitMetric.AverageRevenue], Dimensions = [HitDimension.Page] },
            query with { Metrics = [HitMetric.Visits, HitMetric.TotalRevenue, HitMetric.AverageRevenue], Dimensions = [HitDimension.Source] },
            query with { Metrics = [HitMetric.Visits, HitMetric.TotalRevenue], Filter = HitFilter.Is(HitDimension.Page, "/checkout") },
            query with { Metrics = [HitMetric.TotalRevenue, HitMetric.AverageRevenue], Filter = HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/checkout")) },
        ];
        foreach (var q in queries)
        {
            await AssertSameAnswerAsync(reference, store, q, "revenue past a 64-bit integer");
        }

        var totals = Assert.Single((await store.QueryAsync(queries[0], TestCancellationToken)).Rows).Metrics;
        Assert.InRange(totals[0], 1.19e13, 1.21e13); // 12 × 999 999 999 999.999999
        Assert.InRange(totals[1], 0.99e12, 1.01e12);
    }

    /// <summary>
    /// Over hits with hostile text the rollup pass succeeds and the queries (breakdowns by the hostile fields, filters
    /// with the stored values and with the raw hostile values) succeed and agree with the reference over what the
    /// store holds.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_HostileText_RefreshAndQueriesSucceed()
    {
        var hits = HostileHits().Where(h => h.SiteId == SiteId).ToList();
        var store = await CreateStoreWithAsync(hits);
        await RefreshRollupsAsync(store, UtcSites());
        var stored = await ReadAllAsync(store, HitRange.All);
        var reference = await CreateReferenceAsync(stored);

        foreach (var query in HostileQueries(stored, HostileValues))
        {
            await AssertSameAnswerOrNoErrorAsync(reference, store, query, stored);
        }
    }

    /// <summary>
    /// The longest values a request may send (<see cref="HitLimits"/>' limits in characters), in CJK text that does not
    /// compress (about 6 KB of UTF-8 in a path, a referrer and a property value; 768 bytes in each short field), handed
    /// to <c>AppendAsync</c> directly: the batch is stored with every field cut to its size in bytes
    /// (<see cref="HitText.Truncate(Hit)"/>; the property value whole), the rollup pass succeeds, and the queries
    /// (breakdowns, and filters by the stored values and by the values as sent, about 6 KB) agree with the reference.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_LongestCjkValues_StoredAndRolledUpAndQueried()
    {
        var random = new Random(20261129);
        var day = Utc(2025, 6, 3);
        var hits = new List<Hit>();
        var longPaths = new List<string>();
        for (var visitor = 1; visitor <= 3; visitor++)
        {
            var path = "/" + Cjk(random, HitLimits.MaxUrlLength - 1);
            var second = "/" + Cjk(random, HitLimits.MaxUrlLength - 1);
            longPaths.Add(path);
            var builder = new HitBuilder()
                .ByVisitor(visitor)
                .WithHostname(Cjk(random, HitLimits.MaxShortTextLength))
                .WithReferrer("https://example.org/" + Cjk(random, HitLimits.MaxUrlLength - 20), Cjk(random, HitLimits.MaxShortTextLength))
                .WithUtm(Cjk(random, HitLimits.MaxShortTextLength), Cjk(random, HitLimits.MaxShortTextLength), Cjk(random, HitLimits.MaxShortTextLength), Cjk(random, HitLimits.MaxShortTextLength), Cjk(random, HitLimits.MaxShortTextLength))
                .WithBrowser(Cjk(random, HitLimits.MaxShortTextLength), Cjk(random, HitLimits.MaxShortTextLength))
                .WithOperatingSystem(Cjk(random, HitLimits.MaxShortTextLength), Cjk(random, HitLimits.MaxShortTextLength))
                .WithDeviceType(Cjk(random, HitLimits.MaxShortTextLength))
                .WithLocation(Cjk(random, HitLimits.MaxShortTextLength), Cjk(random, HitLimits.MaxShortTextLength), Cjk(random, HitLimits.MaxShortTextLength))
                .WithLanguage(Cjk(random, HitLimits.MaxShortTextLength));
            hits.Add(builder.OnPage(path).At(day.AddHours(9 + visitor)).Build() with { Channel = Cjk(random, HitLimits.MaxShortTextLength) });
            hits.Add(builder.OnPage(second).At(day.AddHours(9 + visitor).AddMinutes(2)).Build() with { Channel = Cjk(random, HitLimits.MaxShortTextLength) });
            hits.Add(builder.OnPage(path)
                .WithEvent(Cjk(random, HitLimits.MaxShortTextLength))
                .WithProperty(Cjk(random, HitLimits.MaxPropertyKeyLength), Cjk(random, HitLimits.MaxPropertyValueLength))
                .At(day.AddHours(9 + visitor).AddMinutes(3))
                .Build());
        }

        var store = await CreateStoreWithAsync(hits);
        var cut = hits.Select(HitText.Truncate).ToList();
        HitAssert.Equal(cut.OrderBy(h => h.Timestamp).ToList(), await ReadAllAsync(store, HitRange.All));
        Assert.All(cut, h => Assert.Equal(1 + ((HitLimits.MaxUrlBytes - 1) / 3), h.Path.Length)); // "/" and 341 characters
        Assert.Equal(HitLimits.MaxPropertyValueLength, cut[2].Properties.Values.Single().Length); // kept whole
        await RefreshRollupsAsync(store, UtcSites());
        var reference = await CreateReferenceAsync(hits);

        foreach (var query in HostileQueries(cut, [.. longPaths, hits[2].EventName]))
        {
            await AssertSameAnswerAsync(reference, store, query, "longest CJK values");
        }
    }

    private static readonly (string Name, Func<Hit, string?> Get)[] TextFields =
    [
        ("SiteId", h => h.SiteId), ("EventName", h => h.EventName), ("Hostname", h => h.Hostname), ("Path", h => h.Path),
        ("Referrer", h => h.Referrer), ("ReferrerSource", h => h.ReferrerSource), ("Channel", h => h.Channel),
        ("UtmSource", h => h.UtmSource), ("UtmMedium", h => h.UtmMedium), ("UtmCampaign", h => h.UtmCampaign),
        ("UtmTerm", h => h.UtmTerm), ("UtmContent", h => h.UtmContent), ("Browser", h => h.Browser),
        ("BrowserVersion", h => h.BrowserVersion), ("OperatingSystem", h => h.OperatingSystem),
        ("OperatingSystemVersion", h => h.OperatingSystemVersion), ("DeviceType", h => h.DeviceType),
        ("Country", h => h.Country), ("Region", h => h.Region), ("City", h => h.City), ("Language", h => h.Language),
        ("RevenueCurrency", h => h.RevenueCurrency),
    ];

    // One hit per hostile value with that value in every text field and in a property key and value, an ordinary hit
    // between each two, and one hit whose site id is hostile; two hits per visitor so that visits have entry and exit pages.
    private static List<Hit> HostileHits()
    {
        var day = Utc(2025, 5, 6);
        var hits = new List<Hit>();
        for (var i = 0; i < HostileValues.Length; i++)
        {
            var v = HostileValues[i];
            var at = day.AddHours(1 + i);
            var hostile = new HitBuilder()
                .ByVisitor(100 + i)
                .OnPage("/" + v)
                .WithHostname(v)
                .WithReferrer("https://example.org/" + v, v)
                .WithUtm(v, v, v, v, v)
                .WithBrowser(v, v)
                .WithOperatingSystem(v, v)
                .WithDeviceType(v)
                .WithLocation(v, v, v)
                .WithLanguage(v)
                .WithProperty(v, v)
                .WithProperty("k" + v, "value " + v)
                .At(at)
                .Build() with { Channel = v };
            hits.Add(hostile);
            hits.Add(hostile with { Id = Guid.NewGuid(), EventName = v, Timestamp = at.AddMinutes(1), RevenueAmount = 1.5m, RevenueCurrency = "EUR" });
            hits.Add(HitBuilder.Pageview("/ordinary").ByVisitor(1_000 + i).At(at.AddMinutes(2)).Build());
        }

        hits.Add(HitBuilder.Pageview("/site").ForSite("site\0\uD800").ByVisitor(7).At(day.AddHours(20)).Build());
        return hits;
    }

    private static List<HitQuery> HostileQueries(IReadOnlyList<Hit> stored, IEnumerable<string> rawValues)
    {
        var first = stored.Min(h => h.Timestamp);
        var baseQuery = new HitQuery
        {
            SiteId = SiteId,
            From = new DateTimeOffset(first.UtcDateTime.Date, TimeSpan.Zero),
            To = new DateTimeOffset(first.UtcDateTime.Date, TimeSpan.Zero).AddDays(1),
            TimeZone = TimeZoneInfo.Utc,
        };
        HitMetric[] eventMetrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events];
        HitMetric[] allMetrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.Events];
        var queries = new List<HitQuery>
        {
            baseQuery with { Metrics = allMetrics },
            baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Page] },
            baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.EventName] },
            baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Hostname] },
            baseQuery with { Metrics = allMetrics, Dimensions = [HitDimension.Day] },
        };
        foreach (var dimension in new[] { HitDimension.EntryPage, HitDimension.ExitPage, HitDimension.Source, HitDimension.Referrer, HitDimension.Channel, HitDimension.UtmCampaign, HitDimension.Browser, HitDimension.Country, HitDimension.City, HitDimension.Language })
        {
            queries.Add(baseQuery with { Metrics = allMetrics, Dimensions = [dimension] });
        }

        foreach (var key in stored.SelectMany(h => h.Properties.Keys).Distinct(StringComparer.Ordinal).Where(k => k.Length <= HitDimension.MaxPropertyKeyLength).Take(4))
        {
            queries.Add(baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Property(key)] });
        }

        // Filters by what the store holds (page, event name, a property), then by the raw values as a caller sends them.
        var values = stored.Select(h => h.Path).Concat(rawValues.Select(v => v.StartsWith('/') ? v : "/" + v)).Distinct(StringComparer.Ordinal).Take(12);
        foreach (var path in values)
        {
            queries.Add(baseQuery with { Metrics = eventMetrics, Filter = HitFilter.Is(HitDimension.Page, path) });
            queries.Add(baseQuery with { Metrics = allMetrics, Dimensions = [HitDimension.Day], Filter = HitFilter.Is(HitDimension.Page, path) });
            queries.Add(baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Page], Filter = HitFilter.Contains(HitDimension.Page, path[1..]) });
            queries.Add(baseQuery with { Metrics = allMetrics, Dimensions = [HitDimension.Browser], Filter = HitFilter.Is(HitDimension.EntryPage, path) });
        }

        foreach (var name in stored.Select(h => h.EventName).Concat(rawValues).Distinct(StringComparer.Ordinal).Take(12))
        {
            queries.Add(baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Page], Filter = HitFilter.Is(HitDimension.EventName, name) });
            queries.Add(baseQuery with { Metrics = allMetrics, Filter = HitFilter.HasDone(HitFilter.Is(HitDimension.EventName, name)) });
        }

        return queries;
    }

    // A store that keeps the values exactly answers as the reference over its own rows does. A store that cleans the
    // values may answer a raw hostile filter (one that is not a stored value) differently, but must answer.
    private static async ValueTask AssertSameAnswerOrNoErrorAsync(InMemoryHitStore reference, IHitStore store, HitQuery query, IReadOnlyList<Hit> stored)
    {
        if (query.Filter is null || FilterValues(query.Filter).All(v => v.Length == 0 || !HitText.NeedsCleaning(v) || stored.Any(h => Contains(h, v))))
        {
            await AssertSameAnswerAsync(reference, store, query, "hostile text");
            return;
        }

        var answer = await store.QueryAsync(query, TestCancellationToken);
        Assert.NotNull(answer);
    }

    private static bool Contains(Hit hit, string value) => hit.Path.Contains(value, StringComparison.Ordinal) || hit.EventName.Contains(value, StringComparison.Ordinal);

    private static IEnumerable<string> FilterValues(HitFilter filter) => filter switch
    {
        HitFilterCondition condition => condition.Values,
        HitFilterHasDone hasDone => FilterValues(hasDone.Filter),
        _ => [],
    };

    private static Dictionary<string, TimeZoneInfo> UtcSites() => new(StringComparer.Ordinal) { [SiteId] = TimeZoneInfo.Utc };

    private static async ValueTask RefreshRollupsAsync(IHitStore store, IReadOnlyDictionary<string, TimeZoneInfo> sites)
    {
        if (store is IHitStoreRollups rollups)
        {
            await rollups.RefreshRollupsAsync(sites, TestCancellationToken);
        }
    }

    // Text from the CJK Unified Ideographs block, each character drawn at random (so that it does not compress).
    private static string Cjk(Random random, int length) =>
        string.Create(length, random, static (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = (char)r.Next(0x4E00, 0x9FFF);
            }
        });

    private static void AssertKeptOrCleaned(string? original, string? cleaned, string? stored, string field)
    {
        // Each code unit is kept or, where the clean value differs, replaced by U+FFFD (SQLite keeps a NUL but its UTF-8
        // encoder replaces an unpaired surrogate; the PostgreSQL store replaces both).
        var same = original is null || cleaned is null || stored is null
            ? string.Equals(stored, original, StringComparison.Ordinal)
            : stored.Length == original.Length && Enumerable.Range(0, stored.Length).All(i => stored[i] == original[i] || stored[i] == cleaned[i]);
        if (!same)
        {
            Assert.Fail($"{field}: {Escape(original)} was stored as {Escape(stored)}; expected it kept or cleaned to {Escape(cleaned)}.");
        }
    }

    private static string Escape(string? value) =>
        value is null ? "null" : "\"" + string.Concat(value.Select(c => c is < ' ' or > '~' ? $"\\u{(int)c:X4}" : c.ToString())) + "\"";
}

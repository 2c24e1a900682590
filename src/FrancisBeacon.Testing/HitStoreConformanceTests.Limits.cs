// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Values longer than <see cref="HitLimits"/>' sizes in bytes of UTF-8, handed straight to <c>AppendAsync</c> (the
/// beacon's pipeline cuts them before): every store cuts them as <see cref="HitText.Truncate(Hit)"/> does (at a
/// character boundary, a surrogate pair kept whole or dropped whole), keeps values at the limits whole, and its rollups
/// over the cut values work, including keys that hold two long values in text that does not compress.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// A path, a referrer and short fields one character over their size in bytes (the cut falls inside a 2-, 3- or
    /// 4-byte character, or exactly at the limit), handed to <c>AppendAsync</c> directly: each is stored cut to the
    /// longest prefix that fits, a field exactly at its limit and the properties are kept whole, and queries see the
    /// cut values.
    /// </summary>
    [Fact]
    public virtual async Task AppendAsync_ValuesOverByteLimits_CutAtCharacterBoundary()
    {
        var day = Utc(2025, 7, 1);
        var longValue = new string('\u4E2D', HitLimits.MaxPropertyValueLength); // 6,144 bytes: properties are bounded in characters, not bytes
        var hit = new HitBuilder()
            .ByVisitor(1)
            .OnPage("/" + new string('a', HitLimits.MaxUrlBytes - 4) + "😀tail") // the emoji would end at byte 1,025
            .WithReferrer("https://example.org/" + new string('b', HitLimits.MaxUrlBytes - 22) + "中x", "Source " + new string('\u00E9', 200))
            .WithHostname(new string('h', HitLimits.MaxShortTextBytes - 3) + "中") // exactly 256 bytes
            .WithEvent(new string('e', HitLimits.MaxShortTextBytes - 2) + "éx") // 'x' would be byte 257
            .WithUtm("s", "m", new string('\u6587', HitLimits.MaxShortTextBytes / 3 + 1), null, null)
            .WithBrowser(new string('\u00E9', HitLimits.MaxShortTextBytes / 2 - 1) + "😀", "1")
            .WithProperty("long", longValue)
            .At(day.AddHours(10))
            .Build();

        var store = await CreateStoreWithAsync([hit]);
        var stored = Assert.Single(await ReadAllAsync(store, HitRange.All));

        Assert.Equal("/" + new string('a', HitLimits.MaxUrlBytes - 4), stored.Path);
        Assert.Equal("https://example.org/" + new string('b', HitLimits.MaxUrlBytes - 22), stored.Referrer);
        Assert.Equal("Source " + new string('\u00E9', (HitLimits.MaxShortTextBytes - 7) / 2), stored.ReferrerSource);
        Assert.Equal(hit.Hostname, stored.Hostname);
        Assert.Equal(new string('e', HitLimits.MaxShortTextBytes - 2) + "é", stored.EventName);
        Assert.Equal(new string('\u6587', HitLimits.MaxShortTextBytes / 3), stored.UtmCampaign);
        Assert.Equal(new string('\u00E9', HitLimits.MaxShortTextBytes / 2 - 1), stored.Browser);
        Assert.Equal(longValue, stored.Properties["long"]);
        HitAssert.Equal([HitText.Truncate(hit)], [stored]);

        var query = new HitQuery
        {
            SiteId = SiteId,
            From = day,
            To = day.AddDays(1),
            TimeZone = TimeZoneInfo.Utc,
            Metrics = [HitMetric.Visitors, HitMetric.Events],
            Dimensions = [HitDimension.Page],
        };
        AssertRows([Row([stored.Path], 1, 1)], await store.QueryAsync(query, TestCancellationToken), "page breakdown");
        AssertRows([Row([], 1, 1)], await store.QueryAsync(query with { Dimensions = [], Filter = HitFilter.Is(HitDimension.EventName, stored.EventName) }, TestCancellationToken), "event name filter");
    }

    /// <summary>
    /// A page visited by many sessions (enough for the page rows of stores that keep them), whose path and referrers are
    /// over the size in bytes in random ASCII that does not compress: a key holding the path and a visit value (the
    /// entry page, the referrer) would need over 4 KB. The hits are stored cut, the rollup pass succeeds, and the
    /// page-filtered and broken-down queries agree with the reference, with the stored (cut) path and with the path as
    /// sent.
    /// </summary>
    [Fact]
    public virtual async Task Rollups_TwoLongAsciiValuesInOneKey_StoredCutAndRolledUpAndQueried()
    {
        var random = new Random(20261130);
        var day = Utc(2025, 6, 10);
        var path = "/" + Ascii(random, HitLimits.MaxUrlLength - 1);
        var hits = new List<Hit>();
        for (var visitor = 1; visitor <= 150; visitor++)
        {
            var builder = new HitBuilder()
                .ByVisitor(visitor)
                .WithHostname(Ascii(random, HitLimits.MaxShortTextLength))
                .WithReferrer("https://example.org/" + Ascii(random, HitLimits.MaxUrlLength - 20), visitor % 3 == 0 ? "Google" : Ascii(random, HitLimits.MaxShortTextLength))
                .WithUtm(Ascii(random, HitLimits.MaxShortTextLength), "cpc", visitor % 2 == 0 ? "winter" : Ascii(random, HitLimits.MaxShortTextLength), null, null)
                .WithBrowser(visitor % 2 == 0 ? "Firefox" : Ascii(random, HitLimits.MaxShortTextLength), "1");
            var at = day.AddHours(8).AddMinutes(visitor * 3);
            hits.Add(builder.OnPage(path).At(at).Build());
            if (visitor % 4 != 0)
            {
                hits.Add(builder.OnPage(visitor % 2 == 0 ? path + "/more" : "/" + Ascii(random, HitLimits.MaxUrlLength - 1)).At(at.AddMinutes(1)).Build());
            }
        }

        // A hit on the next day, so that the day is not the latest with hits (stores may keep a day's page rows only then).
        hits.Add(HitBuilder.Pageview("/next").ByVisitor(9_999).At(day.AddDays(1).AddHours(12)).Build());

        var store = await CreateStoreWithAsync(hits);
        HitAssert.Equal(hits.Select(HitText.Truncate).OrderBy(h => h.Timestamp).ToList(), await ReadAllAsync(store, HitRange.All));
        await RefreshRollupsAsync(store, UtcSites());
        var reference = await CreateReferenceAsync(hits);

        var baseQuery = new HitQuery { SiteId = SiteId, From = day, To = day.AddDays(2), TimeZone = TimeZoneInfo.Utc };
        HitMetric[] eventMetrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events];
        HitMetric[] allMetrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration];
        var storedPath = HitText.Truncate(path, HitLimits.MaxUrlBytes);
        foreach (var filterPath in new[] { storedPath, path })
        {
            var onPage = HitFilter.Is(HitDimension.Page, filterPath);
            foreach (var dimension in new HitDimension?[] { null, HitDimension.Day, HitDimension.EntryPage, HitDimension.ExitPage, HitDimension.Referrer, HitDimension.Source, HitDimension.Browser, HitDimension.UtmCampaign })
            {
                await AssertSameAnswerAsync(reference, store, baseQuery with { Metrics = allMetrics, Dimensions = dimension is null ? [] : [dimension], Filter = onPage }, "page " + filterPath.Length + " " + dimension?.Name);
            }

            await AssertSameAnswerAsync(reference, store, baseQuery with { Metrics = allMetrics, Filter = HitFilter.And(onPage, HitFilter.Is(HitDimension.UtmCampaign, "winter")) }, "page and campaign");
        }

        foreach (var dimension in new[] { HitDimension.Page, HitDimension.Hostname, HitDimension.EntryPage, HitDimension.ExitPage, HitDimension.Referrer, HitDimension.Browser, HitDimension.UtmCampaign })
        {
            var metrics = dimension.IsVisit ? allMetrics : eventMetrics;
            await AssertSameAnswerAsync(reference, store, baseQuery with { Metrics = metrics, Dimensions = [dimension] }, dimension.Name);
            await AssertSameAnswerAsync(reference, store, baseQuery with { Metrics = metrics, Dimensions = [dimension], Filter = HitFilter.Is(HitDimension.Browser, "Firefox") }, dimension.Name + " for Firefox");
        }
    }

    // Letters and digits drawn at random: ASCII text that does not compress.
    private static string Ascii(Random random, int length) =>
        string.Create(length, random, static (span, r) =>
        {
            const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[r.Next(Alphabet.Length)];
            }
        });
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Text;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Export and import: a store's export (<see cref="HitExportWriter"/>), read back (<see cref="HitExportReader"/>) and
/// imported into a fresh store of the same kind (<see cref="HitTransfer.ImportAsync"/>), exports the same bytes again;
/// importing twice stores nothing twice; and the imported hits are answered as the original ones.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// Export → import → export gives the same bytes, in both formats, over hostile text (NUL, unpaired surrogates,
    /// markup, SQL, quotes, commas and line breaks in CSV cells, formula-like cells, values starting with an apostrophe),
    /// CJK and emoji, empty strings, unknown values, the extreme visitor ids, revenue and properties; a second import
    /// of the same file changes nothing.
    /// </summary>
    /// <param name="format">The export format.</param>
    [Theory]
    [InlineData(HitExportFormat.Ndjson)]
    [InlineData(HitExportFormat.Csv)]
    public virtual async Task Import_ThisStoresExport_ExportsTheSameBytesAgain(HitExportFormat format)
    {
        var hits = ImportRoundTripHits();
        var source = await CreateStoreWithAsync(hits);
        var exported = await ExportAsync(source, format);
        var target = await CreateStoreAsync();

        var result = await HitTransfer.ImportAsync(new HitExportReader(new MemoryStream(exported), format), target, new HitTransferOptions { BatchSize = 7 }, cancellationToken: TestCancellationToken);
        var again = await ExportAsync(target, format);

        Assert.Equal(hits.Count, result.Read);
        Assert.Equal(hits.Count, result.Appended);
        Assert.Equal(Encoding.UTF8.GetString(exported), Encoding.UTF8.GetString(again));
        Assert.Equal(exported, again);
        // The imported store holds the source's hits, every field (compared as NDJSON lines, which write an unpaired
        // surrogate as U+FFFD: the SQL stores hold none, the in-memory store keeps them); CSV cannot tell an empty string
        // from an unknown value, so there the source's empty optional fields are expected back as unknown.
        Assert.Equal(
            (await ReadAllAsync(source, HitRange.All)).Select(h => NdjsonLine(format == HitExportFormat.Csv ? EmptyToNull(h) : h)),
            (await ReadAllAsync(target, HitRange.All)).Select(NdjsonLine));

        await HitTransfer.ImportAsync(new HitExportReader(new MemoryStream(exported), format), target, cancellationToken: TestCancellationToken);
        Assert.Equal(exported, await ExportAsync(target, format));
    }

    /// <summary>
    /// An import into a store that already holds some of the file's hits (and a file that repeats one): a store that
    /// counts its appends (<see cref="IHitStoreCountedAppend"/>) reports the new hits as <see cref="HitTransferResult.Added"/>
    /// and the others as <see cref="HitTransferResult.AlreadyPresent"/>, in the same batch too; a second run adds
    /// nothing. A store that does not count reports neither (<see langword="null"/>), never a guess.
    /// </summary>
    [Fact]
    public virtual async Task Import_SomeHitsAlreadyStored_CountsAddedAndAlreadyPresent()
    {
        var hits = Enumerable.Range(0, 6).Select(i => HitBuilder.Pageview("/p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ByVisitor(i).At(Utc(2025, 8, 3, 9).AddMinutes(i)).Build()).ToList();
        var exported = await ExportAsync(await CreateStoreWithAsync(hits), HitExportFormat.Ndjson);
        var lines = Encoding.UTF8.GetString(exported).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var file = Encoding.UTF8.GetBytes(string.Join('\n', lines.Append(lines[4])) + "\n"); // the fifth hit twice
        var target = await CreateStoreWithAsync([hits[0], hits[1]]);

        var first = await HitTransfer.ImportAsync(new HitExportReader(new MemoryStream(file), HitExportFormat.Ndjson), target, new HitTransferOptions { BatchSize = 4 }, cancellationToken: TestCancellationToken);
        var second = await HitTransfer.ImportAsync(new HitExportReader(new MemoryStream(file), HitExportFormat.Ndjson), target, cancellationToken: TestCancellationToken);

        Assert.Equal((7L, 7L), (first.Read, first.Appended));
        Assert.Equal((7L, 7L), (second.Read, second.Appended));
        if (target is IHitStoreCountedAppend)
        {
            Assert.Equal((4L, 3L), (first.Added!.Value, first.AlreadyPresent!.Value));
            Assert.Equal((0L, 7L), (second.Added!.Value, second.AlreadyPresent!.Value));
        }
        else
        {
            Assert.Null(first.Added);
            Assert.Null(second.AlreadyPresent);
        }

        Assert.Equal(hits.Count, (await ReadAllAsync(target, HitRange.All)).Count);
    }

    /// <summary>
    /// A hit handed straight to <c>AppendAsync</c> with more properties than <see cref="HitLimits.MaxProperties"/>, a key
    /// and values longer than theirs (the beacon refuses such a request, a direct caller may not): the store keeps it as
    /// <see cref="HitText.Truncate(Hit)"/> bounds it, so that its export imports into a fresh store and exports the same
    /// bytes again (the import refuses more properties, or longer ones, than a hit may carry).
    /// </summary>
    /// <param name="format">The export format.</param>
    [Theory]
    [InlineData(HitExportFormat.Ndjson)]
    [InlineData(HitExportFormat.Csv)]
    public virtual async Task Import_HitAppendedWithPropertiesOverTheLimits_RoundTrips(HitExportFormat format)
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < HitLimits.MaxProperties + 10; i++)
        {
            properties["k" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)] = "v" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        properties["a" + new string('k', HitLimits.MaxPropertyKeyLength)] = "long key";
        properties["b"] = new string('v', HitLimits.MaxPropertyValueLength - 1) + "😀tail"; // the cut falls inside the pair
        var hit = HitBuilder.Pageview("/props").ByVisitor(5).At(Utc(2025, 8, 2, 9)).Build() with { Properties = properties };
        var source = await CreateStoreWithAsync([hit]);

        var stored = Assert.Single(await ReadAllAsync(source, HitRange.All));
        Assert.Equal(HitLimits.MaxProperties, stored.Properties.Count);
        Assert.Equal("long key", stored.Properties["a" + new string('k', HitLimits.MaxPropertyKeyLength - 1)]);
        Assert.Equal(new string('v', HitLimits.MaxPropertyValueLength - 1), stored.Properties["b"]);
        Assert.Equal(HitText.Truncate(hit).Properties.OrderBy(p => p.Key, StringComparer.Ordinal), stored.Properties.OrderBy(p => p.Key, StringComparer.Ordinal));

        var exported = await ExportAsync(source, format);
        var target = await CreateStoreAsync();
        var result = await HitTransfer.ImportAsync(new HitExportReader(new MemoryStream(exported), format), target, cancellationToken: TestCancellationToken);

        Assert.Equal(1, result.Read);
        Assert.Equal(exported, await ExportAsync(target, format));
    }

    /// <summary>
    /// A realistic site's export imported into the store: once the rollups are refreshed, the answers (totals, pages,
    /// sources, days, a filtered visit breakdown) are the reference's over the original hits.
    /// </summary>
    [Fact]
    public virtual async Task Import_RealisticExport_RollupsAnswerAsTheReference()
    {
        var zone = RollupSites()[SiteId];
        var lastDay = new DateOnly(2025, 3, 12);
        var hits = new RealisticHitGenerator(60) { SiteId = SiteId, TimeZone = zone, Seed = 77 }.Generate(600, 3, lastDay).ToList();
        var reference = await CreateReferenceAsync(hits);
        var exported = await ExportAsync(reference, HitExportFormat.Csv);
        var store = await CreateStoreAsync();

        await HitTransfer.ImportAsync(new HitExportReader(new MemoryStream(exported), HitExportFormat.Csv), store, cancellationToken: TestCancellationToken);
        await RefreshRollupsAsync(store);

        var from = TimeZoneSegments.StartOfDay(lastDay.AddDays(-2), zone);
        var to = TimeZoneSegments.StartOfDay(lastDay.AddDays(1), zone);
        var query = new HitQuery { SiteId = SiteId, From = from, To = to, TimeZone = zone };
        HitQuery[] queries =
        [
            query with { Metrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration] },
            query with { Metrics = [HitMetric.Visitors, HitMetric.Pageviews], Dimensions = [HitDimension.Page] },
            query with { Metrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.BounceRate], Dimensions = [HitDimension.Source] },
            query with { Metrics = [HitMetric.Visitors, HitMetric.Pageviews], Dimensions = [HitDimension.Day] },
            query with { Metrics = [HitMetric.Visitors, HitMetric.Visits], Dimensions = [HitDimension.Device], Filter = HitFilter.Is(HitDimension.Country, HitDimension.NotSet) },
        ];
        foreach (var q in queries)
        {
            await AssertSameAnswerAsync(reference, store, q, "after an import and a rollup refresh");
        }
    }

    /// <summary>A store's hits written in <paramref name="format"/>, as <c>GET {api}/export</c> sends them.</summary>
    private protected static async ValueTask<byte[]> ExportAsync(IHitStore store, HitExportFormat format)
    {
        using var output = new MemoryStream();
        await HitExportWriter.WriteAsync(store.ReadAsync(HitRange.All, TestCancellationToken), output, format, TestCancellationToken);
        return output.ToArray();
    }

    private static string NdjsonLine(Hit hit)
    {
        var line = new StringBuilder();
        HitExportWriter.Append(line, hit, HitExportFormat.Ndjson);
        return line.ToString();
    }

    private static Hit EmptyToNull(Hit hit)
    {
        static string? N(string? value) => string.IsNullOrEmpty(value) ? null : value;
        return hit with
        {
            Referrer = N(hit.Referrer), ReferrerSource = N(hit.ReferrerSource), Channel = N(hit.Channel),
            UtmSource = N(hit.UtmSource), UtmMedium = N(hit.UtmMedium), UtmCampaign = N(hit.UtmCampaign), UtmTerm = N(hit.UtmTerm), UtmContent = N(hit.UtmContent),
            Browser = N(hit.Browser), BrowserVersion = N(hit.BrowserVersion), OperatingSystem = N(hit.OperatingSystem), OperatingSystemVersion = N(hit.OperatingSystemVersion),
            DeviceType = N(hit.DeviceType), Country = N(hit.Country), Region = N(hit.Region), City = N(hit.City), Language = N(hit.Language), RevenueCurrency = N(hit.RevenueCurrency),
        };
    }

    // The hostile hits, the round-trip scenarios, and text that CSV and spreadsheets treat specially.
    private static List<Hit> ImportRoundTripHits()
    {
        var hits = HostileHits();
        hits.Add(HitScenario.EveryField());
        hits.AddRange(HitScenario.Unicode());
        hits.AddRange(HitScenario.ExtremeVisitorIds());
        hits.Add(HitScenario.EmptyStrings());
        hits.Add(HitScenario.NullOptionalFields());
        string[] cells =
        [
            "a,b", "say \"hi\"", "line\nbreak", "cr\rlf\r\n", "=1+2", "+1", "-1", "-2+3", "@SUM(A1)", "\tTab", "'", "''",
            "'=x", "'-5", "-49.9", "'; DROP TABLE hits; --", "<script>alert(1)</script>", "日本語", "👩‍💻 🚀", " padded ",
        ];
        var at = Utc(2025, 8, 1, 6);
        for (var i = 0; i < cells.Length; i++)
        {
            var v = cells[i];
            hits.Add(HitBuilder.Pageview("/" + v)
                .ByVisitor(-1 - i)
                .WithHostname(v)
                .WithReferrer(v, v)
                .WithUtm(v, v, v, v, v)
                .WithBrowser(v, v)
                .WithOperatingSystem(v, v)
                .WithDeviceType(v)
                .WithLocation(v, v, v)
                .WithLanguage(v)
                .WithProperty(v, v)
                .WithRevenue(-49.9m + i, v)
                .At(at.AddSeconds(i))
                .Build() with { EventName = v, Channel = v, PreviousVisitorId = long.MinValue + i, ScreenWidth = -i });
        }

        return hits;
    }
}

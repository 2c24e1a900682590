// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Storage;
using FrancisBeacon.Testing;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>
/// The batch's own binary COPY encoding (<see cref="PostgreSqlHitCopy"/>) stores exactly what Npgsql's
/// <c>NpgsqlBinaryImporter</c> stored, value by value: every column of hits with every kind of value is compared, as
/// PostgreSQL renders it, between a store writing each way.
/// </summary>
public sealed class PostgreSqlHitCopyTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private const string AllColumns = """
        id::text, site_id, ts::text, extract(epoch from ts)::text, event_name, hostname, path, referrer, referrer_source,
        utm_source, utm_medium, utm_campaign, utm_term, utm_content, visitor_id::text, browser, browser_version, os, os_version,
        device_type, country, region, city, screen_width::text, language, props::text, channel, prev_visitor_id::text,
        revenue::text, revenue_currency
        """;

    private static readonly decimal[] Revenues =
    [
        0m, 1m, -1m, 0.5m, -0.5m, 0.000001m, -0.000001m, 0.0000004m, 0.0000005m, -0.0000005m, 12.5m, 12.50m, 9999.9999m,
        10000m, 10000.0001m, 100000000m, 123456789012.123456m, -123456789012.123456m, 0.1234565m, 42.4242424242m,
        1.000000m, 20000000.000001m, 0.01m, 5m / 3m,
    ];

    private static readonly DateTimeOffset[] Timestamps =
    [
        new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero),
        new DateTimeOffset(2025, 3, 1, 10, 0, 0, 123, TimeSpan.Zero).AddTicks(4567),
        new(1999, 12, 31, 23, 59, 59, 999, TimeSpan.Zero),
        new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero),
        new(1970, 1, 1, 0, 0, 0, 1, TimeSpan.Zero),
        new(2026, 11, 29, 8, 0, 0, 0, TimeSpan.FromHours(5.5)),
        new(9999, 12, 31, 23, 59, 59, 999, TimeSpan.Zero),
        new(1, 1, 1, 0, 0, 0, 1, TimeSpan.Zero),
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AppendAsync_EveryKindOfValue_StoresWhatTheBinaryImporterStores()
    {
        var hits = VariedHits();
        var viaImporter = await fixture.CreateMigratedStoreAsync(Ct);
        viaImporter.UseBinaryImporter = true;
        var viaEncoder = await fixture.CreateMigratedStoreAsync(Ct);

        await viaImporter.AppendAsync(hits, Ct);
        await viaEncoder.AppendAsync(hits, Ct);

        var expected = await RowsAsync(viaImporter);
        var actual = await RowsAsync(viaEncoder);
        Assert.Equal(hits.Count, expected.Count);
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i], actual[i]);
        }
    }

    [Fact]
    public async Task AppendAsync_RevenueAmounts_ReadBackRoundedToSixDecimals()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        var hits = Revenues.Select((r, i) => HitBuilder.CustomEvent("Purchase", "/buy").At(t0.AddSeconds(i)).WithRevenue(r, "EUR").Build()).ToList();

        await store.AppendAsync(hits, Ct);

        var stored = new List<decimal>();
        await foreach (var hit in store.ReadAsync(HitRange.All, Ct))
        {
            stored.Add(hit.RevenueAmount!.Value);
        }

        Assert.Equal(Revenues.Select(r => decimal.Round(r, 6, MidpointRounding.AwayFromZero)), stored);
    }

    [Fact]
    public async Task AppendAsync_MergePathAfterAKnownId_StoresWhatTheBinaryImporterStores()
    {
        // The merge's COPY (with the batch ordinal first) into the temporary table, then the INSERT ... SELECT.
        var hits = VariedHits();
        var viaImporter = await fixture.CreateMigratedStoreAsync(Ct);
        viaImporter.UseBinaryImporter = true;
        var viaEncoder = await fixture.CreateMigratedStoreAsync(Ct);
        await viaImporter.AppendAsync([hits[0]], Ct);
        await viaEncoder.AppendAsync([hits[0]], Ct);

        await viaImporter.AppendAsync(hits, Ct); // hits[0] is known: the COPY is refused and the merge takes the batch
        await viaEncoder.AppendAsync(hits, Ct);

        Assert.Equal(await RowsAsync(viaImporter), await RowsAsync(viaEncoder));
        Assert.Equal((long)hits.Count, await fixture.ScalarAsync($"SELECT count(*) FROM \"{viaEncoder.Schema}\".hits", Ct));
    }

    [Fact]
    public async Task AppendAsync_NulAndUnpairedSurrogates_StoredAsReplacementCharacterWithTheRestOfTheBatch()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        var good = HitBuilder.Pageview("/fine").At(t0).Build();
        var bad = HitBuilder.Pageview("/broken\uD800").At(t0).WithProperty("k\0", "v\0\uDC00x").WithReferrer("https://r.example/\0", "r\0").Build();

        await store.AppendAsync([good, bad], Ct);

        Assert.Equal(2L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".hits", Ct));
        var read = new List<Hit>();
        await foreach (var hit in store.ReadAsync(HitRange.All, Ct))
        {
            read.Add(hit);
        }

        var stored = Assert.Single(read, h => h.Id == bad.Id);
        Assert.Equal("/broken\uFFFD", stored.Path);
        Assert.Equal("https://r.example/\uFFFD", stored.Referrer);
        Assert.Equal("r\uFFFD", stored.ReferrerSource);
        Assert.Equal("v\uFFFD\uFFFDx", Assert.Single(stored.Properties, p => p.Key == "k\uFFFD").Value);
    }

    [Fact]
    public async Task AppendAsync_BatchLargerThanOneChunk_StoresEveryRow()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        // Rows of about 3 KB and one of about 184 KB (30 properties of 2,048 CJK characters, the most a hit may carry):
        // chunks are flushed between rows, and a row larger than a chunk gets a larger buffer.
        var hits = Enumerable.Range(0, 100).Select(i => HitBuilder.Pageview("/" + new string('p', 1000) + i).At(t0.AddSeconds(i)).WithReferrer("https://r.example/" + new string('中', 600), "r.example").Build()).ToList();
        var huge = HitBuilder.Pageview("/huge").At(t0).Build();
        hits.Insert(50, huge with { Properties = Enumerable.Range(0, HitLimits.MaxProperties).ToDictionary(i => "big" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture), _ => new string('中', HitLimits.MaxPropertyValueLength)) });
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(string.Concat(hits[50].Properties.Values)) > 2 * PostgreSqlHitCopy.ChunkBytes);

        await store.AppendAsync(hits, Ct);

        Assert.Equal(101L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".hits", Ct));
        Assert.Equal((long)HitLimits.MaxPropertyValueLength, await fixture.ScalarAsync($"SELECT length(props->>'big29')::bigint FROM \"{store.Schema}\".hits WHERE path = '/huge'", Ct));
        Assert.Equal(1000L + 1 + 2, await fixture.ScalarAsync($"SELECT length(path)::bigint FROM \"{store.Schema}\".hits WHERE path LIKE '%99'", Ct));
    }

    private static List<Hit> VariedHits()
    {
        var hits = new List<Hit>();
        var text = new[] { null, string.Empty, "a", TestHits.Text(40), "\"quoted\" \\ 'single' <b>&amp;</b>", "é中😀\uFFFD\uE000", new string('x', 3000) };
        for (var i = 0; i < 60; i++)
        {
            string? T(int k) => text[(i + k) % text.Length];
            var builder = (i % 3 == 0 ? HitBuilder.CustomEvent("Signup " + T(1), "/p/" + i) : HitBuilder.Pageview("/path/" + T(2) + i))
                .ForSite(i % 2 == 0 ? "example.com" : "shop.example")
                .At(Timestamps[i % Timestamps.Length].AddDays(i % Timestamps.Length == 6 ? 0 : i))
                .WithHostname(T(3) ?? "host.example")
                .ByVisitor(i % 5 == 0 ? long.MinValue + i : i % 5 == 1 ? long.MaxValue - i : -i * 7919)
                .WithPreviousVisitor(i % 4 == 0 ? null : i % 4 == 1 ? long.MinValue : i * 31L)
                .WithReferrer(T(4), T(5))
                .WithUtm(T(0), T(1), T(2), T(3), T(4))
                .WithBrowser(T(5), T(6))
                .WithOperatingSystem(T(6), T(0))
                .WithDeviceType(T(1))
                .WithLocation(T(2), T(3), T(4))
                .WithScreenWidth(i % 4 == 0 ? null : i % 4 == 1 ? int.MinValue : i % 4 == 2 ? int.MaxValue : i * 10)
                .WithLanguage(T(5))
                .WithChannel(T(6))
                .WithRevenue(i % 2 == 0 ? Revenues[i / 2 % Revenues.Length] : null, i % 2 == 0 ? "USD" : T(0));
            if (i % 3 == 1)
            {
                builder = builder.WithProperty("plan", T(0) ?? "none").WithProperty("k\"ey", "v\\al\nue 😀");
            }

            hits.Add(builder.Build());
        }

        return hits;
    }

    private async Task<List<string>> RowsAsync(PostgreSqlHitStore store)
    {
        var rows = new List<string>();
        await using var command = fixture.DataSource.CreateCommand($"SELECT {AllColumns} FROM \"{store.Schema}\".hits ORDER BY id");
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            var values = new string[reader.FieldCount];
            for (var c = 0; c < reader.FieldCount; c++)
            {
                values[c] = reader.IsDBNull(c) ? "<null>" : reader.GetString(c);
            }

            rows.Add(string.Join(" | ", values));
        }

        return rows;
    }
}

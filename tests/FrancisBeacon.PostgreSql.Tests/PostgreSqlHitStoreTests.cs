// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.PostgreSql.Tests;

public sealed class PostgreSqlHitStoreTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReadAsync_AfterAppend_RoundTripsEveryFieldExactly()
    {
        // The longest stored values: text of the longest length a request may send, cut to the sizes in bytes.
        static string Short(string prefix) => HitText.Truncate(TestHits.Text(HitLimits.MaxShortTextLength, prefix), HitLimits.MaxShortTextBytes);
        static string Url(string prefix) => HitText.Truncate(TestHits.Text(HitLimits.MaxUrlLength, prefix), HitLimits.MaxUrlBytes);
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var t0 = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var full = new Hit
        {
            Id = Guid.NewGuid(),
            SiteId = Short("site-"),
            Timestamp = t0.AddTicks(1_234_567), // 123.4567 ms: stored as 123 ms
            EventName = Short("event-"),
            Hostname = Short("host-"),
            Path = Url("/"),
            Referrer = Url("https://ref.example/?q="),
            ReferrerSource = Short(""),
            UtmSource = Short("src"),
            UtmMedium = Short("med"),
            UtmCampaign = Short("camp"),
            UtmTerm = Short("term"),
            UtmContent = Short("content"),
            VisitorId = long.MaxValue,
            Browser = Short("b"),
            BrowserVersion = Short("bv"),
            OperatingSystem = Short("os"),
            OperatingSystemVersion = Short("osv"),
            DeviceType = Short("dt"),
            Country = "DE",
            Region = "DE-BE",
            City = Short("Zürich "),
            ScreenWidth = int.MaxValue,
            Language = "de-DE",
            Properties = Enumerable.Range(0, HitLimits.MaxProperties).ToDictionary(
                i => TestHits.Text(HitLimits.MaxPropertyKeyLength, $"k{i:00}"),
                i => i == 0 ? string.Empty : TestHits.Text(HitLimits.MaxPropertyValueLength, $"v{i}"),
                StringComparer.Ordinal),
        };
        var nulls = new Hit
        {
            Id = Guid.NewGuid(),
            SiteId = "s",
            Timestamp = t0.AddMilliseconds(1),
            EventName = "e",
            Hostname = string.Empty,
            Path = "/",
            VisitorId = 0,
        };
        var empties = nulls with
        {
            Id = Guid.NewGuid(),
            Timestamp = new DateTimeOffset(2025, 6, 1, 14, 0, 0, 2, TimeSpan.FromHours(2)), // 12:00:00.002 UTC
            Referrer = string.Empty,
            ReferrerSource = string.Empty,
            UtmSource = string.Empty,
            UtmMedium = string.Empty,
            UtmCampaign = string.Empty,
            UtmTerm = string.Empty,
            UtmContent = string.Empty,
            VisitorId = long.MinValue,
            Browser = string.Empty,
            BrowserVersion = string.Empty,
            OperatingSystem = string.Empty,
            OperatingSystemVersion = string.Empty,
            DeviceType = string.Empty,
            Country = string.Empty,
            Region = string.Empty,
            City = string.Empty,
            ScreenWidth = 0,
            Language = string.Empty,
            Properties = new Dictionary<string, string>(StringComparer.Ordinal) { [string.Empty] = string.Empty, ["ü"] = "\u2028\"" },
        };

        await store.AppendAsync([empties, full, nulls], Ct);
        var read = await TestHits.ReadAllAsync(store);

        Assert.Equal(3, read.Count);
        // Oldest first: nulls at .001, empties at .002, full at .123.
        TestHits.AssertStored(nulls, read[0]);
        TestHits.AssertStored(empties, read[1]);
        TestHits.AssertStored(full, read[2]);
        Assert.Null(read[0].Referrer);
        Assert.Equal(string.Empty, read[1].Referrer);
        Assert.Same(Hit.EmptyProperties, read[0].Properties);
    }

    [Fact]
    public async Task ReadAsync_HitsAtTheEdgesOfDateTimeOffset_RoundTripWithDefaultRange()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var reference = new InMemoryHitStore();
        Hit[] hits =
        [
            new() { SiteId = "s", Path = "/min", Timestamp = DateTimeOffset.MinValue, VisitorId = 1 },
            new() { SiteId = "s", Path = "/max", Timestamp = DateTimeOffset.MaxValue, VisitorId = 2 },
            new() { SiteId = "s", Path = "/now", Timestamp = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), VisitorId = 3 },
        ];
        await store.AppendAsync(hits, Ct);
        await reference.AppendAsync(hits, Ct);

        TestHits.AssertSameHits(await TestHits.ReadAllAsync(reference), await TestHits.ReadAllAsync(store));
        var all = new HitQuery { SiteId = "s", From = DateTimeOffset.MinValue, To = DateTimeOffset.MaxValue };
        Assert.Equal(await reference.QueryAsync(all, Ct), await store.QueryAsync(all, Ct));
        Assert.Equal(3, await store.PurgeAsync(new HitRange(), Ct));
    }

    [Fact]
    public async Task ReadAsync_SiteAndRange_ReturnsHalfOpenRangeInReferenceOrder()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var reference = new InMemoryHitStore();
        var hits = TestHits.Generate(300, seed: 11);
        // Several hits on one millisecond, so the tie order (by Guid) matters.
        var tie = new DateTimeOffset(2024, 3, 30, 12, 0, 0, TimeSpan.Zero);
        hits.AddRange(Enumerable.Range(0, 8).Select(i => new Hit { SiteId = "a.example", Path = "/tie", Timestamp = tie.AddTicks(i) }));
        await store.AppendAsync(hits, Ct);
        await reference.AppendAsync(hits, Ct);

        HitRange[] ranges =
        [
            HitRange.All,
            new() { SiteId = "a.example" },
            new() { SiteId = "b.example", From = new(2024, 3, 30, 23, 0, 0, TimeSpan.Zero), To = new(2024, 10, 27, 1, 0, 0, TimeSpan.Zero) },
            new() { From = tie, To = tie.AddTicks(1) },
            new() { From = tie.AddTicks(-1), To = tie.AddTicks(-1) },
            new() { SiteId = "nobody" },
        ];
        foreach (var range in ranges)
        {
            TestHits.AssertSameHits(await TestHits.ReadAllAsync(reference, range), await TestHits.ReadAllAsync(store, range));
        }
    }

    [Fact]
    public async Task AppendAsync_DuplicateIds_AreNoOpsAgainstStoredRowsAndWithinOneBatch()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var reference = new InMemoryHitStore();
        var t = new DateTimeOffset(2025, 2, 3, 4, 5, 6, TimeSpan.Zero);
        var a = new Hit { SiteId = "s", Path = "/a", Timestamp = t };
        var b = new Hit { SiteId = "s", Path = "/b", Timestamp = t.AddSeconds(1) };
        var c = new Hit { SiteId = "s", Path = "/c", Timestamp = t.AddSeconds(2) };
        IReadOnlyList<Hit>[] batches =
        [
            [a, b],
            [a with { Path = "/a-again", Timestamp = t.AddHours(1) }, c, c with { Path = "/c-second" }, b],
            [a, b, c],
        ];

        foreach (var batch in batches)
        {
            await store.AppendAsync(batch, Ct);
            await reference.AppendAsync(batch, Ct);
        }

        var read = await TestHits.ReadAllAsync(store);
        TestHits.AssertSameHits(await TestHits.ReadAllAsync(reference), read);
        Assert.Equal(["/a", "/b", "/c"], read.Select(h => h.Path));
    }

    [Fact]
    public async Task AppendAsync_SameBatchFromConcurrentWriters_StoresEachHitOnce()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var hits = TestHits.Generate(200, seed: 5);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () => await store.AppendAsync(hits, Ct), Ct)));

        Assert.Equal(hits.Count, (await TestHits.ReadAllAsync(store)).Count);
    }

    [Fact]
    public async Task AppendAsync_EmptyBatch_DoesNothing()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);

        await store.AppendAsync([], Ct);

        Assert.Empty(await TestHits.ReadAllAsync(store));
    }

    [Fact]
    public async Task AppendAsync_BatchOf10000_IsStoredWhole()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var reference = new InMemoryHitStore();
        var hits = TestHits.Generate(10_000, seed: 10_000);

        await store.AppendAsync(hits, Ct);
        await reference.AppendAsync(hits, Ct);

        var query = new HitQuery { SiteId = "a.example", From = TestHits.SpringStart, To = TestHits.AutumnEnd, Dimensions = [HitDimension.Day] };
        Assert.Equal(await reference.QueryAsync(query, Ct), await store.QueryAsync(query, Ct));
        TestHits.AssertSameHits(await TestHits.ReadAllAsync(reference), await TestHits.ReadAllAsync(store));
    }

    [Fact]
    public async Task PurgeAsync_SiteAndRange_DeletesExactlyThoseAndReturnsTheCount()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var reference = new InMemoryHitStore();
        var hits = TestHits.Generate(300, seed: 3);
        await store.AppendAsync(hits, Ct);
        await reference.AppendAsync(hits, Ct);
        HitRange[] purges =
        [
            new() { SiteId = "a.example", From = new(2024, 3, 30, 23, 0, 0, TimeSpan.Zero), To = new(2024, 3, 31, 1, 0, 0, TimeSpan.Zero) },
            new() { To = new DateTimeOffset(2024, 4, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1) },
            new() { SiteId = "nobody" },
            new() { SiteId = "b.example" },
            HitRange.All,
        ];

        foreach (var purge in purges)
        {
            var expected = await reference.PurgeAsync(purge, Ct);
            var actual = await store.PurgeAsync(purge, Ct);

            Assert.Equal(expected, actual);
            TestHits.AssertSameHits(await TestHits.ReadAllAsync(reference), await TestHits.ReadAllAsync(store));
        }

        Assert.Empty(await TestHits.ReadAllAsync(store));
    }

    [Fact]
    public async Task EveryMethod_PreCancelledToken_ThrowsOperationCanceled()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        var token = cancelled.Token;
        var hit = new Hit { SiteId = "s", Path = "/", Timestamp = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero) };
        var query = new HitQuery { SiteId = "s", From = DateTimeOffset.MinValue, To = DateTimeOffset.MaxValue };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.AppendAsync([hit], token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.QueryAsync(query, token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in store.ReadAsync(HitRange.All, token))
            {
            }
        });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.PurgeAsync(HitRange.All, token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.GetVersionAsync(token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.MigrateAsync(token));
        Assert.Empty(await TestHits.ReadAllAsync(store));
    }

    [Fact]
    public async Task QueryAsync_EmptyStore_GivesOneZeroTotalsRowAndNoGroups()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var reference = new InMemoryHitStore();
        var totals = new HitQuery { SiteId = "s", From = TestHits.SpringStart, To = TestHits.SpringEnd };
        var grouped = totals with { Dimensions = [HitDimension.Page] };

        Assert.Equal(await reference.QueryAsync(totals, Ct), await store.QueryAsync(totals, Ct));
        Assert.Equal(await reference.QueryAsync(grouped, Ct), await store.QueryAsync(grouped, Ct));
        Assert.Empty((await store.QueryAsync(grouped, Ct)).Rows);
    }
}

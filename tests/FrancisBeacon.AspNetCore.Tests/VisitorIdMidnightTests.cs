// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Enrichment;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// HitFactory stamps the hit with the clock when it builds the draft; the visitor-id step (the last built-in step,
/// Order 900, after geography and any custom step before it) reads the clock again to pick the day's salt. A hit
/// built just before the site's midnight and enriched just after it gets the new day's id (its timestamp is on the
/// old day) and, as "yesterday's" id, the id the same person has on the hit's own day: a link into the same day.
/// Then the new id appears on two site-local days (docs/storage.md's rule), and the reference/raw path join the link
/// while the rollups, which only look for links into the day before, do not (repro/HitStoreConformanceTests.S19.cs).
/// </summary>
public sealed class VisitorIdMidnightTests
{
    [Fact]
    public void Build_StampedBeforeMidnight_IdAndLinkFollowTheHitsOwnDay()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 23, 59, 0, TimeSpan.Zero));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(time);
        services.AddBeacon(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", Hostnames = { "example.com" } }))
            .UseInMemory()
            .AddEnricher(new SlowStep(800, () => time.Advance(TimeSpan.FromMilliseconds(1)))); // e.g. a lookup taking 1 ms
        using var provider = services.BuildServiceProvider();
        var factory = provider.GetRequiredService<HitFactory>();
        HitInput Input() => new("https://example.com/pricing", null, null, 1920, null);

        var earlier = factory.Build(Input(), FirefoxSignals.Create()).Hit!; // 23:59:00, the 28th's salt
        time.SetUtcNow(new DateTimeOffset(2026, 11, 28, 23, 59, 59, 999, TimeSpan.Zero));
        var racing = factory.Build(Input(), FirefoxSignals.Create()).Hit!; // stamped 23:59:59.999, enriched at 00:00:00.000

        Assert.Equal(new DateOnly(2026, 11, 28), DateOnly.FromDateTime(racing.Timestamp.UtcDateTime));
        Assert.Equal(earlier.VisitorId, racing.VisitorId); // same person, same site-local day: same id
        Assert.Null(racing.PreviousVisitorId); // not after midnight: no link
    }

    private sealed class SlowStep(int order, Action run) : IHitEnricher
    {
        public int Order => order;

        public void Enrich(HitEnrichmentContext context) => run();
    }
}

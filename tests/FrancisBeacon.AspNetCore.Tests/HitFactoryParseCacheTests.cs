using FrancisBeacon.Enrichment;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// <see cref="HitFactory"/> remembers what recent page and referrer URLs parsed to (<see cref="ParseCache{TValue}"/>),
/// and <see cref="SiteResolver"/> the implicit site of each host name: a hit built from a remembered URL must be the
/// hit the parse gives, whichever site's URL settings apply.
/// </summary>
public sealed class HitFactoryParseCacheTests
{
    [Fact]
    public void Build_SameUrlUnderTwoSitesSettings_EachSiteNormalisesItsOwnWay()
    {
        // A host of no configured site, sent with a domain hint: the same URL belongs to whichever site the hint names.
        var factory = Factory(o =>
        {
            o.Sites.Add(new BeaconSiteOptions { Id = "trim", Hostnames = { "trim.example" }, TrailingSlash = TrailingSlashMode.Remove, QueryParameters = { "id" } });
            o.Sites.Add(new BeaconSiteOptions { Id = "keep", Hostnames = { "keep.example" }, HashRouting = true });
        });
        const string Url = "https://shared.example/shop/?id=5&utm_source=news#/cart";

        var trimmed = Build(factory, Url, domain: "trim");
        var kept = Build(factory, Url, domain: "keep");
        var trimmedAgain = Build(factory, Url, domain: "trim");

        Assert.Equal(("trim", "/shop?id=5", "news"), (trimmed.SiteId, trimmed.Path, trimmed.UtmSource));
        Assert.Equal(("keep", "/shop/#/cart", "news"), (kept.SiteId, kept.Path, kept.UtmSource));
        Assert.Equal(("trim", "/shop?id=5", "news"), (trimmedAgain.SiteId, trimmedAgain.Path, trimmedAgain.UtmSource));
    }

    [Theory]
    [InlineData("https://www.google.com/search?q=x", "https://www.google.com/search?q=x", "Google")]
    [InlineData("https://example.com/other", null, null)]    // the page's own host: not a referrer
    [InlineData("android-app://com.slack/", null, null)]     // not http(s)
    [InlineData("not a url", null, null)]
    public void Build_RepeatedPageAndReferrer_GivesTheHitOfAFreshParse(string referrer, string? expectedReferrer, string? expectedSource)
    {
        var factory = Factory(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", Hostnames = { "example.com" } }));
        var fresh = Factory(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", Hostnames = { "example.com" } }));
        const string Url = "https://EXAMPLE.com/caf%C3%A9?utm_medium=email&utm_campaign=%20spring%20";

        var first = Build(factory, Url, referrer: referrer);
        var second = Build(factory, new string(Url), referrer: referrer is null ? null : new string(referrer));
        var reference = Build(fresh, Url, referrer: referrer);

        foreach (var hit in new[] { first, second })
        {
            Assert.Equal(
                (reference.Hostname, reference.Path, reference.Referrer, reference.ReferrerSource, reference.UtmMedium, reference.UtmCampaign),
                (hit.Hostname, hit.Path, hit.Referrer, hit.ReferrerSource, hit.UtmMedium, hit.UtmCampaign));
        }

        Assert.Equal(("example.com", "/café", "email", "spring"), (first.Hostname, first.Path, first.UtmMedium, first.UtmCampaign));
        Assert.Equal(expectedReferrer, second.Referrer);
        Assert.Equal(expectedSource, second.ReferrerSource);
    }

    [Theory]
    [InlineData("http://semalt.com/", true)]
    [InlineData("https://www.semalt.com/page", true)]
    [InlineData("https://www.google.com/", false)]
    public void Build_RepeatedReferrer_SpamVerdictRememberedWithItsHost(string referrer, bool spam)
    {
        // The spam check's answer is kept with the referrer's parsed host: a repeated referrer (another instance of the
        // same string) is dropped, or kept, as the first one was.
        var factory = Factory(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", Hostnames = { "example.com" } }));

        for (var i = 0; i < 3; i++)
        {
            var result = factory.Build(new HitInput("https://example.com/", new string(referrer), null, null, null), Signals());

            Assert.Equal(spam ? "referrer_spam" : null, result.DropReason);
            Assert.Equal(spam, result.Hit is null);
        }
    }

    [Fact]
    public void Build_InvalidUrls_StayInvalidWhenRepeated()
    {
        var factory = Factory(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", Hostnames = { "example.com" } }));

        foreach (var url in new[] { "ftp://example.com/x", "/relative", "https://exa mple.com/" })
        {
            for (var i = 0; i < 2; i++)
            {
                var result = factory.Build(new HitInput(url, null, null, null, null), Signals());
                Assert.Null(result.Hit);
                Assert.NotNull(result.Error);
            }
        }
    }

    [Fact]
    public void ForHost_NoConfiguredSites_OneImplicitSitePerHostName()
    {
        var resolver = new SiteResolver(Options.Create(new BeaconOptions()));

        var first = resolver.ForHost("a.example");
        var again = resolver.ForHost(new string("a.example"));
        var other = resolver.ForHost("b.example");

        Assert.Same(first, again);
        Assert.Equal("a.example", first!.Id);
        Assert.Equal("b.example", other!.Id);
        Assert.NotSame(first, other);
    }

    [Fact]
    public void ParseCache_Full_StartsOverAndNeverHoldsMoreThanItsCapacityOrLongKeys()
    {
        var cache = new ParseCache<string>(capacity: 8, maxKeyLength: 10);

        for (var i = 0; i < 50; i++)
        {
            cache.Set("k" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), "v");
            Assert.InRange(cache.Count, 0, 8);
        }

        cache.Set(new string('x', 11), "long");
        Assert.False(cache.TryGet(new string('x', 11), out _));
        cache.Set("k49", "replaced");
        Assert.True(cache.TryGet("k49", out var value));
        Assert.Equal("replaced", value);
    }

    private static Hit Build(HitFactory factory, string url, string? referrer = null, string? domain = null) =>
        factory.Build(new HitInput(url, referrer, null, 1920, null, domain), Signals()).Hit ?? throw new InvalidOperationException("dropped");

    private static HitRequestSignals Signals() => FirefoxSignals.Create();

    private static HitFactory Factory(Action<BeaconOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddBeacon(configure).UseInMemory();
        return services.BuildServiceProvider().GetRequiredService<HitFactory>();
    }
}

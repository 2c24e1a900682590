using System.Net;
using FrancisBeacon.Enrichment;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class UrlAndConsentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("https://EXAMPLE.com/Blog/?utm_source=x#top", "example.com", "/Blog/")]
    [InlineData("https://example.com", "example.com", "/")]
    [InlineData("https://example.com/caf%C3%A9", "example.com", "/café")]
    [InlineData("https://example.com/a%00b", "example.com", "/a%00b")]
    [InlineData("https://xn--bcher-kva.example/x", "xn--bcher-kva.example", "/x")]
    [InlineData("https://bücher.example/x", "xn--bcher-kva.example", "/x")]
    public void Normalise_Defaults_LowerHostNoQueryNoFragment(string url, string host, string path)
    {
        var (h, p) = PageUrl.Normalise(new Uri(url), [], hashRouting: false, TrailingSlashMode.Keep);

        Assert.Equal(host, h);
        Assert.Equal(path, p);
    }

    [Fact]
    public void Normalise_AllowListedQueryHashAndTrailingSlash_FollowSiteSettings()
    {
        var (_, path) = PageUrl.Normalise(new Uri("https://example.com/shop/?id=5&session=abc&page=2#/cart"), ["id", "page"], hashRouting: true, TrailingSlashMode.Remove);

        Assert.Equal("/shop?id=5&page=2#/cart", path);
    }

    [Fact]
    public void Normalise_VeryLongPath_IsCapped()
    {
        var (_, path) = PageUrl.Normalise(new Uri("https://example.com/" + new string('x', 3000)), [], false, TrailingSlashMode.Keep);

        Assert.Equal(HitLimits.MaxUrlLength, path.Length);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(0, null)]
    [InlineData(375, "Mobile")]
    [InlineData(768, "Tablet")]
    [InlineData(1280, "Laptop")]
    [InlineData(1920, "Desktop")]
    public void ScreenSize_Classify_UsesWidthBands(int? width, string? expected) => Assert.Equal(expected, ScreenSize.Classify(width));

    [Fact]
    public async Task Pixel_RefAndSourceParameters_FillUtmSourceWhenUtmIsAbsent()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());

        await SendAsync(host, "https://example.com/a?ref=producthunt");
        await SendAsync(host, "https://example.com/b?utm_source=newsletter&ref=ignored");

        var hits = (await host.WaitForHitsAsync(2)).ToDictionary(h => h.Path, h => h.UtmSource);
        Assert.Equal("producthunt", hits["/a"]);
        Assert.Equal("newsletter", hits["/b"]);
    }

    [Fact]
    public async Task Pixel_GpcHeader_IsHonouredByDefault()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());

        await SendAsync(host, "https://example.com/gpc", ("Sec-GPC", "1"));
        await SendAsync(host, "https://example.com/dnt", ("DNT", "1"));

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("/dnt", hit.Path);
        Assert.Equal(1, host.Services.GetRequiredService<BeaconMetrics>().DroppedBy("gpc"));
    }

    [Fact]
    public async Task Pixel_DntHeader_IsHonouredWhenTheSiteAsks()
    {
        await using var host = await BeaconTestHost.StartAsync(
            o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", RespectDoNotTrack = true, RespectGlobalPrivacyControl = false }),
            store: b => b.UseInMemory());

        await SendAsync(host, "https://example.com/gpc", ("Sec-GPC", "1"));
        await SendAsync(host, "https://example.com/dnt", ("DNT", "1"));

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("/gpc", hit.Path);
        Assert.Equal(1, host.Services.GetRequiredService<BeaconMetrics>().DroppedBy("dnt"));
    }

    [Fact]
    public async Task Pixel_SiteQueryAllowList_KeepsOnlyListedParameters()
    {
        await using var host = await BeaconTestHost.StartAsync(
            o =>
            {
                var site = new BeaconSiteOptions { Id = "example.com", TrailingSlash = TrailingSlashMode.Remove };
                site.QueryParameters.Add("q");
                o.Sites.Add(site);
            },
            store: b => b.UseInMemory());

        await SendAsync(host, "https://example.com/search/?q=lamps&token=secret");

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("/search?q=lamps", hit.Path);
    }

    private static async Task SendAsync(BeaconTestHost host, string url, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif?u=" + Uri.EscapeDataString(url));
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await host.Client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

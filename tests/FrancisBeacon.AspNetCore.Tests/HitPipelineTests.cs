using System.Net;
using FrancisBeacon.Enrichment;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class HitPipelineTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CustomEnricher_DropsInternalTrafficByIpRange_AndIsCountedByReason()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory().AddEnricher(new StaffFilter()));

        await SendAsync(host, "10.1.2.3", "https://example.com/staff");
        await SendAsync(host, "203.0.113.5", "https://example.com/customer");

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("/customer", hit.Path);
        Assert.Equal(1, host.Services.GetRequiredService<BeaconMetrics>().DroppedBy("internal_traffic"));
    }

    [Fact]
    public async Task CustomEnricher_RunsInOrderAndCanSetFields()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory().AddEnricher(new Tagger(750, "late")).AddEnricher(new Tagger(150, "early")));

        await SendAsync(host, "203.0.113.5", "https://example.com/x");

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("early,late", hit.Properties["steps"]);
        Assert.NotEqual(0, hit.VisitorId);
    }

    [Fact]
    public void Pipeline_OrdersStepsByOrderThenRegistration()
    {
        var a = new Tagger(500, "a");
        var b = new Tagger(100, "b");
        var c = new Tagger(500, "c");

        var pipeline = new HitPipeline([a, b, c]);

        Assert.Equal<IHitEnricher>([b, a, c], pipeline.Steps);
    }

    private static async Task SendAsync(BeaconTestHost host, string ip, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif?u=" + Uri.EscapeDataString(url));
        request.Headers.Add("X-Test-Remote", ip);
        using var response = await host.Client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private sealed class StaffFilter : IHitEnricher
    {
        private static readonly IPNetwork Office = IPNetwork.Parse("10.0.0.0/8");

        public int Order => HitEnricherOrder.Bots + 10;

        public void Enrich(HitEnrichmentContext context)
        {
            if (context.Request.ClientIp is { } ip && Office.Contains(ip))
            {
                context.Drop("internal_traffic");
            }
        }
    }

    private sealed class Tagger(int order, string name) : IHitEnricher
    {
        public int Order => order;

        public void Enrich(HitEnrichmentContext context)
        {
            var props = new Dictionary<string, string>(context.Hit.Properties);
            props["steps"] = props.TryGetValue("steps", out var s) ? s + "," + name : name;
            context.Hit = context.Hit with { Properties = props };
        }
    }
}

public sealed class GeoEnricherTests
{
    [Fact]
    public async Task Pixel_WithGeoLocator_StoresCountryRegionCityButNotTheIp()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BeaconTestHost.StartAsync(
            store: b => b.UseInMemory(),
            services: s => s.AddSingleton<IGeoLocator>(new FakeLocator()));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif?u=" + Uri.EscapeDataString("https://example.com/"));
        request.Headers.Add("X-Test-Remote", "81.2.69.142");

        using var response = await host.Client.SendAsync(request, ct);

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal(("GB", "GB-ENG", "London"), (hit.Country, hit.Region, hit.City));
    }

    [Fact]
    public async Task Pixel_GeoLocatorThrows_HitIsStillRecorded()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var host = await BeaconTestHost.StartAsync(
            store: b => b.UseInMemory(),
            services: s => s.AddSingleton<IGeoLocator>(new ThrowingLocator()));

        using var response = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://example.com/"), ct);

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Null(hit.Country);
    }

    private sealed class FakeLocator : IGeoLocator
    {
        public GeoLocation? Locate(IPAddress address) =>
            address.Equals(IPAddress.Parse("81.2.69.142")) ? new GeoLocation("GB", "GB-ENG", "London") : null;
    }

    private sealed class ThrowingLocator : IGeoLocator
    {
        public GeoLocation? Locate(IPAddress address) => throw new InvalidOperationException("broken database");
    }
}

public sealed class BotFilterTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("curl/8.5.0", "bot_user_agent_pattern")]
    [InlineData("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "bot_user_agent_pattern")]
    [InlineData("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "bot_headless_browser")]
    public async Task Pixel_BotUserAgent_IsDroppedCountedAndLoggedWithoutTheUserAgent(string userAgent, string reason)
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());
        await SendAsync(host, userAgent, "https://example.com/crawled");
        await SendAsync(host, BeaconTestHost.BrowserUserAgent, "https://example.com/human");

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("/human", hit.Path);
        Assert.Equal("Firefox", hit.Browser);
        Assert.Equal("Windows", hit.OperatingSystem);
        Assert.Equal("Desktop", hit.DeviceType);
        Assert.Equal(1, host.Services.GetRequiredService<BeaconMetrics>().DroppedBy(reason));

        var log = await host.Client.GetStringAsync("/beacon/api/bots", Ct);
        Assert.Contains("/crawled", log, StringComparison.Ordinal);
        Assert.Contains(reason, log, StringComparison.Ordinal);
        Assert.DoesNotContain(userAgent.Split('/')[0], log.Replace(reason, string.Empty, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Pixel_PrefetchRequest_IsDropped()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif?u=" + Uri.EscapeDataString("https://example.com/prefetched"));
        request.Headers.TryAddWithoutValidation("Sec-Purpose", "prefetch");

        using var response = await host.Client.SendAsync(request, Ct);
        await SendAsync(host, BeaconTestHost.BrowserUserAgent, "https://example.com/real");

        Assert.Equal("/real", Assert.Single(await host.WaitForHitsAsync(1)).Path);
    }

    [Fact]
    public async Task Pixel_SpamReferrer_IsDropped()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());

        using var spam = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://example.com/") + "&r=" + Uri.EscapeDataString("http://semalt.com/"), Ct);
        await SendAsync(host, BeaconTestHost.BrowserUserAgent, "https://example.com/real");

        Assert.Equal("/real", Assert.Single(await host.WaitForHitsAsync(1)).Path);
        Assert.Equal(1, host.Services.GetRequiredService<BeaconMetrics>().DroppedBy("referrer_spam"));
    }

    [Fact]
    public async Task Pixel_ClientHints_WinOverTheUserAgent()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif?u=" + Uri.EscapeDataString("https://example.com/hints"));
        request.Headers.Remove("User-Agent");
        request.Headers.TryAddWithoutValidation("User-Agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36");
        request.Headers.TryAddWithoutValidation("Sec-CH-UA", "\"Google Chrome\";v=\"131\", \"Chromium\";v=\"131\", \"Not_A Brand\";v=\"24\"");
        request.Headers.TryAddWithoutValidation("Sec-CH-UA-Mobile", "?0");
        request.Headers.TryAddWithoutValidation("Sec-CH-UA-Platform", "\"Windows\"");
        request.Headers.TryAddWithoutValidation("Sec-CH-UA-Platform-Version", "\"15.0.0\"");

        using var response = await host.Client.SendAsync(request, Ct);

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal(("Chrome", "131", "Windows", "11"), (hit.Browser, hit.BrowserVersion, hit.OperatingSystem, hit.OperatingSystemVersion));
    }

    [Fact]
    public async Task Pixel_IncludeBots_KeepsBotHits()
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.IncludeBots = true, store: b => b.UseInMemory());

        await SendAsync(host, "curl/8.5.0", "https://example.com/crawled");

        Assert.Equal("/crawled", Assert.Single(await host.WaitForHitsAsync(1)).Path);
    }

    private static async Task SendAsync(BeaconTestHost host, string userAgent, string url)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif?u=" + Uri.EscapeDataString(url));
        request.Headers.Remove("User-Agent");
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        using var response = await host.Client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

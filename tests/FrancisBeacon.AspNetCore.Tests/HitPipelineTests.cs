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

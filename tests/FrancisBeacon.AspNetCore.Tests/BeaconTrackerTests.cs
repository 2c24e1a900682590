using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class BeaconTrackerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<BeaconTestHost> StartAsync(Action<BeaconOptions>? configure = null) =>
        BeaconTestHost.StartAsync(
            configure,
            store: b => b.UseInMemory(),
            map: app =>
            {
                app.UseBeacon();
                app.MapPost("/checkout", async (IBeaconTracker tracker) =>
                {
                    await tracker.TrackAsync("Purchase", new Dictionary<string, string> { ["plan"] = "pro" }, 49.90m, "EUR");
                    return Results.Ok();
                });
                app.MapPost("/explicit", async (IBeaconTracker tracker) =>
                {
                    await tracker.TrackAsync("Signup", url: "https://localhost/welcome");
                    return Results.Ok();
                });
            });

    [Fact]
    public void AddBeacon_RegistersTrackerAsSingleton()
    {
        var services = new ServiceCollection();
        services.AddBeacon().UseInMemory();

        var descriptor = Assert.Single(services, d => d.ServiceType == typeof(IBeaconTracker));

        Assert.Equal(ServiceLifetime.Singleton, descriptor.Lifetime);
    }

    [Fact]
    public async Task TrackAsync_InRequest_UsesRequestVisitorAndRefererPage()
    {
        await using var host = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/checkout");
        request.Headers.Referrer = new Uri("http://localhost/cart?step=2");
        using var pixel = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif");
        pixel.Headers.Referrer = new Uri("http://localhost/cart");

        using var response = await host.Client.SendAsync(request, Ct);
        using var pixelResponse = await host.Client.SendAsync(pixel, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hits = await host.WaitForHitsAsync(2);
        var purchase = Assert.Single(hits, h => h.EventName == "Purchase");
        var pageview = Assert.Single(hits, h => h.EventName == Hit.PageviewEvent);
        Assert.Equal("localhost", purchase.SiteId);
        Assert.Equal("/cart", purchase.Path);
        Assert.Equal(49.90m, purchase.RevenueAmount);
        Assert.Equal("EUR", purchase.RevenueCurrency);
        Assert.Equal("pro", purchase.Properties["plan"]);
        Assert.Null(purchase.Referrer);
        Assert.NotEqual(0, purchase.VisitorId);
        Assert.Equal(pageview.VisitorId, purchase.VisitorId); // the same person, by the same daily hash
    }

    [Fact]
    public async Task TrackAsync_InRequestWithForeignReferer_UsesTheRequestUrl()
    {
        await using var host = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/checkout");
        request.Headers.Referrer = new Uri("https://payment-provider.example/return");

        using var response = await host.Client.SendAsync(request, Ct);

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("localhost", hit.SiteId);
        Assert.Equal("/checkout", hit.Path);
    }

    [Fact]
    public async Task TrackAsync_InRequestWithUrl_UsesTheUrlAsPage()
    {
        await using var host = await StartAsync();

        using var response = await host.Client.PostAsync("/explicit", null, Ct);

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("Signup", hit.EventName);
        Assert.Equal("/welcome", hit.Path);
        Assert.NotEqual(0, hit.VisitorId);
    }

    [Fact]
    public async Task TrackAsync_FromABot_IsStillRecorded()
    {
        await using var host = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/checkout");
        request.Headers.TryAddWithoutValidation("User-Agent", "curl/8.5.0");

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal("Purchase", Assert.Single(await host.WaitForHitsAsync(1)).EventName);
    }

    [Fact]
    public async Task TrackAsync_OutsideRequest_UsesUrlForSiteAndHasNoVisitor()
    {
        await using var host = await StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "shop.example" }));
        var tracker = host.Services.GetRequiredService<IBeaconTracker>();

        await tracker.TrackAsync("Renewal", revenue: 9.5m, currency: "USD", url: "https://shop.example/account", cancellationToken: Ct);

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("shop.example", hit.SiteId);
        Assert.Equal("/account", hit.Path);
        Assert.Equal(0, hit.VisitorId);
        Assert.Null(hit.PreviousVisitorId);
        Assert.Equal(9.5m, hit.RevenueAmount);
        Assert.Equal("USD", hit.RevenueCurrency);
        Assert.Null(hit.Browser);
    }

    [Fact]
    public async Task TrackAsync_OutsideRequestWithoutUrl_Throws()
    {
        await using var host = await StartAsync();
        var tracker = host.Services.GetRequiredService<IBeaconTracker>();

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await tracker.TrackAsync("Renewal", cancellationToken: Ct));

        Assert.Equal("url", error.ParamName);
    }

    [Theory]
    [InlineData("eur")]
    [InlineData("EURO")]
    [InlineData("€")]
    public async Task TrackAsync_BadCurrency_Throws(string currency)
    {
        await using var host = await StartAsync();
        var tracker = host.Services.GetRequiredService<IBeaconTracker>();

        var error = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await tracker.TrackAsync("Purchase", revenue: 1m, currency: currency, url: "https://localhost/", cancellationToken: Ct));

        Assert.Equal("currency", error.ParamName);
    }

    [Fact]
    public async Task TrackAsync_RevenueWithoutCurrency_Throws()
    {
        await using var host = await StartAsync();
        var tracker = host.Services.GetRequiredService<IBeaconTracker>();

        await Assert.ThrowsAsync<ArgumentException>(async () =>
            await tracker.TrackAsync("Purchase", revenue: 1m, url: "https://localhost/", cancellationToken: Ct));
    }

    [Fact]
    public async Task TrackAsync_UnknownSite_IsDroppedAndCounted()
    {
        await using var host = await StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "shop.example" }));
        var tracker = host.Services.GetRequiredService<IBeaconTracker>();

        await tracker.TrackAsync("Renewal", url: "https://elsewhere.example/", cancellationToken: Ct);

        Assert.Equal(1, host.Services.GetRequiredService<BeaconMetrics>().DroppedUnknownSite);
    }

    [Fact]
    public async Task TrackAsync_PreCancelled_Throws()
    {
        await using var host = await StartAsync();
        var tracker = host.Services.GetRequiredService<IBeaconTracker>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            await tracker.TrackAsync("Renewal", url: "https://localhost/", cancellationToken: new CancellationToken(canceled: true)));
    }
}

using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class CompatibilityEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<BeaconTestHost> StartAsync(Action<BeaconOptions>? configure = null) =>
        BeaconTestHost.StartAsync(
            configure,
            store: b => b.UseInMemory(),
            map: app =>
            {
                app.UseBeacon();
                app.MapPost("/api/{name}", (string name) => Results.Text("the app's own " + name));
            });

    private static StringContent Json(string json, string mediaType = "text/plain") => new(json, Encoding.UTF8, mediaType);

    [Fact]
    public async Task Plausible_Off_LeavesApiEventToTheApp()
    {
        await using var host = await StartAsync();

        using var response = await host.Client.PostAsync("/api/event", Json("""{"n":"pageview","u":"https://example.com/","d":"example.com"}"""), Ct);

        Assert.Equal("the app's own event", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Plausible_ShortKeys_Answers202OkAndStoresEverything()
    {
        await using var host = await StartAsync(o => o.Compatibility.Plausible = true);

        using var response = await host.Client.PostAsync(
            "/api/event",
            Json("""{"n":"Purchase","u":"https://example.com/checkout?utm_campaign=spring","d":"example.com","r":"https://www.google.com/","w":1440,"p":{"plan":"pro","seats":3},"$":{"amount":"49.90","currency":"EUR"},"v":36,"h":0}"""),
            Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal("ok", await response.Content.ReadAsStringAsync(Ct));
        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("Purchase", hit.EventName);
        Assert.Equal("example.com", hit.SiteId);
        Assert.Equal("/checkout", hit.Path);
        Assert.Equal("spring", hit.UtmCampaign);
        Assert.Equal("Google", hit.ReferrerSource);
        Assert.Equal(1440, hit.ScreenWidth);
        Assert.Equal("pro", hit.Properties["plan"]);
        Assert.Equal("3", hit.Properties["seats"]);
        Assert.Equal(49.90m, hit.RevenueAmount);
        Assert.Equal("EUR", hit.RevenueCurrency);
    }

    [Fact]
    public async Task Plausible_LongKeysAndPropsAsJsonString_AreAccepted()
    {
        await using var host = await StartAsync(o => o.Compatibility.Plausible = true);

        using var response = await host.Client.PostAsync(
            "/api/event",
            Json("""{"name":"Signup","url":"https://example.com/","domain":"example.com","referrer":null,"props":"{\"plan\":\"free\",\"nested\":{\"a\":1}}"}""", "application/json"),
            Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("Signup", hit.EventName);
        Assert.Equal("free", hit.Properties["plan"]);
        Assert.False(hit.Properties.ContainsKey("nested")); // Plausible drops non-scalar props too
    }

    [Fact]
    public async Task Plausible_DomainNamesTheSiteWhenTheHostBelongsToNone()
    {
        await using var host = await StartAsync(o =>
        {
            o.Compatibility.Plausible = true;
            o.Sites.Add(new BeaconSiteOptions { Id = "example.com" });
            o.Sites.Add(new BeaconSiteOptions { Id = "other.example" });
        });

        using var response = await host.Client.PostAsync("/api/event", Json("""{"n":"pageview","u":"https://preview.netlify.test/","d":"unknown.example,other.example"}"""), Ct);

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("other.example", hit.SiteId);
        Assert.Equal("preview.netlify.test", hit.Hostname);
    }

    [Fact]
    public async Task Plausible_Engagement_IsAcceptedButNotRecorded()
    {
        await using var host = await StartAsync(o => o.Compatibility.Plausible = true);

        using var response = await host.Client.PostAsync("/api/event", Json("""{"n":"engagement","u":"https://example.com/","d":"example.com","sd":40,"e":3100,"v":36}"""), Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Task.Delay(150, Ct);
        Assert.Equal(0, host.Services.GetRequiredService<BeaconMetrics>().ReceivedTotal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("""{"u":"https://example.com/"}""")]
    [InlineData("""{"n":"pageview"}""")]
    [InlineData("""{"n":"pageview","u":"https://example.com/","$":{"amount":"1","currency":"eur"}}""")]
    [InlineData("""{"n":"pageview","u":"https://example.com/","p":"{broken"}""")]
    public async Task Plausible_BadBody_Answers400(string body)
    {
        await using var host = await StartAsync(o => o.Compatibility.Plausible = true);

        using var response = await host.Client.PostAsync("/api/event", Json(body), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Umami_Off_LeavesApiSendToTheApp()
    {
        await using var host = await StartAsync(o => o.Compatibility.Plausible = true);

        using var response = await host.Client.PostAsync("/api/send", Json("""{"type":"event","payload":{"hostname":"example.com","url":"/"}}"""), Ct);

        Assert.Equal("the app's own send", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Umami_Event_Answers200JsonAndMapsHostnameAndPath()
    {
        await using var host = await StartAsync(o => o.Compatibility.Umami = true);

        using var response = await host.Client.PostAsync(
            "/api/send",
            Json("""{"type":"event","payload":{"website":"4fb7b1d3-0000-4000-8000-000000000000","hostname":"example.com","screen":"1920x1080","language":"de-DE","title":"Pricing","url":"/pricing?utm_source=mastodon","referrer":"https://social.example/@me","name":"Signup","data":{"plan":"pro","trial":true}}}""", "application/json"),
            Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using (var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)))
        {
            Assert.Equal(System.Text.Json.JsonValueKind.Object, doc.RootElement.ValueKind);
        }

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("Signup", hit.EventName);
        Assert.Equal("example.com", hit.SiteId);
        Assert.Equal("/pricing", hit.Path);
        Assert.Equal("mastodon", hit.UtmSource);
        Assert.Equal("https://social.example/@me", hit.Referrer);
        Assert.Equal(1920, hit.ScreenWidth);
        Assert.Equal("pro", hit.Properties["plan"]);
        Assert.Equal("true", hit.Properties["trial"]);
    }

    [Fact]
    public async Task Umami_PageviewAfterInAppNavigation_HasNoExternalReferrer()
    {
        await using var host = await StartAsync(o => o.Compatibility.Umami = true);

        using var response = await host.Client.PostAsync("/api/send", Json("""{"type":"event","payload":{"hostname":"example.com","url":"/b","referrer":"/a","screen":"390x844"}}"""), Ct);

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal(Hit.PageviewEvent, hit.EventName);
        Assert.Equal("/b", hit.Path);
        Assert.Null(hit.Referrer);
        Assert.Equal(390, hit.ScreenWidth);
    }

    [Fact]
    public async Task Umami_Identify_IsAcceptedButNotRecorded()
    {
        await using var host = await StartAsync(o => o.Compatibility.Umami = true);

        using var response = await host.Client.PostAsync("/api/send", Json("""{"type":"identify","payload":{"hostname":"example.com","url":"/","data":{"user":"x"}}}"""), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Task.Delay(150, Ct);
        Assert.Equal(0, host.Services.GetRequiredService<BeaconMetrics>().ReceivedTotal);
    }

    [Theory]
    [InlineData("""{"type":"event"}""")]
    [InlineData("""{"type":"event","payload":{"url":"/"}}""")]
    [InlineData("""{"type":"event","payload":{"hostname":"exa mple/com","url":"/"}}""")]
    [InlineData("""[1,2]""")]
    public async Task Umami_BadBody_Answers400(string body)
    {
        await using var host = await StartAsync(o => o.Compatibility.Umami = true);

        using var response = await host.Client.PostAsync("/api/send", Json(body), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Event_RevenueAndDomain_AreStored()
    {
        await using var host = await StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" }));

        using var response = await host.Client.PostAsync(
            "/beacon/event",
            Json("""{"name":"Purchase","url":"https://staging.example.net/thanks","domain":"example.com","revenue":{"amount":"12.345","currency":"CHF"}}"""),
            Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("example.com", hit.SiteId);
        Assert.Equal(12.345m, hit.RevenueAmount);
        Assert.Equal("CHF", hit.RevenueCurrency);
    }

    [Theory]
    [InlineData("""{"amount":"12","currency":"chf"}""")]
    [InlineData("""{"amount":"12"}""")]
    [InlineData("""{"amount":"twelve","currency":"CHF"}""")]
    [InlineData("""{"amount":"1e400","currency":"CHF"}""")]
    [InlineData("""{"amount":"10000000000000","currency":"CHF"}""")]
    [InlineData("\"EUR\"")]
    public async Task Event_BadRevenue_Answers400(string revenue)
    {
        await using var host = await StartAsync();

        using var response = await host.Client.PostAsync("/beacon/event", Json($$"""{"name":"Purchase","url":"https://example.com/","revenue":{{revenue}}}"""), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}

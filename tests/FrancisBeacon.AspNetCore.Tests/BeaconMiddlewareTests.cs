using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class BeaconMiddlewareTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pixel_WithReferer_AnswersExactTransparentGifAndStoresHit()
    {
        await using var host = await BeaconTestHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif?r=https%3A%2F%2Fwww.example.org%2Fpost");
        request.Headers.Referrer = new Uri("http://localhost/page_a?utm_source=newsletter&utm_campaign=autumn");
        request.Headers.TryAddWithoutValidation("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0");
        request.Headers.AcceptLanguage.ParseAdd("de-DE,de;q=0.9");

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/gif", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var body = await response.Content.ReadAsByteArrayAsync(Ct);
        Assert.Equal(43, body.Length);
        Assert.Equal(Convert.FromBase64String("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="), body);

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("localhost", hit.SiteId);
        Assert.Equal("localhost", hit.Hostname);
        Assert.Equal("/page_a", hit.Path);
        Assert.Equal(Hit.PageviewEvent, hit.EventName);
        Assert.Equal("https://www.example.org/post", hit.Referrer);
        Assert.Equal("newsletter", hit.ReferrerSource); // utm_source names the source, as in Plausible
        Assert.Equal("newsletter", hit.UtmSource);
        Assert.Equal("autumn", hit.UtmCampaign);
        Assert.Equal("de-DE", hit.Language);
        Assert.NotEqual(0, hit.VisitorId);
    }

    [Fact]
    public async Task Pixel_UParameter_TakesPrecedenceOverReferer()
    {
        await using var host = await BeaconTestHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif?u=" + Uri.EscapeDataString("https://shop.example/cart"));
        request.Headers.Referrer = new Uri("http://localhost/ignored");

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("shop.example", hit.SiteId);
        Assert.Equal("/cart", hit.Path);
    }

    [Fact]
    public async Task Event_ValidJson_Answers202WithNoBodyAndStoresNameAndProps()
    {
        await using var host = await BeaconTestHost.StartAsync();
        using var content = new StringContent(
            """{"name":"Signup","url":"https://example.com/pricing","referrer":"https://news.ycombinator.com/","screen_width":1280,"props":{"plan":"pro","seats":3,"trial":true},"extra":"ignored"}""",
            Encoding.UTF8,
            "text/plain");

        using var response = await host.Client.PostAsync("/beacon/event", content, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(Ct));
        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("Signup", hit.EventName);
        Assert.Equal("example.com", hit.SiteId);
        Assert.Equal("/pricing", hit.Path);
        Assert.Equal(1280, hit.ScreenWidth);
        Assert.Equal("Hacker News", hit.ReferrerSource);
        Assert.Equal("pro", hit.Properties["plan"]);
        Assert.Equal("3", hit.Properties["seats"]);
        Assert.Equal("true", hit.Properties["trial"]);
    }

    [Fact]
    public async Task Event_HostileStrings_AreStoredAsDataAndEscapedInApi()
    {
        await using var host = await BeaconTestHost.StartAsync();
        const string path = "/<script>alert(1)</script>'; DROP TABLE beacon_hits; --";
        using var content = new StringContent(
            "{\"url\":\"https://example.com" + path + "\",\"props\":{\"q\":\"' OR 1=1 --\"}}",
            Encoding.UTF8);

        using var response = await host.Client.PostAsync("/beacon/event", content, Ct);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("' OR 1=1 --", hit.Properties["q"]);
        Assert.Contains("<script>", hit.Path, StringComparison.Ordinal);

        var json = await host.Client.GetStringAsync("/beacon/api/stats?site_id=example.com&period=day", Ct);
        Assert.DoesNotContain("<script>", json, StringComparison.Ordinal);
        Assert.Contains("\\u003Cscript\\u003E", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/beacon/hit.gif")]
    [InlineData("/beacon/hit.gif?u=not-a-url")]
    [InlineData("/beacon/hit.gif?u=javascript%3Aalert(1)")]
    [InlineData("/beacon/hit.gif?u=ftp%3A%2F%2Fexample.com%2F")]
    public async Task Pixel_WithoutUsablePage_Answers400(string url)
    {
        await using var host = await BeaconTestHost.StartAsync();

        using var response = await host.Client.GetAsync(url, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await BeaconTestHost.ReadAllAsync(host.Store));
    }

    [Fact]
    public async Task Pixel_UrlOver2KB_Answers400()
    {
        await using var host = await BeaconTestHost.StartAsync();
        var url = "https://example.com/" + new string('a', 2100);

        using var response = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString(url), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("{bad json")]
    [InlineData("[1,2,3]")]
    [InlineData("\"just a string\"")]
    [InlineData("{\"url\":42}")]
    [InlineData("{\"url\":\"https://example.com/\",\"props\":[1]}")]
    [InlineData("{\"url\":\"https://example.com/\",\"props\":{\"a\":{\"nested\":1}}}")]
    [InlineData("{\"url\":\"https://example.com/\",\"screen_width\":\"wide\"}")]
    [InlineData("{\"url\":\"https://example.com/\",\"screen_width\":-5}")]
    [InlineData("{\"name\":\"x\"}")]
    [InlineData("")]
    public async Task Event_MalformedBody_Answers400(string body)
    {
        await using var host = await BeaconTestHost.StartAsync();
        using var content = new StringContent(body, Encoding.UTF8);

        using var response = await host.Client.PostAsync("/beacon/event", content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Event_InvalidUtf8_Answers400()
    {
        await using var host = await BeaconTestHost.StartAsync();
        var bytes = Encoding.UTF8.GetBytes("{\"url\":\"https://example.com/\u00e9\"}");
        bytes[^3] = 0xFF; // break the multi-byte sequence
        using var content = new ByteArrayContent(bytes);

        using var response = await host.Client.PostAsync("/beacon/event", content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Event_BodyOver8KB_Answers413()
    {
        await using var host = await BeaconTestHost.StartAsync();
        var json = "{\"url\":\"https://example.com/\",\"props\":{\"a\":\"" + new string('x', 9000) + "\"}}";
        using var content = new StringContent(json, Encoding.UTF8);

        using var response = await host.Client.PostAsync("/beacon/event", content, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Event_ChunkedBodyOver8KBWithoutContentLength_Answers413()
    {
        await using var host = await BeaconTestHost.StartAsync();
        var json = "{\"url\":\"https://example.com/\",\"pad\":\"" + new string('x', 20_000) + "\"}";
        using var content = new StreamContent(new NonSeekableStream(Encoding.UTF8.GetBytes(json)));

        using var response = await host.Client.PostAsync("/beacon/event", content, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Event_TooManyProps_Answers400()
    {
        await using var host = await BeaconTestHost.StartAsync();
        var props = string.Join(",", Enumerable.Range(0, 31).Select(i => $"\"k{i}\":\"v\""));
        using var content = new StringContent("{\"url\":\"https://example.com/\",\"props\":{" + props + "}}", Encoding.UTF8);

        using var response = await host.Client.PostAsync("/beacon/event", content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Pixel_Head_AnswersTheGifHeadersAndRecordsNothing()
    {
        // Browsers never send HEAD for an image; link checkers and uptime monitors do (h2 probe, session 20).
        await using var host = await BeaconTestHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Head, "/beacon/hit.gif?u=" + Uri.EscapeDataString("https://example.com/pricing"));
        request.Headers.TryAddWithoutValidation("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0");
        request.Headers.AcceptLanguage.ParseAdd("en");

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/gif", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(43, response.Content.Headers.ContentLength);
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync(Ct));
        await Task.Delay(150, Ct);
        Assert.Equal(0, host.Services.GetRequiredService<BeaconMetrics>().ReceivedTotal);
        Assert.Empty(await BeaconTestHost.ReadAllAsync(host.Store));
    }

    [Theory]
    [InlineData("POST", "/beacon/hit.gif")]
    [InlineData("PUT", "/beacon/hit.gif")]
    [InlineData("GET", "/beacon/event")]
    [InlineData("DELETE", "/beacon/event")]
    public async Task Endpoints_WrongMethod_Answer405(string method, string path)
    {
        await using var host = await BeaconTestHost.StartAsync();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Pixel_CustomPathPrefix_ServesUnderPrefix()
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.PathPrefix = "/stats/b");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/stats/b/hit.gif");
        request.Headers.Referrer = new Uri("http://localhost/x");

        using var response = await host.Client.SendAsync(request, Ct);
        using var old = await host.Client.GetAsync("/beacon/hit.gif?u=http%3A%2F%2Flocalhost%2F", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, old.StatusCode);
    }

    [Fact]
    public async Task Pixel_UnknownHostWithConfiguredSites_IsDroppedAndCounted()
    {
        await using var host = await BeaconTestHost.StartAsync(o =>
        {
            var site = new BeaconSiteOptions { Id = "example.com" };
            site.Hostnames.Add("example.com");
            site.Hostnames.Add("*.example.com");
            o.Sites.Add(site);
        });

        using var unknown = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://evil.test/"), Ct);
        using var wildcard = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://blog.example.com/post"), Ct);

        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("example.com", hit.SiteId);
        Assert.Equal("blog.example.com", hit.Hostname);
        Assert.Equal(1, host.Services.GetRequiredService<BeaconMetrics>().DroppedUnknownSite);
    }

    [Fact]
    public async Task Pixel_UnknownHostWithDefaultSite_GoesToDefaultSite()
    {
        await using var host = await BeaconTestHost.StartAsync(o =>
        {
            o.Sites.Add(new BeaconSiteOptions { Id = "example.com" });
            o.DefaultSiteId = "example.com";
        });

        using var response = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://mirror.test/a"), Ct);

        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("example.com", hit.SiteId);
        Assert.Equal("mirror.test", hit.Hostname);
    }

    [Fact]
    public async Task Queue_Full_DropsAndCountsWithoutBlocking()
    {
        var gate = new BlockingHitStore();
        await using var host = await BeaconTestHost.StartAsync(
            o =>
            {
                o.QueueCapacity = 5;
                o.MaxBatchSize = 1;
            },
            store: b => b.UseStore(_ => gate));

        for (var i = 0; i < 20; i++)
        {
            using var response = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString($"https://example.com/{i}"), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var metrics = host.Services.GetRequiredService<BeaconMetrics>();
        // Five hits hold the queue's places (the one in the blocked writer's batch among them), the rest are dropped.
        Assert.Equal(15, metrics.DroppedQueueFull);
        gate.Release();
        await WaitUntilAsync(() => gate.Inner.Count == 20 - metrics.DroppedQueueFull);
        Assert.Equal(20 - metrics.DroppedQueueFull, gate.Inner.Count);
    }

    [Fact]
    public async Task Writer_StoreFailsThenRecovers_RetriesAndLosesNothing()
    {
        var flaky = new FlakyHitStore(failures: 3);
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseStore(_ => flaky));

        for (var i = 0; i < 10; i++)
        {
            using var response = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString($"https://example.com/{i}"), Ct);
        }

        await WaitUntilAsync(() => flaky.Inner.Count == 10, TimeSpan.FromSeconds(20));
        Assert.Equal(10, flaky.Inner.Count);
        Assert.True(flaky.Attempts > 3);
    }

    [Fact]
    public async Task Shutdown_HitsStillQueued_AreWritten()
    {
        var path = BeaconTestHost.NewDatabasePath();
        var host = await BeaconTestHost.StartAsync(o => o.FlushInterval = TimeSpan.FromMinutes(1), databasePath: path);
        for (var i = 0; i < 250; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif");
            request.Headers.Referrer = new Uri($"http://localhost/page_{i % 2}");
            using var response = await host.Client.SendAsync(request, Ct);
        }

        // Nothing has been flushed yet: the batch waits for its interval or its size.
        Assert.Empty(await BeaconTestHost.ReadAllAsync(host.Store));
        await host.App.StopAsync(Ct);

        var reopened = new FrancisBeacon.Sqlite.SqliteHitStore(new FrancisBeacon.Sqlite.SqliteHitStoreOptions { ConnectionString = BeaconTestHost.ConnectionString(path) });
        var stored = await BeaconTestHost.ReadAllAsync(reopened);
        Assert.Equal(250, stored.Count);
        Assert.Equal(125, stored.Count(h => h.Path == "/page_0"));
        await host.DisposeAsync();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition() && clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(10)))
        {
            await Task.Delay(20, Ct);
        }
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();
    }
}

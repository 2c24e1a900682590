using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed partial class ServerSideTrackingTests
{
    private const string NavigationAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<BeaconTestHost> StartAsync(Action<ServerSideTrackingOptions>? configure = null, Action<IServiceCollection>? services = null, Action<BeaconOptions>? options = null) =>
        BeaconTestHost.StartAsync(
            o =>
            {
                o.ServerSideTracking.Enabled = true;
                configure?.Invoke(o.ServerSideTracking);
                options?.Invoke(o);
            },
            store: b => b.UseInMemory(),
            services: services,
            map: app =>
            {
                // As UseExceptionHandler does in production: an exception becomes a 500 outside UseBeacon.
                app.UseExceptionHandler(error => error.Run(context =>
                {
                    context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                    return Task.CompletedTask;
                }));
                app.UseBeacon();
                app.MapGet("/", () => Html("<p>home</p>"));
                app.MapGet("/pricing", () => Html("<p>pricing</p>"));
                app.MapGet("/admin/users", () => Html("<p>admin</p>"));
                app.MapGet("/data.json", () => Results.Json(new { ok = true }));
                app.MapGet("/missing", () => Results.NotFound());
                app.MapGet("/busy", () => Results.StatusCode(503));
                app.MapGet("/boom", string () => throw new InvalidOperationException("app failure"));
                app.MapGet("/confirmed", (HttpContext context) => Html($"<p>page</p>{TrackerScript.ConfirmationTag(context)}"));
            });

    private static IResult Html(string body) => Results.Content($"<!doctype html><html><body>{body}</body></html>", "text/html; charset=utf-8");

    private static HttpRequestMessage Navigation(string path, string? referer = null, string? secFetchDest = null, string accept = NavigationAccept)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        if (referer is not null)
        {
            request.Headers.Referrer = new Uri(referer);
        }

        if (secFetchDest is not null)
        {
            request.Headers.TryAddWithoutValidation("Sec-Fetch-Dest", secFetchDest);
            request.Headers.TryAddWithoutValidation("Sec-Fetch-Mode", secFetchDest == "document" ? "navigate" : "no-cors");
        }

        return request;
    }

    /// <summary>Sends a request; its own headers win over the client's defaults.</summary>
    private static async Task<HttpResponseMessage> SendAsync(BeaconTestHost host, HttpRequestMessage request)
    {
        using (request)
        {
            return await host.Client.SendAsync(request, Ct);
        }
    }

    /// <summary>Nothing reached the queue (server-side tracking records before the request completes).</summary>
    private static async Task AssertNothingRecordedAsync(BeaconTestHost host)
    {
        await Task.Delay(150, Ct);
        Assert.Equal(0, host.Services.GetRequiredService<BeaconMetrics>().ReceivedTotal);
        Assert.Empty(await BeaconTestHost.ReadAllAsync(host.Store));
    }

    [Fact]
    public async Task HtmlNavigation_Enabled_RecordsPageviewFromRequestUrlAndReferer()
    {
        await using var host = await StartAsync();

        using var response = await SendAsync(host, Navigation("/pricing?utm_source=newsletter&secret=1", referer: "https://news.ycombinator.com/item?id=1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("<!doctype html><html><body><p>pricing</p></body></html>", await response.Content.ReadAsStringAsync(Ct));
        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal(Hit.PageviewEvent, hit.EventName);
        Assert.Equal("localhost", hit.SiteId);
        Assert.Equal("/pricing", hit.Path);
        Assert.Equal("newsletter", hit.UtmSource);
        Assert.Equal("https://news.ycombinator.com/item?id=1", hit.Referrer);
        Assert.Null(hit.ScreenWidth);
        Assert.NotEqual(0, hit.VisitorId);
        Assert.Equal("Firefox", hit.Browser);
    }

    [Fact]
    public async Task HtmlNavigation_Disabled_RecordsNothing()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory(), map: app =>
        {
            app.UseBeacon();
            app.MapGet("/", () => Html("home"));
        });

        using var response = await SendAsync(host, Navigation("/"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await AssertNothingRecordedAsync(host);
    }

    [Fact]
    public async Task Navigation_UnderPathBase_RecordsFullPath()
    {
        await using var host = await BeaconTestHost.StartAsync(
            o => o.ServerSideTracking.Enabled = true,
            store: b => b.UseInMemory(),
            map: app =>
            {
                app.UsePathBase("/shop");
                app.UseBeacon();
                app.MapGet("/cart", () => Html("cart"));
            });

        using var response = await SendAsync(host, Navigation("/shop/cart"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/shop/cart", Assert.Single(await host.WaitForHitsAsync(1)).Path);
    }

    [Theory]
    [InlineData("/data.json", null, NavigationAccept)] // not HTML
    [InlineData("/", "image", "image/avif,*/*")] // an <img> of an HTML page
    [InlineData("/", "iframe", NavigationAccept)] // a frame, not the top document
    [InlineData("/", null, "*/*")] // fetch() without Fetch Metadata
    [InlineData("/beacon/hit.gif", "document", NavigationAccept)] // the beacon's own endpoints
    public async Task Request_NotAnHtmlNavigation_RecordsNothing(string path, string? secFetchDest, string accept)
    {
        await using var host = await StartAsync();

        using var response = await SendAsync(host, Navigation(path, secFetchDest: secFetchDest, accept: accept));

        await AssertNothingRecordedAsync(host);
    }

    [Fact]
    public async Task SecFetchDestDocument_WithAcceptAnything_IsANavigation()
    {
        await using var host = await StartAsync();

        using var response = await SendAsync(host, Navigation("/", secFetchDest: "document", accept: "*/*"));

        Assert.Equal("/", Assert.Single(await host.WaitForHitsAsync(1)).Path);
    }

    [Fact]
    public async Task HeadAndPost_RecordNothing()
    {
        await using var host = await StartAsync();
        host.Client.DefaultRequestHeaders.Remove("Accept");
        host.Client.DefaultRequestHeaders.TryAddWithoutValidation("Accept", NavigationAccept);

        using var head = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/"), Ct);
        using var post = await host.Client.PostAsync("/", new StringContent("x"), Ct);

        await AssertNothingRecordedAsync(host);
    }

    [Theory]
    [InlineData("Sec-Purpose", "prefetch")]
    [InlineData("Sec-Purpose", "prefetch;prerender")]
    [InlineData("Purpose", "prefetch")]
    public async Task Prefetch_IsDroppedAndCounted(string header, string value)
    {
        await using var host = await StartAsync();
        var request = Navigation("/");
        request.Headers.TryAddWithoutValidation(header, value);

        using var response = await SendAsync(host, request);

        await AssertNothingRecordedAsync(host);
        Assert.Equal(1, host.Services.GetRequiredService<BeaconMetrics>().DroppedBy("prefetch"));
    }

    [Fact]
    public async Task ExcludedPath_IsNotRecordedButItsSiblingsAre()
    {
        await using var host = await StartAsync(s => s.ExcludePaths.Add("/admin"));

        using var admin = await SendAsync(host, Navigation("/admin/users"));
        using var home = await SendAsync(host, Navigation("/"));

        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("/", hit.Path);
        await Task.Delay(100, Ct);
        Assert.Single(await BeaconTestHost.ReadAllAsync(host.Store));
    }

    [Fact]
    public async Task NotFound_WhenTracked_RecordsEvent404WithPath()
    {
        await using var host = await StartAsync(s => s.TrackNotFound = true);

        using var missing = await SendAsync(host, Navigation("/missing"));
        using var unmapped = await SendAsync(host, Navigation("/no/such/page"));

        Assert.Equal(HttpStatusCode.NotFound, unmapped.StatusCode);
        var hits = await host.WaitForHitsAsync(2);
        Assert.Equal(2, hits.Count);
        Assert.All(hits, h => Assert.Equal("404", h.EventName));
        Assert.Equal(["/missing", "/no/such/page"], hits.Select(h => h.Properties["path"]).Order());
        Assert.Contains(hits, h => h.Path == "/no/such/page");
    }

    [Fact]
    public async Task NotFound_ByDefault_RecordsNothing()
    {
        await using var host = await StartAsync();

        using var response = await SendAsync(host, Navigation("/missing"));

        await AssertNothingRecordedAsync(host);
    }

    [Fact]
    public async Task ServerErrors_WhenTracked_RecordServerErrorWithStatus()
    {
        await using var host = await StartAsync(s => s.TrackServerErrors = true);

        using var busy = await SendAsync(host, Navigation("/busy"));
        using var boom = await SendAsync(host, Navigation("/boom"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
        Assert.Equal(HttpStatusCode.InternalServerError, boom.StatusCode);
        var hits = await host.WaitForHitsAsync(2);
        Assert.Equal(2, hits.Count);
        Assert.All(hits, h => Assert.Equal("Server Error", h.EventName));
        Assert.Equal(["500", "503"], hits.Select(h => h.Properties["status"]).Order());
    }

    [Fact]
    public async Task BotNavigation_IsDroppedByTheBotFilter()
    {
        await using var host = await StartAsync();
        var request = Navigation("/");
        request.Headers.Remove("User-Agent");
        request.Headers.TryAddWithoutValidation("User-Agent", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");

        using var response = await SendAsync(host, request);

        await AssertNothingRecordedAsync(host);
        Assert.Equal(1, host.Services.GetRequiredService<BeaconMetrics>().DroppedBy("bot_user_agent_pattern"));
    }

    [Fact]
    public async Task GlobalPrivacyControl_IsHonoured()
    {
        await using var host = await StartAsync();
        var request = Navigation("/");
        request.Headers.TryAddWithoutValidation("Sec-GPC", "1");

        using var response = await SendAsync(host, request);

        await AssertNothingRecordedAsync(host);
        Assert.Equal(1, host.Services.GetRequiredService<BeaconMetrics>().DroppedBy("gpc"));
    }

    [Fact]
    public async Task Confirmation_ImageLoaded_RecordsThePageViewOnce()
    {
        await using var host = await StartAsync(s => s.RequireConfirmation = true);

        using var page = await SendAsync(host, Navigation("/confirmed", referer: "https://duckduckgo.com/"));
        var html = await page.Content.ReadAsStringAsync(Ct);
        var src = ConfirmationSrc().Match(html).Groups[1].Value;
        await AssertNothingRecordedAsync(host);
        Assert.Equal(1, host.Services.GetRequiredService<ServerSideTracker>().Pending.Count);

        using var image = await host.Client.GetAsync(src, Ct);
        using var again = await host.Client.GetAsync(src, Ct);

        Assert.StartsWith("/beacon/c/", src, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        Assert.Equal("image/gif", image.Content.Headers.ContentType?.MediaType);
        Assert.Equal(43, (await image.Content.ReadAsByteArrayAsync(Ct)).Length);
        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("/confirmed", hit.Path);
        Assert.Equal("https://duckduckgo.com/", hit.Referrer);
        await Task.Delay(100, Ct);
        Assert.Single(await BeaconTestHost.ReadAllAsync(host.Store));
        Assert.Equal(0, host.Services.GetRequiredService<ServerSideTracker>().Pending.Count);
    }

    [Fact]
    public async Task Confirmation_NotLoadedInTime_IsDroppedAsUnconfirmed()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        await using var host = await StartAsync(s => s.RequireConfirmation = true, services: s => s.AddSingleton<TimeProvider>(time));

        using var page = await SendAsync(host, Navigation("/confirmed"));
        var src = ConfirmationSrc().Match(await page.Content.ReadAsStringAsync(Ct)).Groups[1].Value;
        time.Advance(TimeSpan.FromSeconds(31)); // the sweep timer runs

        Assert.Equal(1, host.Services.GetRequiredService<BeaconMetrics>().DroppedBy("unconfirmed"));
        using var late = await host.Client.GetAsync(src, Ct);
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        await AssertNothingRecordedAsync(host);
    }

    [Fact]
    public async Task Confirmation_FromAnotherBrowser_DoesNotConfirm()
    {
        await using var host = await StartAsync(s => s.RequireConfirmation = true);
        using var page = await SendAsync(host, Navigation("/confirmed"));
        var src = ConfirmationSrc().Match(await page.Content.ReadAsStringAsync(Ct)).Groups[1].Value;

        using var request = new HttpRequestMessage(HttpMethod.Get, src);
        request.Headers.TryAddWithoutValidation("User-Agent", BeaconTestHost.OtherBrowserUserAgent);
        using var image = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, image.StatusCode);
        await AssertNothingRecordedAsync(host);
        Assert.Equal(1, host.Services.GetRequiredService<ServerSideTracker>().Pending.Count);
    }

    [Fact]
    public async Task Confirmation_HeadRequest_DoesNotConfirm()
    {
        // A link checker that sends HEAD for every image of the page is no browser that loaded it.
        await using var host = await StartAsync(s => s.RequireConfirmation = true);
        using var page = await SendAsync(host, Navigation("/confirmed"));
        var src = ConfirmationSrc().Match(await page.Content.ReadAsStringAsync(Ct)).Groups[1].Value;

        using var head = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, src), Ct);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal("image/gif", head.Content.Headers.ContentType?.MediaType);
        await AssertNothingRecordedAsync(host);
        Assert.Equal(1, host.Services.GetRequiredService<ServerSideTracker>().Pending.Count);
        using var image = await host.Client.GetAsync(src, Ct);
        Assert.Equal("/confirmed", Assert.Single(await host.WaitForHitsAsync(1)).Path);
    }

    [Fact]
    public async Task Confirmation_PageWithoutTheImage_IsDroppedAsMissing()
    {
        await using var host = await StartAsync(s => s.RequireConfirmation = true);

        using var response = await SendAsync(host, Navigation("/pricing"));

        await AssertNothingRecordedAsync(host);
        Assert.Equal(1, host.Services.GetRequiredService<BeaconMetrics>().DroppedBy("confirmation_missing"));
    }

    [Fact]
    public async Task ConfirmationTag_WhenConfirmationIsOff_IsEmpty()
    {
        await using var host = await StartAsync();

        using var response = await SendAsync(host, Navigation("/confirmed"));

        Assert.Equal("<!doctype html><html><body><p>page</p></body></html>", await response.Content.ReadAsStringAsync(Ct));
        Assert.Single(await host.WaitForHitsAsync(1));
    }

    [Fact]
    public void PendingPageViews_Full_RefusesNewEntries()
    {
        var time = new FakeTimeProvider();
        using var metrics = new BeaconMetrics(new TestMeterFactory());
        using var pending = new PendingPageViews(TimeSpan.FromSeconds(30), time, metrics, enabled: false);
        var hit = new Hit { SiteId = "s", Timestamp = time.GetUtcNow(), Path = "/" };
        for (var i = 0; i < PendingPageViews.Capacity; i++)
        {
            Assert.True(pending.TryAdd("t" + i, hit, 1));
        }

        Assert.False(pending.TryAdd("one-more", hit, 1));
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(pending.TryAdd("after-expiry", hit, 1));
        Assert.Equal(PendingPageViews.Capacity, metrics.DroppedBy("unconfirmed"));
        Assert.Same(hit, pending.TryConfirm("after-expiry", 1));
    }

    [Theory]
    [InlineData("admin")]
    [InlineData("")]
    public void Validator_ExcludePathWithoutSlash_Fails(string path)
    {
        var options = new BeaconOptions();
        options.ServerSideTracking.ExcludePaths.Add(path);

        var result = new BeaconOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("ServerSideTracking.ExcludePaths[0]", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_ConfirmationTimeoutOutOfRange_Fails()
    {
        var options = new BeaconOptions();
        options.ServerSideTracking.ConfirmationTimeout = TimeSpan.FromMilliseconds(10);

        Assert.True(new BeaconOptionsValidator().Validate(null, options).Failed);
    }

    [GeneratedRegex("<img src=\"([^\"]+)\"")]
    private static partial Regex ConfirmationSrc();

    private sealed class TestMeterFactory : System.Diagnostics.Metrics.IMeterFactory
    {
        private readonly List<System.Diagnostics.Metrics.Meter> _meters = [];

        public System.Diagnostics.Metrics.Meter Create(System.Diagnostics.Metrics.MeterOptions options)
        {
            var meter = new System.Diagnostics.Metrics.Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}

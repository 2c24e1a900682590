using Microsoft.Playwright;

namespace FrancisBeacon.Browser.Tests;

/// <summary>Every way of tracking, end to end: a real Chromium, a real Kestrel socket, the in-memory store.</summary>
public sealed class TrackingInBrowserTests(ChromiumFixture chromium)
{
    private static bool IsPageview(Hit hit) => hit.EventName == Hit.PageviewEvent;

    [Fact]
    public async Task TrackerScript_PageLoad_RecordsPageview()
    {
        await using var site = await TestSite.StartAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync($"{site.Origin}/js/pricing?utm_source=newsletter");

        var hit = Assert.Single(await site.WaitForHitsAsync(h => h.Count >= 1));
        Assert.Equal(Hit.PageviewEvent, hit.EventName);
        Assert.Equal(TestSite.Host, hit.SiteId);
        Assert.Equal("/js/pricing", hit.Path);
        Assert.Equal("newsletter", hit.UtmSource);
        Assert.Equal(1280, hit.ScreenWidth);
        Assert.Equal("Chrome", hit.Browser);
        Assert.Equal("Linux", hit.OperatingSystem);
        Assert.Equal("en-GB", hit.Language);
        Assert.NotEqual(0, hit.VisitorId);
    }

    [Fact]
    public async Task TrackerScript_PushState_RecordsTheNextPageview()
    {
        await using var site = await TestSite.StartAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{site.Origin}/js/app");
        await site.WaitForHitsAsync(h => h.Count >= 1);

        await page.EvaluateAsync("history.pushState({}, '', '/js/app/settings')");
        await page.EvaluateAsync("history.replaceState({}, '', '/js/app/settings?tab=2')"); // same path: not a new page view

        var hits = await site.WaitForHitsAsync(h => h.Count(IsPageview) >= 2);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Equal(["/js/app", "/js/app/settings"], hits.Where(IsPageview).OrderBy(h => h.Timestamp).Select(h => h.Path));
        Assert.Equal(hits[0].VisitorId, hits[1].VisitorId);
    }

    [Fact]
    public async Task TrackerScript_CustomEvent_ArrivesWithPropsAndRevenue()
    {
        await using var site = await TestSite.StartAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{site.Origin}/js/signup");

        await page.EvaluateAsync("""beacon("Signup", { props: { plan: "pro", seats: 3 } })""");
        await page.EvaluateAsync("""beacon("Purchase", { revenue: { amount: 49.9, currency: "EUR" } })""");

        var hits = await site.WaitForHitsAsync(h => h.Any(x => x.EventName == "Signup") && h.Any(x => x.EventName == "Purchase"));
        var signup = Assert.Single(hits, h => h.EventName == "Signup");
        Assert.Equal("/js/signup", signup.Path);
        Assert.Equal("pro", signup.Properties["plan"]);
        Assert.Equal("3", signup.Properties["seats"]);
        var purchase = Assert.Single(hits, h => h.EventName == "Purchase");
        Assert.Equal(49.9m, purchase.RevenueAmount);
        Assert.Equal("EUR", purchase.RevenueCurrency);
    }

    [Fact]
    public async Task TrackerScript_OutboundLinkClick_IsRecorded()
    {
        await using var site = await TestSite.StartAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{site.Origin}/js/links");
        await site.WaitForHitsAsync(h => h.Count >= 1);

        await page.ClickAsync("#out");
        await page.WaitForURLAsync($"http://{TestSite.OtherHost}:{site.Port}/js/elsewhere");

        var hits = await site.WaitForHitsAsync(h => h.Any(x => x.EventName == "Outbound Link: Click"));
        var click = Assert.Single(hits, h => h.EventName == "Outbound Link: Click");
        Assert.Equal(TestSite.Host, click.SiteId);
        Assert.Equal("/js/links", click.Path);
        Assert.Equal($"http://{TestSite.OtherHost}:{site.Port}/js/elsewhere", click.Properties["url"]);
    }

    [Fact]
    public async Task NoScript_ServerSideTracking_RecordsThePageview()
    {
        await using var site = await TestSite.StartAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();

        var response = await page.GotoAsync($"{site.Origin}/plain?utm_campaign=autumn", new PageGotoOptions { Referer = "https://news.ycombinator.com/" });

        Assert.Equal(200, response!.Status);
        var hit = Assert.Single(await site.WaitForHitsAsync(h => h.Count >= 1));
        Assert.Equal(Hit.PageviewEvent, hit.EventName);
        Assert.Equal(TestSite.Host, hit.SiteId);
        Assert.Equal("/plain", hit.Path);
        Assert.Equal("autumn", hit.UtmCampaign);
        Assert.Equal("Hacker News", hit.ReferrerSource);
        Assert.Equal("Chrome", hit.Browser);
        Assert.Null(hit.ScreenWidth); // the server cannot know it
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Equal(1, site.Store.Count); // the page loads nothing else that could count
    }

    [Fact]
    public async Task NoScript_WithConfirmation_RecordsOnceTheImageLoads()
    {
        await using var site = await TestSite.StartAsync(o => o.ServerSideTracking.RequireConfirmation = true);
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var confirmation = page.WaitForResponseAsync(r => r.Url.Contains("/beacon/c/", StringComparison.Ordinal));

        await page.GotoAsync($"{site.Origin}/confirm");

        Assert.Equal(200, (await confirmation).Status);
        var hit = Assert.Single(await site.WaitForHitsAsync(h => h.Count >= 1));
        Assert.Equal("/confirm", hit.Path);
    }

    [Fact]
    public async Task PlausibleOfficialTracker_PageviewAndEvent_AreRecorded()
    {
        await using var site = await TestSite.StartAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var sent = page.WaitForRequestAsync(r => r.Url.EndsWith("/api/event", StringComparison.Ordinal) && r.Method == "POST");

        await page.GotoAsync($"{site.Origin}/compat/plausible/home", new PageGotoOptions { Referer = "https://duckduckgo.com/" });

        Assert.Contains("\"n\":\"pageview\"", (await sent).PostData, StringComparison.Ordinal); // its own short keys
        var first = Assert.Single(await site.WaitForHitsAsync(h => h.Count >= 1));
        Assert.Equal("/compat/plausible/home", first.Path);
        Assert.Equal(TestSite.Host, first.SiteId);
        Assert.Equal("DuckDuckGo", first.ReferrerSource);

        await page.EvaluateAsync("""window.plausible("Signup", { props: { plan: "pro" }, revenue: { amount: 19.99, currency: "USD" } })""");
        await page.EvaluateAsync("history.pushState({}, '', '/compat/plausible/pricing')");

        var hits = await site.WaitForHitsAsync(h => h.Any(x => x.EventName == "Signup") && h.Count(IsPageview) >= 2);
        var signup = Assert.Single(hits, h => h.EventName == "Signup");
        Assert.Equal("pro", signup.Properties["plan"]);
        Assert.Equal(19.99m, signup.RevenueAmount);
        Assert.Equal("USD", signup.RevenueCurrency);
        Assert.Contains(hits, h => IsPageview(h) && h.Path == "/compat/plausible/pricing");
        Assert.DoesNotContain(hits, h => h.EventName == "engagement");
    }

    [Fact]
    public async Task UmamiOfficialTracker_PageviewEventAndNavigation_AreRecorded()
    {
        await using var site = await TestSite.StartAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();

        await page.GotoAsync($"{site.Origin}/compat/umami/home?utm_source=mastodon");

        var first = Assert.Single(await site.WaitForHitsAsync(h => h.Count >= 1));
        Assert.Equal(Hit.PageviewEvent, first.EventName);
        Assert.Equal(TestSite.Host, first.SiteId);
        Assert.Equal("/compat/umami/home", first.Path);
        Assert.Equal("mastodon", first.UtmSource);
        Assert.Equal(1280, first.ScreenWidth);

        await page.EvaluateAsync("""umami.track("Signup", { plan: "pro" })""");
        await page.EvaluateAsync("history.pushState({}, '', '/compat/umami/pricing')");

        var hits = await site.WaitForHitsAsync(h => h.Any(x => x.EventName == "Signup") && h.Count(IsPageview) >= 2);
        Assert.Equal("pro", Assert.Single(hits, h => h.EventName == "Signup").Properties["plan"]);
        var second = Assert.Single(hits, h => IsPageview(h) && h.Path == "/compat/umami/pricing");
        Assert.Null(second.Referrer); // Umami sends the previous path: an internal referrer, not a source
    }

    [Fact]
    public async Task Screenshot_NoScriptPage_IsSavedAsPng()
    {
        await using var site = await TestSite.StartAsync();
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{site.Origin}/plain");
        var directory = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "no-script-page.png");

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });

        var bytes = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
        Assert.True(bytes.Length > 5_000, $"The screenshot is suspiciously small ({bytes.Length} bytes).");
        Assert.Equal("Tracked without JavaScript", await page.TextContentAsync("h1"));
        TestContext.Current.SendDiagnosticMessage($"Screenshot: {path}");
    }
}

using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

namespace FrancisBeacon.Browser.Tests;

/// <summary>The dashboard in a real Chromium against a real Kestrel host with seeded in-memory hits.</summary>
public sealed class DashboardInBrowserTests(ChromiumFixture chromium)
{
    private const string Site = "site.test";
    private const string HostilePath = "/<img src=x onerror=alert(1)>";

    /// <summary>Where the screenshot goes (kept for a human to look at).</summary>
    public static string ScreenshotPath => Path.Combine(Path.GetTempPath(), "francisbeacon-dashboard.png");

    [Fact]
    public async Task Dashboard_ShowsSeededNumbersAndPages_AsText()
    {
        await using var app = await StartAsync();
        await SeedAsync(app.Services.GetRequiredService<IHitStore>());
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var dialogs = new List<string>();
        page.Dialog += (_, dialog) =>
        {
            dialogs.Add(dialog.Message);
            _ = dialog.DismissAsync();
        };
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                errors.Add(message.Text);
            }
        };

        page.Response += (_, response) =>
        {
            if (response.Status >= 400)
            {
                errors.Add($"{response.Status} {response.Url}");
            }
        };

        await page.GotoAsync($"http://127.0.0.1:{port}/beacon");
        await page.WaitForSelectorAsync("body[data-loaded=true]");

        Assert.Equal("3", await page.TextContentAsync("#total-visitors"));
        Assert.Equal("4", await page.TextContentAsync("#total-pageviews"));
        Assert.Contains($"site={Site}", page.Url, StringComparison.Ordinal);
        Assert.Contains("period=30d", page.Url, StringComparison.Ordinal);
        var pages = await page.Locator("#panel-pages tbody td.label").AllTextContentsAsync();
        Assert.Contains("/pricing", pages);
        Assert.Contains(HostilePath, pages);
        Assert.Equal(0, await page.Locator("main img").CountAsync());
        Assert.Equal(1, await page.Locator("#chart canvas").CountAsync());
        Assert.Equal("1", await page.TextContentAsync("#realtime"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath, FullPage = true });

        // A period button keeps the choice in the address and reloads the numbers.
        await page.ClickAsync("button[data-period=day]");
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.Contains("period=day", page.Url, StringComparison.Ordinal);

        await page.SetViewportSizeAsync(390, 844);
        // The chart follows the width after a short debounce (waitForFunction would need 'unsafe-eval', which CSP forbids).
        for (var i = 0; i < 50 && await page.EvaluateAsync<double>("() => document.querySelector('#chart canvas').getBoundingClientRect().width") >= 390; i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath.Replace(".png", "-phone.png", StringComparison.Ordinal), FullPage = true });

        // Dark mode follows prefers-color-scheme (the chart takes its colours when drawn).
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Dark });
        await page.ClickAsync("button[data-period='30d']");
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ScreenshotPath.Replace(".png", "-dark.png", StringComparison.Ordinal), FullPage = true });
        Assert.Empty(dialogs);
        Assert.True(errors.Count == 0, string.Join(" | ", errors));
    }

    private static async Task<WebApplication> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddBeacon(o => o.Sites.Add(new BeaconSiteOptions { Id = Site, TimeZone = "UTC" })).UseInMemory();
        var app = builder.Build();
        app.MapBeaconDashboard("/beacon");
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }

    private static async Task SeedAsync(IHitStore store)
    {
        var now = TimeProvider.System.GetUtcNow();
        var start = now.AddHours(-3);
        Hit Pageview(long visitor, DateTimeOffset at, string path, string browser, string device, string country, string? source) => new()
        {
            SiteId = Site, Hostname = Site, Timestamp = at, Path = path, VisitorId = visitor, Browser = browser,
            DeviceType = device, Country = country, ReferrerSource = source, OperatingSystem = "Linux",
        };

        await store.AppendAsync(
            [
                Pageview(1, start, "/", "Chrome", "Desktop", "DE", "Google"),
                Pageview(1, start.AddMinutes(2), "/pricing", "Chrome", "Desktop", "DE", "Google"),
                Pageview(2, start.AddMinutes(5), "/", "Firefox", "Mobile", "FR", null),
                Pageview(3, now.AddMinutes(-1), HostilePath, "Safari", "Tablet", "US", "<b>bold</b>"),
            ],
            TestContext.Current.CancellationToken);
    }
}

using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace FrancisBeacon.Browser.Tests;

/// <summary>
/// The dashboard where a site owner's data or situation is unusual: counts in the billions, very long or right-to-left
/// filter values, all time, nothing matching, the store down, the phone width, and the keyboard's focus ring.
/// </summary>
public sealed class DashboardEdgeCasesInBrowserTests(ChromiumFixture chromium, DashboardSite site) : IClassFixture<DashboardSite>, IAsyncDisposable
{
    private readonly List<IBrowserContext> _contexts = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Every count the API answers times 150,000 (the demo site then has about a billion visitors a month).</summary>
    private static async Task InflateCountsAsync(IPage page)
    {
        await page.RouteAsync("**/api/v2/query", async route =>
        {
            var response = await route.FetchAsync();
            if (!response.Ok)
            {
                await route.FulfillAsync(new RouteFulfillOptions { Response = response });
                return;
            }

            var json = JsonNode.Parse(await response.TextAsync())!;
            var metrics = json["query"]!["metrics"]!.AsArray().Select(m => m!.GetValue<string>()).ToList();
            foreach (var row in json["results"]!.AsArray())
            {
                foreach (var part in new[] { row!["metrics"], row["comparison"]?["metrics"] })
                {
                    for (var i = 0; part is JsonArray values && i < values.Count; i++)
                    {
                        if (metrics[i] is "visitors" or "visits" or "pageviews" or "events" && values[i] is JsonValue v && v.TryGetValue<double>(out var n))
                        {
                            values[i] = n * 150_000;
                        }
                    }
                }
            }

            await route.FulfillAsync(new RouteFulfillOptions { Response = response, Body = json.ToJsonString() });
        });
        await page.RouteAsync("**/api/realtime*", route => route.FulfillAsync(new RouteFulfillOptions { Status = 200, ContentType = "application/json", Body = """{"visitors":1234567890}""" }));
    }

    [Fact]
    public async Task CountsInTheBillions_FitTheTopRowAndTheColumns_AtDesktopAndPhoneWidth()
    {
        var page = await NewPageAsync();
        await InflateCountsAsync(page);
        await OpenAsync(page, "?period=30d");

        foreach (var width in new[] { 1440, 390 })
        {
            await page.SetViewportSizeAsync(width, 900);
            await page.WaitForTimeoutAsync(200);
            var overflowing = await page.EvaluateAsync<string[]>(
                "() => Array.from(document.querySelectorAll('.total, .total .value, td.num')).filter(e => e.scrollWidth > e.clientWidth + 1).map(e => (e.id || e.className) + ' ' + e.textContent)");
            Assert.True(overflowing.Length == 0, width + "px: " + string.Join(", ", overflowing));
            Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), width + "px: no horizontal scrolling");
        }

        // Shortened in the box, exact in its title.
        var visitors = await page.TextContentAsync("#total-visitors") ?? string.Empty;
        Assert.True(visitors.Length <= 6, visitors);
        Assert.Matches(@"^\d{1,3}(,\d{3}){2,}$", await page.GetAttributeAsync("#total-visitors", "title") ?? string.Empty);
    }

    [Fact]
    public async Task SmallCounts_GetWholeNumberTicks()
    {
        var page = await NewPageAsync();
        await OpenAsync(page, "?period=day&f=" + Uri.EscapeDataString("event:page|/no-such-page"));
        await page.WaitForFunctionAsync("() => window.FrancisBeaconDashboard.yTicks().length > 0");
        var ticks = await page.EvaluateAsync<double[]>("() => window.FrancisBeaconDashboard.yTicks()");
        Assert.All(ticks, t => Assert.Equal(Math.Round(t), t));
    }

    private async Task<IPage> NewPageAsync()
    {
        var context = await chromium.NewContextAsync();
        _contexts.Add(context);
        return await context.NewPageAsync();
    }

    private async Task OpenAsync(IPage page, string query)
    {
        await page.GotoAsync(site.Dashboard + query + "&site=" + DashboardSite.Site);
        await page.WaitForSelectorAsync("body[data-loaded=true]");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.DisposeAsync();
        }
    }
}

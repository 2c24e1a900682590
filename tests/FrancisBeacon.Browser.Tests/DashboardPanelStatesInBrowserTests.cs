using Microsoft.Playwright;

namespace FrancisBeacon.Browser.Tests;

/// <summary>
/// Each part of the dashboard loads on its own: a slow query leaves only its panel loading, a failing one puts an
/// error in that panel only, and nothing waits for the site list when the address names the site.
/// </summary>
public sealed class DashboardPanelStatesInBrowserTests(ChromiumFixture chromium, DashboardSite site) : IClassFixture<DashboardSite>
{
    [Fact]
    public async Task ASlowAndAFailingQuery_AffectOnlyTheirPanels_AndTheSiteListBlocksNothing()
    {
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var releaseCountries = new TaskCompletionSource();
        var releaseSites = new TaskCompletionSource();
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add("page error: " + error);
        // The site list and the countries query are held back until the test lets them go; browsers fail with a 500.
        await page.RouteAsync("**/api/sites", async route =>
        {
            await releaseSites.Task;
            await route.ContinueAsync();
        });
        await page.RouteAsync("**/api/v2/query*", async route =>
        {
            var body = route.Request.PostData ?? string.Empty;
            if (body.Contains("\"visit:country\"", StringComparison.Ordinal))
            {
                await releaseCountries.Task;
                await route.ContinueAsync();
            }
            else if (body.Contains("\"visit:browser\"", StringComparison.Ordinal))
            {
                await route.FulfillAsync(new RouteFulfillOptions { Status = 500, ContentType = "application/json", Body = """{"error":"Simulated store failure"}""" });
            }
            else
            {
                await route.ContinueAsync();
            }
        });

        await page.GotoAsync(site.Dashboard + "?period=30d&site=" + DashboardSite.Site);

        // The top row, the chart and the other panels are there while countries are still loading and sites unanswered.
        await page.WaitForSelectorAsync("#totals:not([aria-busy])");
        await page.WaitForSelectorAsync("#panel-pages[data-loaded=true]");
        await page.WaitForSelectorAsync("#panel-sources[data-loaded=true]");
        await page.WaitForSelectorAsync("#panel-devices.error");
        await page.WaitForSelectorAsync("#chart canvas");
        Assert.NotEqual("–", await page.TextContentAsync("#total-visitors"));
        Assert.Equal("true", await page.GetAttributeAsync("#panel-locations", "aria-busy"));
        Assert.Contains("loading", await page.GetAttributeAsync("#panel-locations", "class") ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal("Loading…", await page.TextContentAsync("#panel-locations .status"));
        Assert.Null(await page.GetAttributeAsync("body", "data-loaded"));

        // The failing query's panel says so, shows no rows, and is the only panel in error.
        Assert.Contains("Could not load", await page.TextContentAsync("#panel-devices .status") ?? string.Empty, StringComparison.Ordinal);
        Assert.Contains("Simulated store failure", await page.TextContentAsync("#panel-devices .status") ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("#panel-devices tbody button.row-filter").CountAsync());
        Assert.True(await page.Locator("#panel-pages tbody button.row-filter").CountAsync() > 0);

        releaseCountries.SetResult();
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.True(await page.Locator("#panel-locations tbody button.row-filter").CountAsync() > 0);
        Assert.Null(await page.GetAttributeAsync("#panel-locations", "aria-busy"));
        Assert.Equal(["panel-devices"], await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('.error')).map(e => e.id)"));

        // A tab that works clears the error of its panel.
        await page.ClickAsync("#panel-devices .tab[data-tab=os]");
        await page.WaitForSelectorAsync("#panel-devices[data-tab=os][data-loaded=true]:not(.error)");
        releaseSites.SetResult();
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#site option').length >= 1");
        Assert.Empty(problems);
    }

    /// <summary>
    /// A 503 (the server's query slots full, or the store briefly away) is asked again after its Retry-After: a panel
    /// whose first answer was a 503 fills in without an error; one that keeps getting 503s shows the error after two retries.
    /// </summary>
    [Fact]
    public async Task A503_IsRetriedAfterRetryAfter_ThenLoadsOrShowsTheError()
    {
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.PageError += (_, error) => problems.Add("page error: " + error);
        var countries = 0;
        var browsers = 0;
        await page.RouteAsync("**/api/v2/query*", async route =>
        {
            var body = route.Request.PostData ?? string.Empty;
            var busy = new RouteFulfillOptions
            {
                Status = 503,
                ContentType = "application/json",
                Headers = new Dictionary<string, string> { ["Retry-After"] = "1" },
                Body = """{"error":"Too many queries are running or waiting; try again shortly.","field":"store"}""",
            };
            if (body.Contains("\"visit:country\"", StringComparison.Ordinal) && Interlocked.Increment(ref countries) == 1)
            {
                await route.FulfillAsync(busy);
            }
            else if (body.Contains("\"visit:browser\"", StringComparison.Ordinal))
            {
                Interlocked.Increment(ref browsers);
                await route.FulfillAsync(busy);
            }
            else
            {
                await route.ContinueAsync();
            }
        });

        await page.GotoAsync(site.Dashboard + "?period=30d&site=" + DashboardSite.Site);

        await page.WaitForSelectorAsync("#panel-locations[data-loaded=true]:not(.error)");
        Assert.True(await page.Locator("#panel-locations tbody button.row-filter").CountAsync() > 0);
        Assert.Equal(2, Volatile.Read(ref countries));
        await page.WaitForSelectorAsync("#panel-devices.error");
        Assert.Contains("Too many queries", await page.TextContentAsync("#panel-devices .status") ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(3, Volatile.Read(ref browsers));
        Assert.Empty(problems);
    }
}

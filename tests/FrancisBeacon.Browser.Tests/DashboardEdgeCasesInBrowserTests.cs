using System.Text.Json;
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

    [Fact]
    public async Task KeyboardFocus_IsNeverClipped_AndContrastsWithTheBackground()
    {
        var page = await NewPageAsync();
        await OpenAsync(page, "?period=30d");
        const string Check = """
            () => {
              const e = document.activeElement;
              if (!e || e === document.body) return null;
              const s = getComputedStyle(e);
              const name = e.tagName + '.' + e.className + ' ' + (e.textContent || '').trim().slice(0, 20);
              const w = parseFloat(s.outlineWidth) || 0;
              if (s.outlineStyle === 'none' || w < 2) return name + ': no outline';
              const d = w + (parseFloat(s.outlineOffset) || 0);
              const r = e.getBoundingClientRect();
              const box = { l: r.left - Math.max(d, 0), t: r.top - Math.max(d, 0), r: r.right + Math.max(d, 0), b: r.bottom + Math.max(d, 0) };
              for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
                const o = getComputedStyle(a);
                if (o.overflowX === 'visible' && o.overflowY === 'visible') continue;
                const ar = a.getBoundingClientRect();
                const c = { l: ar.left + a.clientLeft, t: ar.top + a.clientTop };
                c.r = c.l + a.clientWidth; c.b = c.t + a.clientHeight;
                if (box.l < c.l - 0.5 || box.t < c.t - 0.5 || box.r > c.r + 0.5 || box.b > c.b + 0.5) return name + ': outline cut by ' + a.tagName + '.' + a.className;
              }
              const rgb = v => (v.match(/[\d.]+/g) || []).map(Number);
              const lum = ([r, g, b]) => [r, g, b].map(x => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); }).reduce((sum, x, i) => sum + x * [0.2126, 0.7152, 0.0722][i], 0);
              let bg = null;
              for (let a = d > 0 ? e.parentElement : e; a && !bg; a = a.parentElement) { const c = rgb(getComputedStyle(a).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] === 1)) bg = c.slice(0, 3); }
              const f = lum(rgb(s.outlineColor)), b = lum(bg || [255, 255, 255]);
              const ratio = (Math.max(f, b) + 0.05) / (Math.min(f, b) + 0.05);
              return ratio < 3 ? name + ': outline contrast ' + ratio.toFixed(2) : '';
            }
            """;
        foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
        {
            await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = scheme });
            await page.FocusAsync("#site");
            var problems = new List<string>();
            var rows = 0;
            for (var i = 0; i < 45; i++)
            {
                await page.Keyboard.PressAsync("Tab");
                rows += await page.EvaluateAsync<bool>("() => document.activeElement.matches('.row-filter')") ? 1 : 0;
                if (await page.EvaluateAsync<string?>(Check) is { Length: > 0 } problem)
                {
                    problems.Add(problem);
                }
            }

            Assert.True(rows >= 10, "the walk reached the panels' rows");
            Assert.True(problems.Count == 0, scheme + ": " + string.Join("\n", problems));
        }
    }

    [Fact]
    public async Task ChangesInTheTopRow_AreReadAsText()
    {
        var page = await NewPageAsync();
        await OpenAsync(page, "?period=30d");
        // ARIA prohibits aria-label on a paragraph; the description is text a screen reader reads.
        Assert.Equal(0, await page.Locator("#totals p[aria-label]").CountAsync());
        Assert.Matches(@"^(up|down|unchanged) \d+% against the previous period$", await page.TextContentAsync("#change-visitors .sr-only") ?? string.Empty);
        Assert.Contains("against the previous period", await page.Locator("#totals").AriaSnapshotAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllTime_ComparesWithNothing_AndTheChartStartsAtTheFirstHits()
    {
        var page = await NewPageAsync();
        var bodies = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Url.Contains("/api/v2/query", StringComparison.Ordinal) && request.PostData is { } body)
            {
                lock (bodies)
                {
                    bodies.Add(body);
                }
            }
        };
        await OpenAsync(page, "?period=all");

        lock (bodies)
        {
            Assert.DoesNotContain(bodies, b => b.Contains("comparisons", StringComparison.Ordinal) || b.Contains("\"date_range\":[\"19", StringComparison.Ordinal));
        }

        Assert.True(await page.IsDisabledAsync("#compare"));
        Assert.StartsWith("All time", await page.TextContentAsync("#range-label") ?? string.Empty, StringComparison.Ordinal);
        var chart = await page.EvaluateAsync<JsonElement>("() => window.FrancisBeaconDashboard.chartData()");
        Assert.Equal(JsonValueKind.Null, chart.GetProperty("previous").ValueKind);
        // The demo data covers the last 56 days: two or three months, not every month since 2000.
        Assert.InRange(chart.GetProperty("labels").GetArrayLength(), 2, 3);
        Assert.Equal(string.Empty, await page.TextContentAsync("#change-visitors"));
    }

    [Fact]
    public async Task EmptyPanels_SayWhetherTheFiltersOrThePeriodLeftNothing()
    {
        var page = await NewPageAsync();
        await OpenAsync(page, "?period=30d&f=" + Uri.EscapeDataString("event:page|/no-such-page"));
        Assert.Equal("No data for these filters in this period", await page.TextContentAsync("#panel-sources td.empty"));
        await page.ClickAsync("#filters .chip");
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        await page.ClickAsync("#panel-pages .details-button");
        await page.WaitForSelectorAsync("#details[open]:not([aria-busy])");
        await page.FillAsync("#details-search", "no such page at all");
        await page.WaitForSelectorAsync("#details td.empty");
        Assert.Equal("Nothing matches the search", await page.TextContentAsync("#details td.empty"));
    }

    [Fact]
    public async Task ASiteThatRecordedNothingYet_SaysSo_ButAnEmptyRangeOrFilterDoesNot()
    {
        var page = await NewPageAsync();
        await page.GotoAsync(site.Dashboard + "?period=30d&site=" + DashboardSite.EmptySite);
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        await page.WaitForSelectorAsync("#message:not([hidden])");
        Assert.StartsWith("Nothing has been recorded for empty.test yet.", await page.TextContentAsync("#message") ?? string.Empty, StringComparison.Ordinal);

        // The site with hits: nothing in an old range, or nothing matching a filter, is not "nothing recorded".
        var allTime = page.WaitForResponseAsync(r => (r.Request.PostData ?? string.Empty).Contains("\"date_range\":\"all\"", StringComparison.Ordinal));
        await OpenAsync(page, "?period=custom&from=2001-01-01&to=2001-01-31");
        await (await allTime).FinishedAsync();
        await page.WaitForTimeoutAsync(200);
        Assert.True(await page.IsHiddenAsync("#message"));
        await OpenAsync(page, "?period=30d&f=" + Uri.EscapeDataString("event:page|/no-such-page"));
        await page.WaitForTimeoutAsync(500);
        Assert.True(await page.IsHiddenAsync("#message"));
    }

    [Fact]
    public async Task StoreDown_SaysWhyOnce_AndTryAgainLoadsThePage()
    {
        var page = await NewPageAsync();
        var down = true;
        await page.RouteAsync("**/api/v2/query*", async route =>
        {
            if (Volatile.Read(ref down))
            {
                await route.FulfillAsync(new RouteFulfillOptions
                {
                    Status = 503,
                    ContentType = "application/json",
                    Headers = new Dictionary<string, string> { ["Retry-After"] = "1" },
                    Body = """{"error":"The analytics store did not answer in time or is unavailable; try again shortly.","field":"store"}""",
                });
            }
            else
            {
                await route.ContinueAsync();
            }
        });
        await page.GotoAsync(site.Dashboard + "?period=30d&site=" + DashboardSite.Site);

        // After the retries: the reason once, at the top, with a button; the parts say only that they could not load.
        await page.WaitForSelectorAsync("#message:not([hidden]) button.retry", new PageWaitForSelectorOptions { Timeout = 20_000 });
        Assert.Contains("The analytics store did not answer", await page.TextContentAsync("#message") ?? string.Empty, StringComparison.Ordinal);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('.panel.error').length === 6 && document.querySelector('#chart-status').textContent !== 'Loading…'", null, new PageWaitForFunctionOptions { Timeout = 20_000 });
        Assert.Equal(["Could not load."], (await page.Locator(".panel.error .status").AllTextContentsAsync()).Distinct());
        Assert.Equal("Could not load.", await page.TextContentAsync("#chart-status"));
        Assert.Contains("error", await page.GetAttributeAsync("#range-label", "class") ?? string.Empty, StringComparison.Ordinal);

        Volatile.Write(ref down, false);
        await page.ClickAsync("#message button.retry");
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.True(await page.IsHiddenAsync("#message"));
        Assert.NotEqual("–", await page.TextContentAsync("#total-visitors"));
        Assert.Equal(0, await page.Locator(".error").CountAsync());
    }

    [Fact]
    public async Task AnUnknownSite_IsSaidOnce_WithoutATryAgainThatCannotHelp()
    {
        var page = await NewPageAsync();
        await page.GotoAsync(site.Dashboard + "?period=30d&site=unknown.test");
        await page.WaitForSelectorAsync("#message:not([hidden])");
        await page.WaitForFunctionAsync("() => document.querySelectorAll('.panel.error').length === 6");
        Assert.Contains("Unknown site", await page.TextContentAsync("#message") ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("#message button").CountAsync());
        Assert.Equal(["Could not load."], (await page.Locator(".panel.error .status").AllTextContentsAsync()).Distinct());
    }

    [Fact]
    public async Task NoAnswerAtAll_IsSaidInWords()
    {
        var page = await NewPageAsync();
        await page.RouteAsync("**/api/v2/query*", async route =>
        {
            if ((route.Request.PostData ?? string.Empty).Contains("\"visit:browser\"", StringComparison.Ordinal))
            {
                await route.AbortAsync("connectionrefused");
            }
            else
            {
                await route.ContinueAsync();
            }
        });
        await OpenAsync(page, "?period=30d");
        Assert.StartsWith("Could not load: no answer from the server", await page.TextContentAsync("#panel-devices .status") ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AVeryLongOrRightToLeftFilterValue_KeepsEachChipsRemoveMarkInsideIt()
    {
        var page = await NewPageAsync();
        var longPath = "/search?q=" + string.Concat(Enumerable.Repeat("verylongsegment-", 125));
        await OpenAsync(page, "?period=30d&f=" + Uri.EscapeDataString("event:page|" + longPath) + "&f=" + Uri.EscapeDataString("visit:utm_campaign|\u202Eevil <b>"));
        foreach (var width in new[] { 1440, 390 })
        {
            await page.SetViewportSizeAsync(width, 844);
            await page.WaitForTimeoutAsync(100);
            var bad = await page.EvaluateAsync<string[]>("""
                () => Array.from(document.querySelectorAll('#filters .chip')).filter(c => {
                  const chip = c.getBoundingClientRect(), x = c.querySelector('.chip-x').getBoundingClientRect(), value = c.querySelector('strong').getBoundingClientRect();
                  return x.right > chip.right + 0.5 || x.left < value.right - 0.5 || chip.right > window.innerWidth;
                }).map(c => c.getAttribute('data-filter'))
                """);
            Assert.True(bad.Length == 0, width + "px: " + string.Join(", ", bad));
        }

        Assert.Equal("Page is " + longPath, await page.GetAttributeAsync("#filters .chip[data-filter='event:page']", "title"));
    }

    [Fact]
    public async Task DetailsAtPhoneWidth_ShowTheNumbers_AndKeepTheNamesInView()
    {
        var page = await NewPageAsync();
        await page.SetViewportSizeAsync(390, 844);
        await OpenAsync(page, "?period=30d");
        await page.ClickAsync("#panel-pages .details-button");
        await page.WaitForSelectorAsync("#details[open]:not([aria-busy])");
        // Two metrics: everything fits without scrolling sideways.
        Assert.True(await page.EvaluateAsync<bool>("() => { const box = document.querySelector('.details-table').getBoundingClientRect(); return Array.from(document.querySelectorAll('#details td.num')).every(td => td.getBoundingClientRect().right <= box.right + 0.5); }"));
        await page.Keyboard.PressAsync("Escape");

        // Four metrics scroll sideways, and the names stay where they were.
        await page.ClickAsync("#panel-sources .details-button");
        await page.WaitForSelectorAsync("#details[open]:not([aria-busy])");
        var before = await page.EvaluateAsync<double>("() => document.querySelector('#details td.label').getBoundingClientRect().left");
        await page.EvalOnSelectorAsync(".details-table", "e => { e.scrollLeft = 1000; }");
        await page.WaitForTimeoutAsync(100);
        Assert.Equal(before, await page.EvaluateAsync<double>("() => document.querySelector('#details td.label').getBoundingClientRect().left"), 0.5);
    }

    [Fact]
    public async Task Printing_UsesTheLightPalette_AndLeavesTheControlsOut()
    {
        var page = await NewPageAsync();
        await OpenAsync(page, "?period=30d");
        // A browser prints no backgrounds by default: the dark theme's light text would be white on white paper.
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print, ColorScheme = ColorScheme.Dark });
        foreach (var selector in new[] { "#total-visitors", "#panel-pages button.row-filter", "#panel-pages h2", "#range-label" })
        {
            var brightness = await page.EvalOnSelectorAsync<double>(selector, "e => { const [r, g, b] = getComputedStyle(e).color.match(/[\\d.]+/g).map(Number); return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; }");
            Assert.True(brightness < 0.35, $"{selector}: text brightness {brightness:0.00} on paper");
        }

        foreach (var selector in new[] { "#periods", "#compare", "#interval", "#panel-pages .panel-foot", "#panel-sources .tab[data-tab=channels]", ".realtime" })
        {
            Assert.True(await page.IsHiddenAsync(selector), selector + " is left out of the print");
        }

        Assert.True(await page.IsVisibleAsync("#site"), "the site is named");
        Assert.True(await page.IsVisibleAsync("#panel-sources .tab[data-tab=sources]"), "the shown view is named");
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

using System.Globalization;
using System.Text.Json;
using Microsoft.Playwright;

namespace FrancisBeacon.Browser.Tests;

/// <summary>
/// The dashboard in a real Chromium against a real Kestrel host (<see cref="DashboardSite"/>): the numbers it shows are
/// the API's, rows filter everything, the date picker and the URL carry the state, and visitor strings stay text.
/// Screenshots go to <c>FRANCISBEACON_SCREENSHOTS</c> (default: the temp directory); docs/images holds a copy.
/// </summary>
public sealed class DashboardInBrowserTests(ChromiumFixture chromium, DashboardSite site) : IClassFixture<DashboardSite>, IAsyncDisposable
{
    private readonly List<IBrowserContext> _contexts = [];

    private static readonly CultureInfo British = CultureInfo.GetCultureInfo("en-GB");

    private static string ScreenshotDirectory =>
        Environment.GetEnvironmentVariable("FRANCISBEACON_SCREENSHOTS") is { Length: > 0 } dir ? dir : Path.GetTempPath();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TopRowAndPanels_ShowTheApiAnswers_ForTheSeededData()
    {
        var (page, problems) = await OpenAsync("?period=30d");

        var totals = (await site.QueryAsync("""{"metrics":["visitors","visits","pageviews","views_per_visit","bounce_rate","visit_duration"],"date_range":"30d","include":{"comparisons":{"mode":"previous_period"}}}"""))[0];
        string[] names = ["visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration"];
        for (var i = 0; i < names.Length; i++)
        {
            Assert.Equal(Format(names[i], totals.GetProperty("metrics")[i].GetDouble()), await page.TextContentAsync($"#total-{names[i]}"));
            var change = totals.GetProperty("comparison").GetProperty("change")[i];
            if (change.ValueKind == JsonValueKind.Number)
            {
                Assert.Contains(Math.Abs(change.GetDouble()).ToString("N0", British), await page.TextContentAsync($"#change-{names[i]}") ?? string.Empty, StringComparison.Ordinal);
            }
        }

        Assert.True(totals.GetProperty("metrics")[0].GetDouble() > 500, "the demo data set is populated");
        await AssertPanelAsync(page, "pages", """{"metrics":["visitors"],"dimensions":["event:page"],"date_range":"30d","pagination":{"limit":10,"offset":0}}""", ["visitors"]);
        await AssertPanelAsync(page, "sources", """{"metrics":["visitors"],"dimensions":["visit:source"],"date_range":"30d","pagination":{"limit":10,"offset":0}}""", ["visitors"]);
        await AssertPanelAsync(page, "locations", """{"metrics":["visitors"],"dimensions":["visit:country"],"date_range":"30d","pagination":{"limit":10,"offset":0}}""", ["visitors"]);
        await AssertPanelAsync(page, "devices", """{"metrics":["visitors"],"dimensions":["visit:browser"],"date_range":"30d","pagination":{"limit":10,"offset":0}}""", ["visitors"]);
        await AssertPanelAsync(page, "languages", """{"metrics":["visitors"],"dimensions":["visit:language"],"date_range":"30d","pagination":{"limit":10,"offset":0}}""", ["visitors"]);
        await AssertPanelAsync(page, "events", """{"metrics":["visitors","events"],"dimensions":["event:name"],"date_range":"30d","filters":[["is_not","event:name",["pageview"]]],"pagination":{"limit":10,"offset":0}}""", ["visitors", "events"]);

        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, "dashboard-light.png"), FullPage = true });

        // A tab is one more query; its choice is part of the address.
        await page.ClickAsync("#panel-pages .tab[data-tab=exit]");
        await page.WaitForSelectorAsync("#panel-pages[data-tab=exit]:not([aria-busy])");
        await AssertPanelAsync(page, "pages", """{"metrics":["visits"],"dimensions":["visit:exit_page"],"date_range":"30d","pagination":{"limit":10,"offset":0}}""", ["visits"]);
        Assert.Contains("tab_pages=exit", page.Url, StringComparison.Ordinal);

        // The chart draws the API's buckets, with the previous period overlaid.
        var chart = await page.EvaluateAsync<JsonElement>("() => window.FrancisBeaconDashboard.chartData()");
        var buckets = await site.QueryAsync("""{"metrics":["visitors","pageviews"],"dimensions":["time:day"],"date_range":"30d"}""");
        Assert.Equal(30, chart.GetProperty("labels").GetArrayLength());
        foreach (var bucket in buckets)
        {
            var index = chart.GetProperty("labels").EnumerateArray().Select(l => l.GetString()).ToList().IndexOf(bucket.GetProperty("dimensions")[0].GetString());
            Assert.Equal(bucket.GetProperty("metrics")[0].GetDouble(), chart.GetProperty("current").GetProperty("visitors")[index].GetDouble());
        }

        Assert.Equal(JsonValueKind.Object, chart.GetProperty("previous").ValueKind);
        Assert.Equal(5, await page.Locator("#chart .u-legend .u-series:not([hidden])").CountAsync()); // date, 2 series, 2 previous
        Assert.Equal(29, chart.GetProperty("partial").GetInt32()); // today, the last of 30 days, is still filling up

        // Phone width: the chart follows, nothing overflows sideways.
        await page.SetViewportSizeAsync(390, 844);
        for (var i = 0; i < 50 && await page.EvaluateAsync<double>("() => document.querySelector('#chart canvas').getBoundingClientRect().width") >= 390; i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "no horizontal scrolling at phone width");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, "dashboard-phone.png"), FullPage = true });

        // Dark mode: the chart is redrawn in the dark palette.
        await page.SetViewportSizeAsync(1280, 800);
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { ColorScheme = ColorScheme.Dark });
        await page.ClickAsync("#panel-pages .tab[data-tab=pages]");
        await page.ClickAsync("button[data-period='7d']");
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, "dashboard-dark.png"), FullPage = true });
        Assert.Empty(problems);
    }

    [Fact]
    public async Task ClickingARow_FiltersEveryPanel_ChipsRemoveIt_AndTheUrlRoundTrips()
    {
        var (page, problems) = await OpenAsync("?period=30d&compare=off");
        var bodies = new List<string>();
        page.Request += (_, request) =>
        {
            if (request.Url.EndsWith("/api/v2/query", StringComparison.Ordinal) && request.PostData is { } body)
            {
                lock (bodies)
                {
                    bodies.Add(body);
                }
            }
        };

        // A source row (Space on it, as a keyboard user would): every query the page makes from then on carries the filter.
        await page.FocusAsync("#panel-sources button.row-filter[data-value='Google']");
        await page.Keyboard.PressAsync("Space");
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.Contains("f=visit%3Asource%7CGoogle", page.Url, StringComparison.Ordinal);
        Assert.Equal("Source is Google ✕", (await page.TextContentAsync("#filters .chip"))?.Trim());
        string[] snapshot;
        lock (bodies)
        {
            snapshot = [.. bodies];
        }

        Assert.True(snapshot.Length >= 8, string.Join("\n", snapshot)); // totals, chart and six panels
        Assert.All(snapshot, b => Assert.Contains("""["is","visit:source",["Google"]]""", b, StringComparison.Ordinal));
        Assert.Equal(0, await page.Locator(".panel[aria-busy]").CountAsync());

        // ... and every panel shows what the API answers for it.
        const string Google = """["is","visit:source",["Google"]]""";
        var totals = (await site.QueryAsync("""{"metrics":["visitors","visits","bounce_rate"],"date_range":"30d","filters":[""" + Google + "]}"))[0];
        Assert.Equal(Format("visitors", totals.GetProperty("metrics")[0].GetDouble()), await page.TextContentAsync("#total-visitors"));
        Assert.Equal(Format("visits", totals.GetProperty("metrics")[1].GetDouble()), await page.TextContentAsync("#total-visits"));
        Assert.Equal(Format("bounce_rate", totals.GetProperty("metrics")[2].GetDouble()), await page.TextContentAsync("#total-bounce_rate"));
        foreach (var (panel, dimension) in new[] { ("pages", "event:page"), ("sources", "visit:source"), ("locations", "visit:country"), ("devices", "visit:browser"), ("languages", "visit:language") })
        {
            await AssertPanelAsync(page, panel, $$$"""{"metrics":["visitors"],"dimensions":["{{{dimension}}}"],"date_range":"30d","filters":[{{{Google}}}],"pagination":{"limit":10,"offset":0}}""", ["visitors"]);
        }

        await AssertPanelAsync(page, "events", """{"metrics":["visitors","events"],"dimensions":["event:name"],"date_range":"30d","filters":[""" + Google + """,["is_not","event:name",["pageview"]]],"pagination":{"limit":10,"offset":0}}""", ["visitors", "events"]);
        Assert.Equal(["Google"], await page.Locator("#panel-sources button.row-filter").AllTextContentsAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, "dashboard-filtered.png"), FullPage = true });

        // Reload: the same state comes back from the address alone.
        var url = page.Url;
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.Equal(url, page.Url);
        Assert.Equal("Source is Google ✕", (await page.TextContentAsync("#filters .chip"))?.Trim());
        Assert.Equal("off", await page.InputValueAsync("#compare"));

        // The chip removes its filter (Enter on the focused chip, as a keyboard user would).
        await page.FocusAsync("#filters .chip[data-filter='visit:source']");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.DoesNotContain("visit%3Asource", page.Url, StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("#filters .chip").CountAsync());

        // A page row: the top row shows what the API answers for that filter.
        await page.ClickAsync("#panel-pages button.row-filter[data-value='/pricing']");
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.Contains("f=event%3Apage%7C%2Fpricing", page.Url, StringComparison.Ordinal);
        var filtered = (await site.QueryAsync("""{"metrics":["visitors","pageviews"],"date_range":"30d","filters":[["is","event:page",["/pricing"]]]}"""))[0];
        Assert.Equal(Format("visitors", filtered.GetProperty("metrics")[0].GetDouble()), await page.TextContentAsync("#total-visitors"));
        Assert.Equal(Format("pageviews", filtered.GetProperty("metrics")[1].GetDouble()), await page.TextContentAsync("#total-pageviews"));
        Assert.Equal(["/pricing"], await page.Locator("#panel-pages button.row-filter").AllTextContentsAsync());

        // Back goes to the previous state (no filter), forward to the filtered one.
        await page.GoBackAsync();
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.Equal(0, await page.Locator("#filters .chip").CountAsync());
        await page.GoForwardAsync();
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.Equal("Page is /pricing ✕", (await page.TextContentAsync("#filters .chip"))?.Trim());
        Assert.Empty(problems);
    }

    [Fact]
    public async Task DatePicker_ChangesTheQuery_TodayDrawsNoFutureHours_AndDetailsWork()
    {
        var (page, problems) = await OpenAsync("?period=30d");
        var to = DateOnly.FromDateTime(TimeProvider.System.GetUtcNow().UtcDateTime).AddDays(-3);
        var from = to.AddDays(-9);
        var request = page.WaitForRequestAsync(r => r.Url.EndsWith("/api/v2/query", StringComparison.Ordinal) &&
            (r.PostData ?? string.Empty).Contains($"\"date_range\":[\"{from:yyyy-MM-dd}\",\"{to:yyyy-MM-dd}\"]", StringComparison.Ordinal));
        await page.ClickAsync("#custom-toggle");
        await page.FillAsync("#custom-from", from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await page.FillAsync("#custom-to", to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        await page.ClickAsync("#custom-range button[type=submit]");
        await request;
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.Contains($"period=custom&from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}", page.Url, StringComparison.Ordinal);
        var custom = (await site.QueryAsync($$"""{"metrics":["visitors"],"date_range":["{{from:yyyy-MM-dd}}","{{to:yyyy-MM-dd}}"]}"""))[0];
        Assert.Equal(Format("visitors", custom.GetProperty("metrics")[0].GetDouble()), await page.TextContentAsync("#total-visitors"));

        // Weeks instead of days: the interval is a choice for this range, and is kept in the address.
        await page.SelectOptionAsync("#interval", "week");
        await page.WaitForSelectorAsync("#chart:not([aria-busy])");
        Assert.Contains("interval=week", page.Url, StringComparison.Ordinal);
        var weekly = await page.EvaluateAsync<JsonElement>("() => window.FrancisBeaconDashboard.chartData()");
        Assert.Equal("week", weekly.GetProperty("interval").GetString());

        // Today: hours after the current one are not drawn as zero.
        await page.ClickAsync("button[data-period=day]");
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        var today = await page.EvaluateAsync<JsonElement>("() => window.FrancisBeaconDashboard.chartData()");
        var hour = TimeProvider.System.GetUtcNow().UtcDateTime.Hour;
        var visitors = today.GetProperty("current").GetProperty("visitors").EnumerateArray().ToList();
        Assert.Equal(24, visitors.Count);
        Assert.All(visitors.Skip(hour + 1), v => Assert.Equal(JsonValueKind.Null, v.ValueKind));
        Assert.All(visitors.Take(hour + 1), v => Assert.Equal(JsonValueKind.Number, v.ValueKind));

        // Details: more rows, search, Escape closes and gives the focus back.
        await page.ClickAsync("button[data-period='30d']");
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        await page.FocusAsync("#panel-pages .details-button");
        await page.Keyboard.PressAsync("Enter");
        await page.WaitForSelectorAsync("#details[open]:not([aria-busy])");
        var all = await site.QueryAsync("""{"metrics":["visitors","pageviews"],"dimensions":["event:page"],"date_range":"30d","pagination":{"limit":50,"offset":0}}""");
        Assert.Equal(all.Count, await page.Locator("#details tbody tr").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, "dashboard-details.png") });
        await page.FillAsync("#details-search", "LAMPS"); // case-insensitive, as in Plausible
        await page.WaitForSelectorAsync("#details tbody tr:nth-child(3)");
        for (var i = 0; i < 40 && await page.Locator("#details tbody tr").CountAsync() != 3; i++)
        {
            await Task.Delay(50, Ct);
        }

        Assert.All(await page.Locator("#details button.row-filter").AllTextContentsAsync(), t => Assert.Contains("lamps", t, StringComparison.Ordinal));
        await page.Keyboard.PressAsync("Escape");
        Assert.False(await page.Locator("#details").IsVisibleAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => document.activeElement.matches('#panel-pages .details-button')"));
        Assert.Empty(problems);
    }

    [Fact]
    public async Task HostileStrings_FromTheBeacon_AreShownAsText_AndRunNoScript()
    {
        // Opened filtered on the hostile page (as a click on its row, or a shared link, gives): the demo traffic of
        // today outranks a single hostile visit by the evening, so an unfiltered top list would not always show it.
        var (page, problems) = await OpenAsync("?period=day&f=" + Uri.EscapeDataString("event:page|" + DashboardSite.HostilePath));
        Assert.Contains(DashboardSite.HostilePath, await page.TextContentAsync("#filters .chip") ?? string.Empty, StringComparison.Ordinal);
        Assert.Contains(DashboardSite.HostilePath, await page.Locator("#panel-pages button.row-filter").AllTextContentsAsync());
        await page.ClickAsync("#panel-sources .tab[data-tab=utm_campaign]");
        await page.WaitForSelectorAsync("#panel-sources[data-tab=utm_campaign]:not([aria-busy])");
        Assert.Contains(DashboardSite.HostileCampaign, await page.Locator("#panel-sources button.row-filter").AllTextContentsAsync());
        await page.ClickAsync("#panel-events .tab[data-tab=events]");
        await page.WaitForSelectorAsync("#panel-events[data-tab=events]:not([aria-busy])");
        Assert.Contains(DashboardSite.HostileEvent, await page.Locator("#panel-events button.row-filter").AllTextContentsAsync());

        // The filter survives a reload through the address, encoded, and is shown as text again.
        Assert.DoesNotContain("<", page.Url, StringComparison.Ordinal);
        Assert.Equal("event:page|" + DashboardSite.HostilePath, System.Web.HttpUtility.ParseQueryString(new Uri(page.Url).Query)["f"]);
        await page.ReloadAsync();
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.Contains(DashboardSite.HostilePath, await page.TextContentAsync("#filters .chip") ?? string.Empty, StringComparison.Ordinal);
        Assert.Contains(DashboardSite.HostilePath, await page.Locator("#panel-pages button.row-filter").AllTextContentsAsync());

        Assert.Equal(0, await page.Locator("main img, main script, main svg, dialog img, dialog svg").CountAsync());
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.__pwned"));

        // The panel's CSV download is the API's own CSV of that panel's query (which quotes and defuses formulas,
        // see QueryCsvTests), with a byte-order mark for Excel.
        var csvRequest = page.WaitForRequestAsync(r => r.Url.Contains("/api/v2/query?format=csv", StringComparison.Ordinal));
        var download = page.WaitForDownloadAsync();
        await page.ClickAsync("#panel-pages .csv-button");
        var file = await download;
        var path = await file.PathAsync();
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        var csv = System.Text.Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
        Assert.StartsWith("event:page,visitors,pageviews\r\n", csv, StringComparison.Ordinal);
        Assert.Contains(DashboardSite.HostilePath, csv, StringComparison.Ordinal);
        using (var content = new StringContent((await csvRequest).PostData!, System.Text.Encoding.UTF8, "application/json"))
        using (var response = await site.Client.PostAsync(site.Dashboard + "/api/v2/query?format=csv", content, Ct))
        {
            Assert.Equal(await response.Content.ReadAsStringAsync(Ct), csv);
        }

        Assert.Empty(problems);
    }

    private async Task<(IPage Page, List<string> Problems)> OpenAsync(string query)
    {
        var context = await chromium.NewContextAsync();
        _contexts.Add(context);
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Dialog += (_, dialog) =>
        {
            problems.Add("dialog: " + dialog.Message);
            _ = dialog.DismissAsync();
        };
        page.Console += (_, message) =>
        {
            if (message.Type == "error" && !message.Text.Contains("400", StringComparison.Ordinal))
            {
                problems.Add("console: " + message.Text);
            }
        };
        page.PageError += (_, error) => problems.Add("page error: " + error);
        page.Response += (_, response) =>
        {
            if (response.Status >= 400 && !(response.Status == 400 && response.Url.EndsWith("/v2/query", StringComparison.Ordinal)))
            {
                problems.Add($"{response.Status} {response.Url}");
            }
        };

        await page.GotoAsync(site.Dashboard + query + (query.Contains("site=", StringComparison.Ordinal) ? string.Empty : "&site=" + DashboardSite.Site));
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        return (page, problems);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.DisposeAsync();
        }
    }

    private async Task AssertPanelAsync(IPage page, string panel, string apiQuery, string[] metrics)
    {
        var expected = await site.QueryAsync(apiQuery);
        var shown = await page.EvaluateAsync<string[][]>(
            "id => Array.from(document.querySelectorAll('#panel-' + id + ' tbody tr')).filter(tr => tr.querySelector('button.row-filter')).map(tr => [tr.querySelector('button.row-filter').getAttribute('data-value')].concat(Array.from(tr.querySelectorAll('td.num')).map(td => td.textContent)))",
            panel);
        Assert.True(expected.Count > 0, $"{panel}: the API has rows");
        Assert.Equal(expected.Count, shown.Length);
        for (var i = 0; i < expected.Count; i++)
        {
            var dimension = expected[i].GetProperty("dimensions")[0];
            Assert.Equal(dimension.ValueKind == JsonValueKind.Null ? "(not set)" : dimension.GetString(), shown[i][0]);
            for (var m = 0; m < metrics.Length; m++)
            {
                Assert.Equal(Format(metrics[m], expected[i].GetProperty("metrics")[m].GetDouble()), shown[i][m + 1]);
            }
        }
    }

    /// <summary>What the page shows for a metric in the en-GB locale the test browser uses.</summary>
    private static string Format(string metric, double value) => metric switch
    {
        "bounce_rate" => value.ToString("N0", British) + "%",
        "views_per_visit" => value.ToString("#,0.##", British),
        "visit_duration" => value >= 3600 ? $"{(int)(value / 3600)}h {(int)(value % 3600 / 60)}m" : value >= 60 ? $"{(int)(value / 60)}m {(int)(value % 60)}s" : $"{(int)value}s",
        _ => value.ToString("N0", British),
    };
}

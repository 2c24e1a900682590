// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

// Dashboard first-paint benchmark (docs/performance.md#dashboard). Hosts the dashboard over a given SQLite file or
// PostgreSQL schema (or uses a running app with --url), opens it in headless Debian Chromium through Playwright with
// a fresh, cold-cache browser context per run, and prints p50/p95 of
//   - first contentful paint (the shell),
//   - time until the top row shows numbers,
//   - time until every panel and the chart have finished (success or error: body[data-loaded]),
// per view (default, 12mo, filtered by a source, filtered by a page), plus every API request's time to first byte
// and total time (Playwright network events), so the slowest query is named. Not a test; not in the solution.
//
//   dotnet run -c Release --project tests/benchmarks/FrancisBeacon.DashboardBenchmark -- \
//       --store sqlite --connection "Data Source=/tmp/copy-10m.db" [--site example.com] [--time-zone Europe/Berlin]
//       [--runs 5] [--views default,12mo,source,page] [--app-js baseline=/tmp/app-main.js]
//   ... --store postgres --connection "Host=...;Database=mine" --schema bench
//   ... --url http://localhost:5080/beacon          (an app that is already running, e.g. the sample)
//
// --app-js name=path (repeatable, comma-separated) times a variant that serves that file instead of the embedded
// app.js (in-process host only), e.g. --app-js main=/tmp/app-main.js,branch=src/.../wwwroot/app.js, so an older
// client is timed against a newer one in the same run; variants alternate run by run. Without it: the embedded app.js. The store's rollups are brought up to date before the first run.
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using FrancisBeacon;
using FrancisBeacon.PostgreSql;
using FrancisBeacon.Sqlite;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;

var options = Arguments.Parse(args);
var siteId = options.Get("site", "example.com");
var zoneId = options.Get("time-zone", "Europe/Berlin");
var runs = int.Parse(options.Get("runs", "5"), CultureInfo.InvariantCulture);
var viewNames = options.Get("views", "default,12mo,source,page").Split(',', StringSplitOptions.RemoveEmptyEntries);
var variants = new List<(string Name, string? Path)>();
foreach (var item in (options.TryGet("app-js") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries))
{
    var eq = item.IndexOf('=', StringComparison.Ordinal);
    variants.Add(eq > 0 ? (item[..eq], Path.GetFullPath(item[(eq + 1)..])) : (Path.GetFileName(item), Path.GetFullPath(item)));
}

if (variants.Count == 0)
{
    variants.Add(("embedded", null));
}

WebApplication? app = null;
string? overrideAppJs = null;
string baseUrl;
if (options.TryGet("url") is { } external)
{
    baseUrl = external.TrimEnd('/');
}
else
{
    var connection = options.TryGet("connection") ?? throw new ArgumentException("--connection (or --url) is required.");
    var storeName = options.Get("store", "sqlite");

    // Rollups first, through a store of our own, so the host's background worker (which would hold the maintainer
    // lock while it builds) finds nothing to do and no run measures a half-built data set.
    var rollupStore = storeName switch
    {
        "sqlite" => (IHitStore)new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = connection }),
        "postgres" => new PostgreSqlHitStore(new PostgreSqlHitStoreOptions { ConnectionString = connection, Schema = options.Get("schema", "bench") }),
        var other => throw new ArgumentException($"Unknown --store '{other}' (sqlite or postgres)."),
    };
    if (rollupStore is IHitStoreSchema schema)
    {
        await schema.MigrateAsync(CancellationToken.None);
    }

    if (rollupStore is IHitStoreRollups rollups)
    {
        var watch = Stopwatch.StartNew();
        var sites = new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal) { [siteId] = TimeZoneInfo.FindSystemTimeZoneById(zoneId) };
        var days = 0;
        for (var pass = 0; pass < 100; pass++)
        {
            var rebuilt = await rollups.RefreshRollupsAsync(sites, CancellationToken.None);
            days += rebuilt;
            if (rebuilt == 0 && pass > 0)
            {
                break;
            }

            if (rebuilt == 0)
            {
                await Task.Delay(2000); // another maintainer may hold the lock: ask again
            }
        }

        Console.WriteLine(Invariant($"Rollups: {days} days rebuilt in {watch.Elapsed.TotalSeconds:F1} s before the first run"));
    }

    (rollupStore as IDisposable)?.Dispose();
    var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.WebHost.UseUrls("http://127.0.0.1:0");
    var beacon = builder.Services.AddBeacon(o => o.Sites.Add(new BeaconSiteOptions { Id = siteId, TimeZone = zoneId }));
    _ = storeName switch
    {
        "sqlite" => beacon.UseSqlite(connection),
        "postgres" => beacon.UsePostgreSql(o => { o.ConnectionString = connection; o.Schema = options.Get("schema", "bench"); }),
        var other => throw new ArgumentException($"Unknown --store '{other}' (sqlite or postgres)."),
    };
    app = builder.Build();
    // A variant's app.js, served in place of the embedded one (same URL, so the page is otherwise identical).
    app.Use(async (context, next) =>
    {
        if (overrideAppJs is { } path && context.Request.Path.StartsWithSegments("/beacon/assets", StringComparison.Ordinal) &&
            context.Request.Path.Value!.EndsWith("/app.js", StringComparison.Ordinal))
        {
            context.Response.ContentType = "text/javascript; charset=utf-8";
            context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
            await context.Response.SendFileAsync(path);
            return;
        }

        await next(context);
    });
    app.UseBeacon();
    app.MapBeaconDashboard("/beacon");
    await app.StartAsync();
    baseUrl = app.Urls.First().TrimEnd('/') + "/beacon";
}

using var http = new HttpClient();
var sourceValue = options.TryGet("source") ?? await TopValueAsync(http, baseUrl, siteId, "visit:source");
var pageValue = options.TryGet("page") ?? await TopValueAsync(http, baseUrl, siteId, "event:page");
var site = "site=" + Uri.EscapeDataString(siteId);
var allViews = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["default"] = string.Empty,
    ["30d"] = "?" + site + "&period=30d",
    ["12mo"] = "?" + site + "&period=12mo",
    ["source"] = "?" + site + "&period=30d&f=" + Uri.EscapeDataString("visit:source|" + sourceValue),
    ["page"] = "?" + site + "&period=30d&f=" + Uri.EscapeDataString("event:page|" + pageValue),
};

Console.WriteLine(Invariant($"Dashboard: {baseUrl}  site {siteId}  source filter '{sourceValue}'  page filter '{pageValue}'"));
Console.WriteLine(Invariant($"{runs} runs per view and variant, fresh browser context each (cold cache), {Environment.ProcessorCount} cores, load average {LoadAverage()}"));
Console.WriteLine();

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = options.Get("chromium", "/usr/bin/chromium"),
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// One warm-up load (JIT, SQLite page cache) that is not counted.
await MeasureAsync(browser, baseUrl + allViews["default"]);

foreach (var viewName in viewNames)
{
    var url = baseUrl + (allViews.TryGetValue(viewName, out var suffix) ? suffix : throw new ArgumentException($"Unknown view '{viewName}'."));
    var results = variants.ToDictionary(v => v.Name, _ => new List<RunResult>(), StringComparer.Ordinal);
    for (var run = 0; run < runs; run++)
    {
        foreach (var (name, path) in variants)
        {
            overrideAppJs = path;
            results[name].Add(await MeasureAsync(browser, url));
        }
    }

    overrideAppJs = null;
    Console.WriteLine(Invariant($"## {viewName}: {url[baseUrl.Length..]}"));
    Console.WriteLine();
    Console.WriteLine("| variant | FCP p50 / p95 ms | top row p50 / p95 ms | all panels p50 / p95 ms | requests | max in flight | errors |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
    foreach (var (name, list) in results)
    {
        Console.WriteLine(Invariant(
            $"| {name} | {P(list, r => r.FirstContentfulPaint, 50):F0} / {P(list, r => r.FirstContentfulPaint, 95):F0} | {P(list, r => r.TopRow, 50):F0} / {P(list, r => r.TopRow, 95):F0} | {P(list, r => r.AllPanels, 50):F0} / {P(list, r => r.AllPanels, 95):F0} | {list.Average(r => r.Requests.Count):F0} | {list.Max(r => r.MaxInFlight)} | {list.Sum(r => r.Errors)} |"));
    }

    Console.WriteLine();
    foreach (var (name, list) in results)
    {
        Console.WriteLine(Invariant($"Requests ({name}), slowest first: issued at (ms after navigation start), waiting for a connection, time to first byte, total"));
        Console.WriteLine();
        Console.WriteLine("| request | issued p50 | queued p50 | TTFB p50 / p95 ms | total p50 / p95 ms | status |");
        Console.WriteLine("|---|---:|---:|---:|---:|---|");
        var byLabel = list.SelectMany(r => r.Requests).GroupBy(q => q.Label, StringComparer.Ordinal)
            .OrderByDescending(g => Percentile(g.Select(q => q.Ttfb), 50));
        foreach (var g in byLabel)
        {
            var statuses = string.Join(" ", g.Select(q => q.Status).Distinct().Order());
            Console.WriteLine(Invariant(
                $"| {g.Key} | {Percentile(g.Select(q => q.Issued), 50):F0} | {Percentile(g.Select(q => q.Queued), 50):F0} | {Percentile(g.Select(q => q.Ttfb), 50):F0} / {Percentile(g.Select(q => q.Ttfb), 95):F0} | {Percentile(g.Select(q => q.Total), 50):F0} / {Percentile(g.Select(q => q.Total), 95):F0} | {statuses} |"));
        }

        Console.WriteLine();
    }
}

Console.WriteLine(Invariant($"Load average at the end: {LoadAverage()}"));
if (app is not null)
{
    await app.StopAsync();
    await app.DisposeAsync();
}

return 0;

static async Task<RunResult> MeasureAsync(IBrowser browser, string url)
{
    await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
    var page = await context.NewPageAsync();
    var finished = new List<(IRequest Request, int Status)>();
    var pending = new List<Task>();
    // When each request was issued, on this process's clock from the navigation (Playwright's request.timing.startTime
    // is a float of epoch milliseconds, too coarse for this).
    var clock = new Stopwatch();
    var issued = new System.Collections.Concurrent.ConcurrentDictionary<IRequest, double>();
    page.Request += (_, request) => issued[request] = clock.Elapsed.TotalMilliseconds;
    page.RequestFinished += (_, request) => pending.Add(Task.Run(async () =>
    {
        var response = await request.ResponseAsync();
        lock (finished)
        {
            finished.Add((request, response?.Status ?? 0));
        }
    }));
    page.RequestFailed += (_, request) =>
    {
        lock (finished)
        {
            finished.Add((request, -1));
        }
    };
    clock.Start();
    await page.GotoAsync(url, new PageGotoOptions { WaitUntil = WaitUntilState.Commit, Timeout = 120_000 });
    var wait = new PageWaitForFunctionOptions { PollingInterval = 5, Timeout = 180_000 };
    var topRow = await (await page.WaitForFunctionAsync(
        "() => { const v = document.getElementById('total-visitors'); const s = document.getElementById('totals');" +
        " return v && s && s.getAttribute('aria-busy') !== 'true' && (v.textContent !== '–' || s.classList.contains('error')) ? performance.now() : false; }",
        null, wait)).JsonValueAsync<double>();
    var all = await (await page.WaitForFunctionAsync(
        "() => document.body.getAttribute('data-loaded') === 'true' ? performance.now() : false", null, wait)).JsonValueAsync<double>();
    var fcp = await page.EvaluateAsync<double>(
        "() => { const e = performance.getEntriesByName('first-contentful-paint')[0]; return e ? e.startTime : -1; }");
    var errors = await page.EvaluateAsync<int>("() => document.querySelectorAll('.panel.error, .totals.error').length");
    await Task.Delay(300); // the last RequestFinished events (realtime) arrive after the page settles
    Task[] waiting;
    lock (finished)
    {
        waiting = [.. pending];
    }

    await Task.WhenAll(waiting);
    var requests = new List<RequestTiming>();
    lock (finished)
    {

        foreach (var (request, status) in finished)
        {
            if (!request.Url.Contains("/api/", StringComparison.Ordinal))
            {
                continue;
            }

            var t = request.Timing;
            var sent = t.RequestStart >= 0 ? t.RequestStart : 0;
            requests.Add(new RequestTiming(
                Label(request),
                issued.GetValueOrDefault(request, double.NaN),
                sent,
                t.ResponseStart >= 0 ? t.ResponseStart - sent : double.NaN,
                t.ResponseEnd >= 0 ? t.ResponseEnd : double.NaN,
                status));
        }
    }

    // Most requests in flight at once (the browser allows 6 connections per host over HTTP/1.1).
    var edges = requests.Where(r => !double.IsNaN(r.Total))
        .SelectMany(r => new[] { (At: r.Issued + r.Queued, Delta: 1), (At: r.Issued + r.Total, Delta: -1) })
        .OrderBy(e => e.At).ThenBy(e => e.Delta);
    int inFlight = 0, max = 0;
    foreach (var e in edges)
    {
        inFlight += e.Delta;
        max = Math.Max(max, inFlight);
    }

    return new RunResult(fcp, topRow, all, requests, max, errors);
}

// A readable name for an API request: its path, or for v2/query the dimension (or "totals"), comparison, filters, limit.
static string Label(IRequest request)
{
    var path = new Uri(request.Url).AbsolutePath;
    var name = path[(path.IndexOf("/api/", StringComparison.Ordinal) + 5)..];
    if (!name.StartsWith("v2/query", StringComparison.Ordinal) || request.PostData is not { } body)
    {
        return name;
    }

    using var json = JsonDocument.Parse(body);
    var root = json.RootElement;
    var parts = new List<string>();
    parts.Add(root.TryGetProperty("dimensions", out var d) && d.GetArrayLength() > 0 ? string.Join("+", d.EnumerateArray().Select(x => x.GetString())) : "totals");
    if (root.TryGetProperty("include", out var include) && include.TryGetProperty("comparisons", out _))
    {
        parts.Add("+comparison");
    }

    if (root.TryGetProperty("date_range", out var range) && range.ValueKind == JsonValueKind.Array)
    {
        parts.Add("[" + string.Join("..", range.EnumerateArray().Select(x => x.GetString())) + "]");
    }
    else if (root.TryGetProperty("date_range", out range) && range.GetString() is "day")
    {
        parts.Add("[day]");
    }

    if (root.TryGetProperty("pagination", out var page) && page.TryGetProperty("limit", out var limit) && limit.GetInt32() == 1)
    {
        parts.Add("probe");
    }

    if (request.Url.Contains("format=csv", StringComparison.Ordinal))
    {
        parts.Add("csv");
    }

    return string.Join(" ", parts);
}

static async Task<string> TopValueAsync(HttpClient http, string baseUrl, string site, string dimension)
{
    var body = new Dictionary<string, object> { ["site_id"] = site, ["date_range"] = "30d", ["metrics"] = new[] { "visitors" }, ["dimensions"] = new[] { dimension }, ["pagination"] = new Dictionary<string, int> { ["limit"] = 5 } };
    using var response = await http.PostAsJsonAsync(baseUrl + "/api/v2/query", body);
    response.EnsureSuccessStatusCode();
    using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
    var results = json.RootElement.GetProperty("results");
    // The most common real value ("(not set)", i.e. Direct / None, is not what a user clicks to filter by).
    return results.EnumerateArray().Select(r => r.GetProperty("dimensions")[0].GetString()).FirstOrDefault(v => v is not null and not "(not set)")
        ?? throw new InvalidOperationException($"No {dimension} values in the last 30 days.");
}

static double P(List<RunResult> list, Func<RunResult, double> pick, int p) => Percentile(list.Select(pick), p);

static double Percentile(IEnumerable<double> values, int p)
{
    var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
    if (sorted.Length == 0)
    {
        return double.NaN;
    }

    var index = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1;
    return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
}

static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

internal sealed record RequestTiming(string Label, double Issued, double Queued, double Ttfb, double Total, int Status);

internal sealed record RunResult(double FirstContentfulPaint, double TopRow, double AllPanels, List<RequestTiming> Requests, int MaxInFlight, int Errors);

/// <summary>--name value pairs.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public static Arguments Parse(string[] args)
    {
        var result = new Arguments();
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Expected --name value, got '{args[i]}'.");
            }

            var name = args[i][2..];
            result._values[name] = result._values.TryGetValue(name, out var earlier) ? earlier + "," + args[i + 1] : args[i + 1];
        }

        return result;
    }

    public string Get(string name, string fallback) => _values.GetValueOrDefault(name, fallback);

    public string? TryGet(string name) => _values.GetValueOrDefault(name);
}

using System.Net;
using FrancisBeacon;
using FrancisBeacon.AspNetCore;
using FrancisBeacon.Sample;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

// `dotnet run -- beacon-token api-key|share --name NAME --site SITE` mints an API key or share link (docs/api.md).
if (args.Length > 0 && args[0] == BeaconTokenCommand.Name)
{
    Environment.ExitCode = BeaconTokenCommand.Run(args, Console.Out, Console.Error);
    return;
}

// --seed-demo: fill the first configured site with eight weeks of demo traffic before serving (docs/dashboard.md).
var seedDemo = args.Contains(DemoTraffic.Switch, StringComparer.Ordinal);
var builder = WebApplication.CreateBuilder(args.Where(a => a != DemoTraffic.Switch).ToArray());

// The two lines an app adds (the configuration section is optional):
var beacon = builder.Services.AddBeacon(builder.Configuration.GetSection("FrancisBeacon"));
// Store reachable, writer not failing, queue not nearly full: GET /healthz (docs/deployment.md#database-outages).
builder.Services.AddHealthChecks().AddBeacon();

// The store is chosen by configuration alone: a PostgreSQL connection string switches the sample to PostgreSQL,
// e.g.  ConnectionStrings__BeaconPostgreSql="Host=localhost;Username=app;Password=...;Database=app"
string storeDescription;
var postgres = builder.Configuration.GetConnectionString("BeaconPostgreSql");
if (!string.IsNullOrWhiteSpace(postgres))
{
    beacon.UsePostgreSql(o =>
    {
        builder.Configuration.GetSection("FrancisBeacon:PostgreSql").Bind(o);
        o.ConnectionString = postgres;
    });
    storeDescription = "PostgreSQL (ConnectionStrings:BeaconPostgreSql)";
}
else
{
    // A relative SQLite path is kept next to the sample, whatever directory it is started from.
    var sqlite = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(builder.Configuration.GetConnectionString("Beacon") ?? "Data Source=beacon.db");
    if (!Path.IsPathRooted(sqlite.DataSource) && sqlite.DataSource != ":memory:")
    {
        sqlite.DataSource = Path.Combine(builder.Environment.ContentRootPath, sqlite.DataSource);
    }

    beacon.UseSqlite(sqlite.ConnectionString);
    storeDescription = sqlite.DataSource;
}

// API keys and dashboard share links, hashed, from FrancisBeacon:Tokens (removing an entry revokes it at once).
beacon.AddTokens(builder.Configuration.GetSection("FrancisBeacon:Tokens"));

var app = builder.Build();
app.UseBeacon();
// Authentication after the beacon: otherwise ASP.NET Core puts it first and every hit.gif and event request would
// authenticate (AddTokens registers a scheme, which becomes the default) before the beacon answers it. The API,
// dashboard and health endpoints below still run after it (docs/performance.md#ingestion, round 4).
app.UseAuthentication();
app.MapBeaconApi("/beacon/api");
app.MapBeaconDashboard("/beacon");   // loopback only until given a policy: .RequireAuthorization("...")
app.MapHealthChecks("/healthz");

// Each page shows one way of tracking (docs/tracking.md):
//  - "/about", "/pricing": the tracking pixel (no JavaScript; the Referer header names the page);
//  - "/script": the tracker script (single-page navigation and custom events);
//  - "/" and "/no-script": nothing on the page at all: server-side tracking records the HTML response itself
//    (FrancisBeacon:ServerSideTracking in appsettings.json, which excludes the other pages so none is counted twice);
//  - "/api/event" and "/api/send" accept the official Plausible and Umami trackers (FrancisBeacon:Compatibility).
const string Pixel = "<img src=\"/beacon/hit.gif\" alt=\"\" width=\"1\" height=\"1\">";
app.MapGet("/", () => Page("Home", "Welcome to the FrancisBeacon sample shop. This page carries no tracking code: the server counted it.", string.Empty));
app.MapGet("/about", () => Page("About", "We make privacy-friendly lamps. Counted by the tracking pixel.", Pixel));
app.MapGet("/pricing", () => Page("Pricing", "Lamps from 49 €. Counted by the tracking pixel.", Pixel));
app.MapGet("/script", (HttpContext context) => Page(
    "With the script",
    "Counted by the tracker script; the button sends a custom event.",
    TrackerScript.Tag(context, null, ("allow-localhost", null)) + "<p><button id=\"buy\" type=\"button\">Buy a lamp</button></p><script src=\"/sample.js\"></script>"));
app.MapGet("/sample.js", () => Results.Text(
    "document.getElementById('buy').addEventListener('click', function () { beacon('Purchase', { props: { product: 'lamp' }, revenue: { amount: 49, currency: 'EUR' } }); });",
    "application/javascript"));
app.MapGet("/no-script", () => Page("Without JavaScript", "This page has no pixel and no script: the server counted it when it sent the HTML.", string.Empty));

app.Lifetime.ApplicationStarted.Register(() =>
{
    var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
    foreach (var address in addresses)
    {
        Console.WriteLine($"Sample site:    {address}/");
        Console.WriteLine($"Stats endpoint: {address}/beacon/api/stats?site_id=localhost&period=7d");
        Console.WriteLine($"Dashboard:      {address}/beacon");
    }

    Console.WriteLine($"Hits are stored in {storeDescription}. Press Ctrl+C to stop.");
});

if (seedDemo)
{
    // The stores create their schema when the app starts, so the demo is written just after.
    await app.StartAsync();
    var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<BeaconOptions>>().Value;
    var site = options.Sites.FirstOrDefault() ?? new BeaconSiteOptions { Id = "localhost" };
    var zone = TimeZoneInfo.FindSystemTimeZoneById(site.TimeZone);
    var count = await DemoTraffic.SeedAsync(app.Services.GetRequiredService<IHitStore>(), site.Id, site.Id, zone, TimeProvider.System, CancellationToken.None);
    Console.WriteLine($"Seeded {count} demo hits for site {site.Id} (the last {DemoTraffic.Days} days; hits already stored are skipped).");
    await app.WaitForShutdownAsync();
}
else
{
    app.Run();
}

static IResult Page(string title, string text, string tracking)
{
    var safeTitle = WebUtility.HtmlEncode(title);
    var html = $$"""
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>{{safeTitle}} · FrancisBeacon sample</title>
        <style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}nav a{margin-right:1rem}</style>
        </head>
        <body>
        <nav><a href="/">Home</a><a href="/about">About</a><a href="/pricing">Pricing</a><a href="/script">Script</a><a href="/no-script">No script</a><a href="/beacon/api/stats?site_id=localhost&amp;period=7d">Stats (JSON)</a><a href="/beacon">Dashboard</a></nav>
        <h1>{{safeTitle}}</h1>
        <p>{{WebUtility.HtmlEncode(text)}}</p>
        {{tracking}}
        </body>
        </html>
        """;
    return Results.Content(html, "text/html; charset=utf-8");
}

using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

var builder = WebApplication.CreateBuilder(args);

// The two lines an app adds (the configuration section is optional):
var beacon = builder.Services.AddBeacon(builder.Configuration.GetSection("FrancisBeacon"));

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

var app = builder.Build();
app.UseBeacon();
app.MapBeaconApi("/beacon/api");

app.MapGet("/", () => Page("Home", "Welcome to the FrancisBeacon sample shop."));
app.MapGet("/about", () => Page("About", "We make privacy-friendly lamps."));
app.MapGet("/pricing", () => Page("Pricing", "Lamps from 49 €."));

app.Lifetime.ApplicationStarted.Register(() =>
{
    var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
    foreach (var address in addresses)
    {
        Console.WriteLine($"Sample site:    {address}/");
        Console.WriteLine($"Stats endpoint: {address}/beacon/api/stats?site_id=localhost&period=7d");
    }

    Console.WriteLine($"Hits are stored in {storeDescription}. Press Ctrl+C to stop.");
});

app.Run();

static IResult Page(string title, string text)
{
    var safeTitle = WebUtility.HtmlEncode(title);
    var html = $$"""
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>{{safeTitle}} · FrancisBeacon sample</title>
        <style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}nav a{margin-right:1rem}</style>
        </head>
        <body>
        <nav><a href="/">Home</a><a href="/about">About</a><a href="/pricing">Pricing</a><a href="/beacon/api/stats?site_id=localhost&amp;period=7d">Stats (JSON)</a></nav>
        <h1>{{safeTitle}}</h1>
        <p>{{WebUtility.HtmlEncode(text)}}</p>
        <!-- The tracking pixel: the browser sends this page's URL as the Referer header. No cookies, no JavaScript. -->
        <img src="/beacon/hit.gif" alt="" width="1" height="1">
        </body>
        </html>
        """;
    return Results.Content(html, "text/html; charset=utf-8");
}

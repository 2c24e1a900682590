using System.Net;
using FrancisBeacon.AspNetCore;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.Browser.Tests;

/// <summary>
/// A real Kestrel app on 127.0.0.1 (dynamic port) with the in-memory store, serving small test pages. The browser
/// reaches it as <c>http://site.test:{port}</c> (see <see cref="ChromiumFixture.Args"/>).
/// </summary>
internal sealed class TestSite : IAsyncDisposable
{
    public const string Host = "site.test";
    public const string OtherHost = "other.test";

    private const string Stub = "<script>window.beacon = window.beacon || function () { (window.beacon.q = window.beacon.q || []).push(arguments) }</script>";

    private TestSite(WebApplication app, int port)
    {
        App = app;
        Port = port;
    }

    public WebApplication App { get; }

    public int Port { get; }

    /// <summary><c>http://site.test:{port}</c>.</summary>
    public string Origin => $"http://{Host}:{Port}";

    public InMemoryHitStore Store => (InMemoryHitStore)App.Services.GetRequiredService<IHitStore>();

    public static async Task<TestSite> StartAsync(Action<BeaconOptions>? configure = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddBeacon(o =>
        {
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
            o.ServerSideTracking.Enabled = true;
            o.ServerSideTracking.ExcludePaths.Add("/js"); // pages that carry a script record through it, not twice
            o.ServerSideTracking.ExcludePaths.Add("/compat");
            o.Compatibility.Plausible = true;
            o.Compatibility.Umami = true;
            configure?.Invoke(o);
        }).UseInMemory();

        var app = builder.Build();
        app.UseBeacon();
        MapPages(app);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new TestSite(app, new Uri(address).Port);
    }

    private static void MapPages(WebApplication app)
    {
        // Our tracker, with outbound-link tracking; the link leaves for another host of the same test server.
        app.MapGet("/js/{**rest}", (HttpContext context) => Page(
            "Script page",
            $"""<script defer src="/beacon/script.js" data-outbound></script>{Stub}""",
            $"""<p>The tracker script records this page.</p><p><a id="out" href="http://{OtherHost}:{context.Connection.LocalPort}/js/elsewhere">Elsewhere</a></p>"""));

        // No script, no pixel: server-side tracking sees the response.
        app.MapGet("/plain", () => Page(
            "FrancisBeacon · no script",
            string.Empty,
            """
            <h1>Tracked without JavaScript</h1>
            <p>This page loads no script and no pixel. FrancisBeacon's middleware saw the HTML response and recorded the
            page view on the server.</p>
            <ul><li>no cookies</li><li>no client-side code</li><li>bots filtered by their headers</li></ul>
            """));

        // Server-side tracking with confirmation: the page carries the confirmation image.
        app.MapGet("/confirm", (HttpContext context) => Page("Confirmed page", string.Empty, $"<p>Confirmed by an image.</p>{TrackerScript.ConfirmationTag(context)}"));

        // The official Plausible tracker, as its README shows.
        app.MapGet("/compat/plausible/{**rest}", () => Page(
            "Plausible tracker",
            $$"""<script type="module">import { init } from "/vendor/plausible.js"; init({ domain: "{{Host}}", endpoint: "/api/event" });</script>""",
            "<p>Plausible's own tracker sends to /api/event.</p>"));

        // The official Umami tracker, served from the site's root as Umami serves /script.js.
        app.MapGet("/compat/umami/{**rest}", () => Page(
            "Umami tracker",
            """<script defer src="/umami.js" data-website-id="4fb7b1d3-0000-4000-8000-000000000000"></script>""",
            "<p>Umami's own tracker sends to /api/send.</p>"));

        app.MapGet("/vendor/plausible.js", () => Results.File(Path.Combine(AppContext.BaseDirectory, "Vendor", "plausible", "plausible.js"), "text/javascript"));
        app.MapGet("/umami.js", () => Results.File(Path.Combine(AppContext.BaseDirectory, "Vendor", "umami", "index.js"), "text/javascript"));
    }

    private static IResult Page(string title, string head, string body) => Results.Content(
        $$"""
        <!doctype html>
        <html lang="en">
        <head><meta charset="utf-8"><title>{{WebUtility.HtmlEncode(title)}}</title>
        <style>
          body { font-family: sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #1d2433; }
          h1 { color: #0b5cad; } li { margin: .3rem 0; }
        </style>
        {{head}}
        </head>
        <body>
        {{body}}
        </body>
        </html>
        """,
        "text/html; charset=utf-8");

    /// <summary>Waits (bounded) until the stored hits satisfy <paramref name="done"/>, and returns them.</summary>
    public async Task<List<Hit>> WaitForHitsAsync(Func<List<Hit>, bool> done, TimeSpan? timeout = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        while (true)
        {
            var hits = new List<Hit>();
            await foreach (var hit in Store.ReadAsync(HitRange.All, CancellationToken.None))
            {
                hits.Add(hit);
            }

            if (done(hits))
            {
                return hits;
            }

            if (clock.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds:0} s; stored hits: " +
                    string.Join("; ", hits.Select(h => $"{h.EventName} {h.SiteId}{h.Path} [{string.Join(",", h.Properties.Select(p => p.Key + "=" + p.Value))}]")));
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
    }
}

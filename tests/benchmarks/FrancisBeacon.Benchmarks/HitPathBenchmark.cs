// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors
using System.Diagnostics;
using System.Globalization;
using System.Text;
using FrancisBeacon;

/// <summary>
/// The per-request cost of the beacon without the network: the sample's beacon middleware (in-memory store, default
/// options) invoked in a loop on one reused <see cref="DefaultHttpContext"/> carrying load.sh's GET hit.gif and POST
/// event requests. Reports bytes allocated per request on the calling thread (the store's writer runs on another)
/// and requests per second on one thread. The query string is parsed once per reused context (ASP.NET's own cost,
/// the same for any endpoint), so it is not counted.
/// </summary>
internal static class HitPathBenchmark
{
    private const string UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    private const string PixelQuery = "?u=http%3A%2F%2Flocalhost%2Fpricing%3Futm_source%3Dnewsletter&r=https%3A%2F%2Fwww.google.com%2F&w=1920";
    private const string EventBody = "{\"name\":\"pageview\",\"url\":\"http://localhost/pricing?utm_source=newsletter\",\"referrer\":\"https://www.google.com/\",\"screen_width\":1920}";

    public static async Task<int> RunAsync(string[] args)
    {
        var hits = int.Parse(Option(args, "--hits") ?? "200000", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Option(args, "--rounds") ?? "3", CultureInfo.InvariantCulture);
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddBeacon(o =>
        {
            o.PathPrefix = "/beacon";
            var site = new BeaconSiteOptions { Id = "localhost", TimeZone = "Europe/Berlin" };
            site.Hostnames.Add("localhost");
            o.Sites.Add(site);
        }).UseInMemory();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        app.UseBeacon();
        var pipeline = ((IApplicationBuilder)app).Build();
        await app.StartAsync();

        var get = NewContext(app.Services, "GET", PixelQuery, body: null);
        var body = Encoding.UTF8.GetBytes(EventBody);
        var post = NewContext(app.Services, "POST", string.Empty, new MemoryStream(body));
        for (var round = 0; round < rounds; round++)
        {
            await Measure("GET hit.gif", get, pipeline, hits, 200);
            await Measure("POST event", post, pipeline, hits, 202);
        }

        await app.StopAsync();
        return 0;
    }

    private static DefaultHttpContext NewContext(IServiceProvider services, string method, string query, MemoryStream? body)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        var request = context.Request;
        request.Method = method;
        request.Scheme = "http";
        request.Host = new HostString("localhost");
        request.Path = method == "GET" ? "/beacon/hit.gif" : "/beacon/event";
        request.QueryString = new QueryString(query.Length == 0 ? null : query);
        request.Headers.UserAgent = UserAgent;
        request.Headers.AcceptLanguage = "en-GB,en;q=0.8";
        request.Headers.Accept = method == "GET" ? "image/avif,image/webp,image/png,*/*;q=0.8" : "*/*";
        request.Headers.Referer = "http://localhost/pricing";
        request.Headers["Sec-Fetch-Dest"] = method == "GET" ? "image" : "empty";
        request.Headers["Sec-Fetch-Mode"] = method == "GET" ? "no-cors" : "cors";
        request.Headers["Sec-Fetch-Site"] = "same-origin";
        if (body is not null)
        {
            request.ContentType = "text/plain;charset=UTF-8";
            request.ContentLength = body.Length;
            request.Body = body;
        }

        context.Connection.RemoteIpAddress = System.Net.IPAddress.Parse("203.0.113.42");
        context.Response.Body = Stream.Null;
        _ = request.Query; // parsed once: ASP.NET's cost, not the beacon's
        return context;
    }

    private static async Task Measure(string label, DefaultHttpContext context, RequestDelegate pipeline, int hits, int expected)
    {
        for (var i = 0; i < 2_000; i++)
        {
            await Invoke(context, pipeline, expected);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var gcs = GC.CollectionCount(0);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < hits; i++)
        {
            await Invoke(context, pipeline, expected);
        }

        watch.Stop();
        var bytes = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{label,-12} {hits} hits: {(double)bytes / hits,7:F0} bytes/hit, {hits / watch.Elapsed.TotalSeconds,9:F0} hits/s on one thread, {GC.CollectionCount(0) - gcs} gen0 GCs"));
    }

    private static Task Invoke(DefaultHttpContext context, RequestDelegate pipeline, int expected)
    {
        if (context.Request.Body is MemoryStream body)
        {
            body.Position = 0;
        }

        context.Response.StatusCode = 200;
        var task = pipeline(context);
        return task.IsCompletedSuccessfully && context.Response.StatusCode == expected ? Task.CompletedTask : Slow(task, context, expected);
    }

    private static async Task Slow(Task task, DefaultHttpContext context, int expected)
    {
        await task;
        if (context.Response.StatusCode != expected)
        {
            throw new InvalidOperationException($"status {context.Response.StatusCode}, expected {expected}");
        }
    }

    private static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}

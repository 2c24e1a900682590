using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.AspNetCore.Tests.Hostile;

/// <summary>
/// Raw bytes over a socket to a real Kestrel host on a loopback port, with every FrancisBeacon surface mapped (beacon
/// pixel and event, the Plausible and Umami drop-ins, server-side tracking, the tracker script, the query API, the
/// export, erasure, the dashboard, its assets and a share link) on the real SQLite store. The test server never
/// parses a request line or a header, so this is where malformed framing is tried: the corpus is made by mutating
/// valid requests for each endpoint (request line, target, headers, framing and body), with a fixed seed, not from
/// the seeded values of <see cref="HostileCorpus"/>. Every request must get an answer below 500 (or Kestrel's 505 to an
/// unknown HTTP version), or a closed connection, within a few seconds; afterwards the server still answers and still stores hits.
/// </summary>
public sealed class RawKestrelTests
{
    private static readonly TimeSpan PerRequestTimeout = TimeSpan.FromSeconds(10);
    private static readonly BeaconTokenSecret Share = BeaconTokens.CreateShareLink();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;


    [Fact]
    public async Task EveryEndpoint_MutatedRawRequests_AnsweredBelow500OrClosedWithoutHanging()
    {
        var databasePath = BeaconTestHost.NewDatabasePath();
        Directory.CreateDirectory(Path.GetDirectoryName(databasePath)!);
        var logs = new LogCapture();
        await using var app = await StartAsync(databasePath, logs);
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        var requests = Corpus(new Random(0x5EED_2611)).ToList();
        var failures = new ConcurrentQueue<string>();
        var answered = new ConcurrentDictionary<int, int>();
        using var gate = new SemaphoreSlim(8);

        await Task.WhenAll(requests.Select(async request =>
        {
            await gate.WaitAsync(Ct);
            try
            {
                var outcome = await SendAsync(port, request);
                foreach (var status in outcome.Statuses)
                {
                    answered.AddOrUpdate(status, 1, (_, n) => n + 1);
                }

                if (outcome.Failure is { } failure)
                {
                    failures.Enqueue($"{request.Name}: {failure}");
                }
            }
            finally
            {
                gate.Release();
            }
        }));

        Assert.True(failures.IsEmpty, $"{failures.Count} of {requests.Count} raw requests failed:\n" + string.Join('\n', failures.Take(40)) + "\n" + string.Join("\n", logs.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.Category + " " + e.EventId + " " + e.Message)) + "\n" + string.Join("\n", logs.Exceptions.Select(e => e.ToString()[..Math.Min(1500, e.ToString().Length)])));
        Assert.True(requests.Count >= 300, $"{requests.Count} requests");
        // Both the framing errors and the endpoints were reached (not only 400s from Kestrel's parser).
        Assert.Contains(answered.Keys, s => s is 400);
        Assert.Contains(answered.Keys, s => s is >= 200 and < 300);

        // Still serving and still storing: a valid pixel after the corpus is written.
        var store = app.Services.GetRequiredService<FrancisBeacon.Storage.IHitStore>();
        var marker = "/after-raw-corpus-" + Guid.NewGuid().ToString("N");
        var last = await SendAsync(port, Request("alive", "GET", "/beacon/hit.gif?u=" + Uri.EscapeDataString("https://example.com" + marker), ("User-Agent", BeaconTestHost.BrowserUserAgent)) with { HalfClose = false });
        Assert.Equal([200], last.Statuses);
        var clock = Stopwatch.StartNew();
        while (!(await BeaconTestHost.ReadAllAsync(store)).Any(h => h.Path == marker))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the writer stored nothing after the corpus");
            await Task.Delay(50, Ct);
        }
    }

    /// <summary>
    /// A chunk size that overflows makes Kestrel throw from the body read; the beacon's, the drop-ins' and the query
    /// API's readers answer 400 (they answered 500: the exception was unhandled).
    /// </summary>
    [Fact]
    public async Task BodyReaders_ChunkSizeOverflow_Answer400()
    {
        var databasePath = BeaconTestHost.NewDatabasePath();
        Directory.CreateDirectory(Path.GetDirectoryName(databasePath)!);
        var logs = new LogCapture();
        await using var app = await StartAsync(databasePath, logs);
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

        foreach (var path in new[] { "/beacon/event", "/api/event", "/api/send", "/beacon/api/v2/query" })
        {
            var outcome = await SendAsync(port, Request(path, "POST", path, "{}") with { Chunked = "FFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n", HalfClose = false });
            Assert.Equal([400], outcome.Statuses);
        }
    }

    /// <summary>
    /// A Host header that is not a valid international domain name (session 19's probe): server-side tracking built the
    /// page URL after the app had answered, and the IDN decoding threw — a 500 in place of the app's 404, and a logged
    /// stack for every such request. (TestServer cannot send such a Host: it decodes it itself.)
    /// </summary>
    [Fact]
    public async Task ServerSideTracking_HostThatIsNoValidDomainName_KeepsTheAppsAnswer()
    {
        var databasePath = BeaconTestHost.NewDatabasePath();
        Directory.CreateDirectory(Path.GetDirectoryName(databasePath)!);
        var logs = new LogCapture();
        // ASP.NET Core's own "Request starting" log (Information) formats the URL and throws for such a Host before any
        // app code runs; the template's appsettings log Microsoft.AspNetCore at Warning, as here.
        await using var app = await StartAsync(databasePath, logs, hostingInformation: false);
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;

        foreach (var (host, path, status) in new[] { ("example.com", "/page/idn", 200), ("xn--a.xn--", "/page/idn", 200), ("xn--", "/missing/idn", 404), ("xn--zz.test", "/missing/idn", 404) })
        {
            var request = Request("idn " + host, "GET", path, ("Accept", "text/html"), ("Sec-Fetch-Dest", "document"));
            request = request with { Headers = [("Host", host), .. request.Headers.Where(h => h.Name != "Host")], HalfClose = false };
            var outcome = await SendAsync(port, request);
            Assert.True(outcome.Statuses.SequenceEqual([status]), $"{host} {path}: [{string.Join(", ", outcome.Statuses)}] {outcome.Failure} " + string.Join("\n", logs.Exceptions.Select(e => e.ToString())));
        }

        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Empty(logs.Exceptions);
    }

    private static async Task<WebApplication> StartAsync(string databasePath, LogCapture logs, bool hostingInformation = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        if (!hostingInformation)
        {
            builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting", LogLevel.Warning);
        }

        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme).AddCookie();
        builder.Services.AddAuthorization(o => o.AddPolicy("BeaconAdmin", p => p.RequireRole("admin")));
        builder.Services.AddBeacon(o =>
            {
                o.FlushInterval = TimeSpan.FromMilliseconds(50);
                o.Compatibility.Plausible = true;
                o.Compatibility.Umami = true;
                o.IncludeBots = true;
                o.ServerSideTracking.Enabled = true;
                o.ServerSideTracking.TrackNotFound = true;
                o.ServerSideTracking.TrackServerErrors = true;
                // The corpus sends up to eight requests at once, often variants of one endpoint: a fifth export at once
                // is refused by design (503 with Retry-After; QueryConcurrencyTests.Exports_PastTheirBound_Answer503...),
                // which is not what this corpus looks for.
                o.QueryConcurrency.Exports = 0;
            })
            .UseSqlite(o =>
            {
                o.ConnectionString = BeaconTestHost.ConnectionString(databasePath);
                o.MaxRollupLag = TimeSpan.Zero;
            })
            .AddTokens(o => o.ShareLinks.Add(new BeaconShareLinkOptions { Name = "raw", Hash = Share.Hash, Site = "example.com" }));
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseBeacon();
        app.MapBeaconDashboard("/beacon");
        app.MapBeaconErasureApi("/beacon/api", "BeaconAdmin");
        app.MapGet("/page/{**rest}", () => Results.Content("<!doctype html><title>page</title>", "text/html; charset=utf-8"));
        await app.StartAsync(Ct);
        return app;
    }

    /// <summary>A valid request for each endpoint, then mutations of them, one to three at a time.</summary>
    private static IEnumerable<RawRequest> Corpus(Random random)
    {
        var hash = BeaconDashboardAssets.Instance.Hash;
        var page = Uri.EscapeDataString("https://example.com/raw");
        RawRequest[] valid =
        [
            Request("pixel", "GET", "/beacon/hit.gif?u=" + page + "&r=" + Uri.EscapeDataString("https://news.example.org/")),
            Request("event", "POST", "/beacon/event", """{"name":"Signup","url":"https://example.com/raw","props":{"plan":"pro"}}"""),
            Request("plausible", "POST", "/api/event", """{"n":"pageview","u":"https://example.com/raw","d":"example.com","p":{"k":"v"}}"""),
            Request("umami", "POST", "/api/send", """{"type":"event","payload":{"hostname":"example.com","url":"/raw","name":"Signup","data":{"k":"v"}}}"""),
            Request("script", "GET", "/beacon/script.js"),
            Request("server page", "GET", "/page/raw?utm_source=x", ("Accept", "text/html"), ("Sec-Fetch-Dest", "document")),
            Request("server 404", "GET", "/missing/raw", ("Accept", "text/html"), ("Sec-Fetch-Dest", "document")),
            Request("stats", "GET", "/beacon/api/stats?site_id=example.com&period=7d"),
            Request("query", "POST", "/beacon/api/v2/query", """{"site_id":"example.com","metrics":["visitors","pageviews"],"dimensions":["event:page"],"filters":[["is","event:page",["/raw"]]],"date_range":"7d"}"""),
            Request("export", "GET", "/beacon/api/export?site_id=example.com&period=7d&format=csv"),
            Request("realtime", "GET", "/beacon/api/realtime?site_id=example.com"),
            Request("erasure", "DELETE", "/beacon/api/hits?site_id=example.com&from=2026-01-01&to=2026-02-01"),
            Request("dashboard", "GET", "/beacon"),
            Request("asset", "GET", "/beacon/assets/" + hash + "/app.js"),
            Request("share", "GET", "/beacon/share/" + Share.Token + "/"),
            Request("share stats", "GET", "/beacon/share/" + Share.Token + "/api/stats?site_id=example.com&period=7d"),
        ];

        foreach (var request in valid)
        {
            yield return request;
            foreach (var mutation in Mutations)
            {
                yield return mutation.Apply(request, random);
            }
        }

        // Combinations: two or three random mutations of a random valid request.
        for (var i = 0; i < 160; i++)
        {
            var request = valid[random.Next(valid.Length)];
            var count = 2 + random.Next(2);
            for (var m = 0; m < count; m++)
            {
                request = Mutations[random.Next(Mutations.Length)].Apply(request, random);
            }

            yield return request;
        }
    }

    private static readonly Mutation[] Mutations =
    [
        // The request line.
        new("bare LF", (r, _) => r with { LineEnd = "\n" }),
        new("bare CR", (r, _) => r with { LineEnd = "\r" }),
        new("HTTP/1.0", (r, _) => r with { Version = "HTTP/1.0", Headers = [.. r.Headers.Where(h => h.Name != "Host")] }),
        new("HTTP/2.0 line", (r, _) => r with { Version = "HTTP/2.0" }),
        new("no version", (r, _) => r with { Version = string.Empty }),
        new("lower-case method", (r, _) => r with { Method = r.Method.ToLowerInvariant() }),
        new("method with NUL", (r, _) => r with { Method = r.Method + "\0" }),
        new("absolute URI", (r, _) => r with { Target = "http://example.com" + r.Target }),
        new("absolute URI other host", (r, _) => r with { Target = "http://evil.example:8080" + r.Target }),
        new("asterisk form", (r, _) => r with { Target = "*" }),
        new("two spaces", (r, _) => r with { Method = r.Method + " " }),
        new("tab separator", (r, _) => r with { Method = r.Method + "\t" }),
        // The target.
        new("%00 in path", (r, _) => r with { Target = InsertInPath(r.Target, "%00") }),
        new("%C0%AE overlong dot", (r, _) => r with { Target = InsertInPath(r.Target, "%C0%AE%C0%AE/") }),
        new("%ED%A0%80 surrogate", (r, _) => r with { Target = InsertInPath(r.Target, "%ED%A0%80") }),
        new("%FF in path", (r, _) => r with { Target = InsertInPath(r.Target, "%FF%FE") }),
        new("raw 0x80-0xFF in path", (r, _) => r with { Target = InsertInPath(r.Target, "\u00C3\u00A9\u00FF\u0080") }),
        new("%00 in query", (r, _) => r with { Target = AppendQuery(r.Target, "u=https%3A%2F%2Fexample.com%2F%00&x=%00%C0%AE") }),
        new("overlong in query", (r, _) => r with { Target = AppendQuery(r.Target, "u=https%3A%2F%2Fexample.com%2F%C0%AE%E0%80%AE&site_id=%C0%80") }),
        new("bad escapes", (r, _) => r with { Target = AppendQuery(r.Target, "a=%&b=%G1&c=%%30") }),
        new("dot segments", (r, _) => r with { Target = "/beacon/../beacon/./" + r.Target.TrimStart('/') }),
        new("double slash", (r, _) => r with { Target = "/" + r.Target }),
        new("long target", (r, random) => r with { Target = AppendQuery(r.Target, "x=" + new string('a', random.Next(4_000, 20_000))) }),
        // Headers.
        new("obs-fold", (r, _) => r with { Headers = [.. r.Headers, ("X-Folded", "a\r\n\tb")] }),
        new("100 headers", (r, _) => r with { Headers = [.. r.Headers, .. Enumerable.Range(0, 100).Select(i => ($"X-H{i}", new string('v', i)))] }),
        new("64 KB header", (r, _) => r with { Headers = [.. r.Headers, ("X-Big", new string('b', 64 * 1024))] }),
        new("8 KB user agent", (r, _) => r with { Headers = [.. r.Headers.Where(h => h.Name != "User-Agent"), ("User-Agent", "Mozilla/5.0 " + new string('z', 8 * 1024))] }),
        new("no colon", (r, _) => r with { RawHeaderLines = [.. r.RawHeaderLines, "NoColonHere"] }),
        new("space before colon", (r, _) => r with { RawHeaderLines = [.. r.RawHeaderLines, "X-Space : v"] }),
        new("NUL in header", (r, _) => r with { Headers = [.. r.Headers, ("Referer", "https://example.com/\0x")] }),
        new("Latin-1 bytes in header", (r, _) => r with { Headers = [.. r.Headers, ("Accept-Language", "d\u00E9\u00FF")] }),
        new("UTF-8 in header", (r, _) => r with { RawHeaderBytes = [.. r.RawHeaderBytes, .. Encoding.UTF8.GetBytes("X-Utf8: \u65E5\u672C\r\n"), .. "X-Invalid: "u8.ToArray(), 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0x0D, 0x0A] }),
        new("Host with script", (r, _) => r with { Headers = [.. r.Headers.Where(h => h.Name != "Host"), ("Host", "<script>alert(1)</script>")] }),
        new("Host with NUL", (r, _) => r with { Headers = [.. r.Headers.Where(h => h.Name != "Host"), ("Host", "example.com\0.evil")] }),
        new("two Hosts", (r, _) => r with { Headers = [.. r.Headers, ("Host", "other.example")] }),
        new("no Host", (r, _) => r with { Headers = [.. r.Headers.Where(h => h.Name != "Host")] }),
        new("hostile forwarding headers", (r, _) => r with { Headers = [.. r.Headers, ("X-Forwarded-For", "1.2.3.4, <script>, ::ffff:999.1.1.1"), ("X-Forwarded-Host", "evil\0.example"), ("Sec-GPC", "\u00FF"), ("DNT", "1\u00A0")] }),
        new("hostile UA and client hints", (r, _) => r with { Headers = [.. r.Headers.Where(h => h.Name != "User-Agent"), ("User-Agent", "\u00C0\u00AF<script>"), ("Sec-CH-UA", "\"\\\u00FF\";v=\"\""), ("Sec-CH-UA-Platform", "\"")] }),
        // Framing and body.
        new("body shorter than Content-Length", (r, _) => r with { ContentLength = (r.Body?.Length ?? 0) + 50, Body = r.Body ?? "{}" }),
        new("Content-Length not a number", (r, _) => r with { ContentLengthText = "12abc", Body = r.Body ?? "{}" }),
        new("negative Content-Length", (r, _) => r with { ContentLengthText = "-1", Body = r.Body ?? "{}" }),
        new("two Content-Lengths", (r, _) => r with { RawHeaderLines = [.. r.RawHeaderLines, "Content-Length: 3"], Body = r.Body ?? "{}" }),
        new("huge Content-Length", (r, _) => r with { ContentLengthText = "99999999999999999999", Body = r.Body ?? "{}" }),
        new("chunked", (r, _) => r with { Chunked = ChunkedBody(r.Body ?? "{}", "{0:x}") }),
        new("chunked bad size", (r, random) => r with { Chunked = ChunkedBody(r.Body ?? "{}", random.Next(4) switch { 0 => "zz", 1 => "-1", 2 => "FFFFFFFFFFFFFFFFFF", _ => "{0:x};" + new string('e', 9000) }) }),
        new("chunked no CRLF", (r, _) => r with { Chunked = "5\r\nab" }),
        new("chunked and Content-Length", (r, _) => r with { Chunked = ChunkedBody(r.Body ?? "{}", "{0:x}"), RawHeaderLines = [.. r.RawHeaderLines, "Content-Length: 2"] }),
        new("Transfer-Encoding gzip", (r, _) => r with { RawHeaderLines = [.. r.RawHeaderLines, "Transfer-Encoding: gzip"], Body = r.Body ?? "{}" }),
        new("invalid UTF-8 body", (r, _) => r with { BodyBytes = [.. "{\"name\":\""u8.ToArray(), 0xC0, 0xAE, 0xED, 0xA0, 0x80, .. "\",\"url\":\"https://example.com/"u8.ToArray(), 0xFF, .. "\"}"u8.ToArray()] }),
        new("NUL body", (r, random) => r with { BodyBytes = new byte[random.Next(1, 5000)] }),
        new("slow sender", (r, _) => r with { Slow = true }),
        new("pipelined", (r, _) => r with { Pipelined = true }),
    ];

    private static string InsertInPath(string target, string insert)
    {
        var query = target.IndexOf('?', StringComparison.Ordinal);
        var path = query < 0 ? target : target[..query];
        var rest = query < 0 ? string.Empty : target[query..];
        return path.TrimEnd('/') + "/" + insert + rest;
    }

    private static string AppendQuery(string target, string query) => target + (target.Contains('?', StringComparison.Ordinal) ? "&" : "?") + query;

    private static string ChunkedBody(string body, string sizeFormat)
    {
        var size = sizeFormat.Contains("{0", StringComparison.Ordinal) ? string.Format(System.Globalization.CultureInfo.InvariantCulture, sizeFormat, Encoding.UTF8.GetByteCount(body)) : sizeFormat;
        return size + "\r\n" + body + "\r\n0\r\n\r\n";
    }

    private static RawRequest Request(string name, string method, string target, params (string Name, string Value)[] headers) =>
        new(name, method, target, [("Host", "example.com"), ("User-Agent", BeaconTestHost.BrowserUserAgent), .. headers], null);

    private static RawRequest Request(string name, string method, string target, string body) =>
        new(name, method, target, [("Host", "example.com"), ("User-Agent", BeaconTestHost.BrowserUserAgent), ("Content-Type", "application/json")], body);

    /// <summary>Sends the request, closes the sending side, and reads until the server closes the connection.</summary>
    private static async Task<Outcome> SendAsync(int port, RawRequest request)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(PerRequestTimeout);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var received = new MemoryStream();
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), timeout.Token);
            var bytes = request.ToBytes();
            try
            {
                if (request.Slow)
                {
                    for (var i = 0; i < bytes.Length; i += 7)
                    {
                        await socket.SendAsync(bytes.AsMemory(i, Math.Min(7, bytes.Length - i)), SocketFlags.None, timeout.Token);
                        await Task.Delay(i < 70 ? 5 : 0, timeout.Token);
                    }
                }
                else
                {
                    await socket.SendAsync(bytes, SocketFlags.None, timeout.Token);
                }

                if (request.HalfClose)
                {
                    socket.Shutdown(SocketShutdown.Send); // the end of a request cut short, too
                }
            }
            catch (SocketException)
            {
                // The server may close the connection before it read everything (a request it refused early).
            }

            var buffer = new byte[16 * 1024];
            while (true)
            {
                int read;
                try
                {
                    read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                }
                catch (SocketException)
                {
                    break; // reset after an early refusal
                }

                if (read == 0)
                {
                    break;
                }

                received.Write(buffer, 0, read);
            }
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            return new Outcome(Statuses(received), $"no answer and no close within {PerRequestTimeout.TotalSeconds} s (received {received.Length} bytes)");
        }

        var statuses = Statuses(received);
        // 505 is Kestrel's own, correct answer to a request line with a version other than HTTP/1.0 or HTTP/1.1.
        return statuses.FirstOrDefault(s => s >= 500 && s != 505) is var bad and > 0
            ? new Outcome(statuses, $"answered {bad}: {Encoding.Latin1.GetString(received.ToArray()).Split("\r\n\r\n")[0].ReplaceLineEndings(" | ")}")
            : new Outcome(statuses, null);
    }

    /// <summary>The status codes of the responses in what was received (pipelined requests get several).</summary>
    private static List<int> Statuses(MemoryStream received)
    {
        var text = Encoding.Latin1.GetString(received.ToArray());
        var statuses = new List<int>();
        var at = 0;
        while ((at = text.IndexOf("HTTP/1.", at, StringComparison.Ordinal)) >= 0)
        {
            if (at + 12 <= text.Length && (at == 0 || text[at - 1] == '\n') && int.TryParse(text.AsSpan(at + 9, 3), out var status))
            {
                statuses.Add(status);
            }

            at += 7;
        }

        return statuses;
    }

    private sealed record Outcome(List<int> Statuses, string? Failure);

    private sealed record Mutation(string Name, Func<RawRequest, Random, RawRequest> Change)
    {
        public RawRequest Apply(RawRequest request, Random random) => Change(request, random) with { Name = request.Name + " + " + Name };
    }

    private sealed record RawRequest(string Name, string Method, string Target, (string Name, string Value)[] Headers, string? Body)
    {
        public string Version { get; init; } = "HTTP/1.1";

        public string LineEnd { get; init; } = "\r\n";

        public string[] RawHeaderLines { get; init; } = [];

        public byte[] RawHeaderBytes { get; init; } = [];

        public int? ContentLength { get; init; }

        public string? ContentLengthText { get; init; }

        public string? Chunked { get; init; }

        public byte[]? BodyBytes { get; init; }

        public bool Slow { get; init; }

        public bool Pipelined { get; init; }

        /// <summary>Whether the client closes its sending side after the request (Kestrel may then drop a request it has not read yet).</summary>
        public bool HalfClose { get; init; } = true;

        public byte[] ToBytes()
        {
            var one = Single();
            return Pipelined ? [.. Single(keepAlive: true), .. one] : one;
        }

        private byte[] Single(bool keepAlive = false)
        {
            var head = new StringBuilder();
            head.Append(Method).Append(' ').Append(Target);
            if (Version.Length > 0)
            {
                head.Append(' ').Append(Version);
            }

            head.Append(LineEnd);
            foreach (var (name, value) in Headers)
            {
                head.Append(name).Append(": ").Append(value).Append(LineEnd);
            }

            foreach (var line in RawHeaderLines)
            {
                head.Append(line).Append(LineEnd);
            }

            var body = BodyBytes ?? (Chunked is not null ? Encoding.Latin1.GetBytes(Chunked) : Body is null ? [] : Encoding.UTF8.GetBytes(Body));
            if (Chunked is not null)
            {
                head.Append("Transfer-Encoding: chunked").Append(LineEnd);
            }
            else if (ContentLengthText is not null)
            {
                head.Append("Content-Length: ").Append(ContentLengthText).Append(LineEnd);
            }
            else if (body.Length > 0 || ContentLength is not null || Method is "POST")
            {
                head.Append("Content-Length: ").Append(ContentLength ?? body.Length).Append(LineEnd);
            }

            head.Append(keepAlive ? "Connection: keep-alive" : "Connection: close").Append(LineEnd);
            // Latin-1, so that a header's bytes are exactly its characters (0x80-0xFF included).
            return [.. Encoding.Latin1.GetBytes(head.ToString()), .. RawHeaderBytes, .. Encoding.Latin1.GetBytes(LineEnd), .. body];
        }
    }
}

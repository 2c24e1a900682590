// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary><c>POST {api}/import</c> (<c>MapBeaconImportApi</c>): an export file of a site, back into a store.</summary>
public sealed class ImportEndpointTests
{
    private static readonly DateTimeOffset Day1 = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // In memory unless sqlite (a temporary file the host deletes) or another store is asked for.
    private static Task<BeaconTestHost> StartAsync(string? role = "admin", Func<IBeaconBuilder, IBeaconBuilder>? store = null, Action<BeaconImportOptions>? configure = null, Action<WebApplication>? map = null, bool sqlite = false) =>
        BeaconTestHost.StartAsync(
            o =>
            {
                o.Sites.Add(new BeaconSiteOptions { Id = "a.example", TimeZone = "Europe/Berlin" });
                o.Sites.Add(new BeaconSiteOptions { Id = "b.example" });
            },
            store: sqlite ? null : store ?? (b => b.UseInMemory()),
            map: map ?? (app =>
            {
                app.UseBeacon();
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapBeaconApi("/beacon/api").RequireAuthorization("BeaconAdmin");
                app.MapBeaconImportApi("/beacon/api", "BeaconAdmin", configure);
            }),
            services: s =>
            {
                s.AddAuthentication("Test").AddScheme<TestUserOptions, TestUserHandler>("Test", o => o.Role = role);
                s.AddAuthorization(o => o.AddPolicy("BeaconAdmin", p => p.RequireRole("admin")));
            });

    // Hostile text in every field, on three local days of a.example, and a hit of b.example.
    private static List<Hit> Hits()
    {
        string[] values = ["<script>alert(1)</script>", "'; DROP TABLE hits; --", "a,b\r\n\"c\"", "=HYPERLINK(\"x\")", "'=x", "x\0y", "日本語 👩‍💻", "-12.5"];
        var hits = new List<Hit>();
        for (var i = 0; i < values.Length * 3; i++)
        {
            var v = values[i % values.Length];
            hits.Add(new Hit
            {
                SiteId = "a.example", Timestamp = Day1.AddHours(i * 3), Path = "/" + v, Hostname = "a.example", EventName = i % 4 == 0 ? "Buy " + v : Hit.PageviewEvent,
                Referrer = v, ReferrerSource = v, UtmCampaign = v, VisitorId = -1 - i, Browser = v, Country = "DE", City = v,
                RevenueAmount = i % 4 == 0 ? 49.9m : null, RevenueCurrency = i % 4 == 0 ? "EUR" : null,
                Properties = new Dictionary<string, string> { [v] = v, ["plan"] = "pro" },
            });
        }

        hits.Add(new Hit { SiteId = "b.example", Timestamp = Day1, Path = "/b" });
        return hits;
    }

    private static async Task<byte[]> ExportAsync(BeaconTestHost host, string format)
    {
        using var response = await host.Client.GetAsync($"/beacon/api/export?site_id=a.example&format={format}", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsByteArrayAsync(Ct);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Json, string Text)> PostAsync(BeaconTestHost host, HttpContent content, string query = "site_id=a.example", Action<HttpRequestMessage>? request = null)
    {
        using var message = new HttpRequestMessage(HttpMethod.Post, "/beacon/api/import?" + query) { Content = content };
        request?.Invoke(message);
        using var response = await host.Client.SendAsync(message, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        using var json = JsonDocument.Parse(text.Length == 0 ? "{}" : text);
        return (response.StatusCode, json.RootElement.Clone(), text);
    }

    private static ByteArrayContent Body(byte[] bytes, string contentType = "application/x-ndjson")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return content;
    }

    private static ByteArrayContent Body(string text, string contentType = "application/x-ndjson") => Body(Encoding.UTF8.GetBytes(text), contentType);

    private static string Line(string path, string site = "a.example", DateTimeOffset? at = null) =>
        $"{{\"site_id\":\"{site}\",\"timestamp\":\"{(at ?? Day1).UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}\",\"path\":\"{path}\"}}\n";

    /// <summary>
    /// One app's export, posted to another app on SQLite (and once more, gzipped): every hit is stored, the second app
    /// exports the same bytes, and answers the same queries; posting it again stores nothing twice.
    /// </summary>
    [Theory]
    [InlineData("ndjson", false)]
    [InlineData("csv", true)]
    public async Task Import_AnotherAppsExport_StoredAndExportedByteForByte(string format, bool gzip)
    {
        await using var from = await StartAsync();
        await from.Store.AppendAsync(Hits(), Ct);
        var exported = await ExportAsync(from, format);
        await using var to = await StartAsync(sqlite: true);

        var body = exported;
        if (gzip)
        {
            using var compressed = new MemoryStream();
            await using (var zip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                await zip.WriteAsync(exported, Ct);
            }

            body = compressed.ToArray();
        }

        HttpContent Content()
        {
            var content = Body(body, format == "csv" ? "text/csv" : "application/x-ndjson");
            if (gzip)
            {
                content.Headers.ContentEncoding.Add("gzip");
            }

            return content;
        }

        var (status, json, text) = await PostAsync(to, Content(), "site_id=a.example&format=" + format);

        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal("a.example", json.GetProperty("site_id").GetString());
        Assert.Equal(24, json.GetProperty("read").GetInt64());
        Assert.Equal(24, json.GetProperty("appended").GetInt64());
        Assert.Equal(Encoding.UTF8.GetString(exported), Encoding.UTF8.GetString(await ExportAsync(to, format)));
        var query = new HitQuery
        {
            SiteId = "a.example", From = Day1.AddDays(-1), To = Day1.AddDays(5), TimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"),
            Metrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events], Dimensions = [HitDimension.Page],
        };
        Assert.Equal(await from.Store.QueryAsync(query, Ct), await to.Store.QueryAsync(query, Ct));

        Assert.Equal(24, json.GetProperty("added").GetInt64());
        Assert.Equal(0, json.GetProperty("already_present").GetInt64());

        (status, json, _) = await PostAsync(to, Content(), "site_id=a.example&format=" + format);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(24, json.GetProperty("appended").GetInt64());
        Assert.Equal(0, json.GetProperty("added").GetInt64());
        Assert.Equal(24, json.GetProperty("already_present").GetInt64());
        Assert.Equal(24, (await BeaconTestHost.ReadAllAsync(to.Store)).Count);
    }

    /// <summary>
    /// A store that cannot say which hits it added (no <see cref="IHitStoreCountedAppend"/>): <c>added</c> and
    /// <c>already_present</c> are null, never a guess; <c>appended</c> still counts what was handed to the store.
    /// </summary>
    [Fact]
    public async Task Import_StoreThatDoesNotCount_AnswersAddedNull()
    {
        var blocking = new BlockingHitStore();
        blocking.Release();
        await using var host = await StartAsync(store: b => b.UseStore(_ => blocking));

        var (status, json, text) = await PostAsync(host, Body(Line("/1") + Line("/2", at: Day1.AddMinutes(1))));

        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal(2, json.GetProperty("appended").GetInt64());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("added").ValueKind);
        Assert.Equal(JsonValueKind.Null, json.GetProperty("already_present").ValueKind);
    }

    /// <summary>
    /// While an import of a site runs, another import of the same site is answered 409 and one of another site, past
    /// <see cref="BeaconImportOptions.MaxConcurrentImports"/>, 503, both with Retry-After and before anything is stored;
    /// once the first has been answered, the next one runs.
    /// </summary>
    [Fact]
    public async Task Import_WhileAnotherRuns_SameSite409_OverTheBound503_ThenRunsOnceItEnded()
    {
        var blocking = new BlockingHitStore();
        await using var host = await StartAsync(store: b => b.UseStore(_ => blocking), configure: o => o.MaxConcurrentImports = 1);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        bounded.CancelAfter(TimeSpan.FromSeconds(20)); // without the bound the refused imports would wait at the store's gate

        using var firstRequest = new HttpRequestMessage(HttpMethod.Post, "/beacon/api/import?site_id=a.example") { Content = Body(Line("/first")) };
        var first = host.Client.SendAsync(firstRequest, bounded.Token);
        await blocking.Entered.WaitAsync(bounded.Token);

        using var sameSite = new HttpRequestMessage(HttpMethod.Post, "/beacon/api/import?site_id=a.example") { Content = Body(Line("/second")) };
        using var conflict = await host.Client.SendAsync(sameSite, bounded.Token);
        using var otherSite = new HttpRequestMessage(HttpMethod.Post, "/beacon/api/import?site_id=b.example") { Content = Body(Line("/b", site: "b.example")) };
        using var full = await host.Client.SendAsync(otherSite, bounded.Token);

        Assert.Equal(HttpStatusCode.Conflict, conflict.StatusCode);
        Assert.NotNull(conflict.Headers.RetryAfter);
        Assert.Contains("Another import into site a.example", await conflict.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, full.StatusCode);
        Assert.NotNull(full.Headers.RetryAfter);
        Assert.Contains("MaxConcurrentImports", await full.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        blocking.Release();
        using (var answered = await first)
        {
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        }

        var (status, _, text) = await PostAsync(host, Body(Line("/b", site: "b.example")), "site_id=b.example");
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal(["/b", "/first"], (await BeaconTestHost.ReadAllAsync(blocking.Inner)).Select(h => h.Path).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// A bad line: 400 naming the line and field, with every hit before it stored (and counted); after the line is
    /// fixed the same request stores the rest, and nothing twice.
    /// </summary>
    [Fact]
    public async Task Import_BadLine_Answers400WithTheLineAndWhatIsStored_AndARerunCompletes()
    {
        await using var host = await StartAsync(configure: o => o.BatchSize = 2);
        var good = Line("/1") + Line("/2", at: Day1.AddMinutes(1)) + Line("/3", at: Day1.AddMinutes(2));
        var last = Line("/5", at: Day1.AddMinutes(4));

        var (status, json, text) = await PostAsync(host, Body(good + "{\"site_id\":\"a.example\",\"timestamp\":\"yesterday\",\"path\":\"/4\"}\n" + last));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(4, json.GetProperty("line").GetInt64());
        Assert.Equal("timestamp", json.GetProperty("field").GetString());
        Assert.Equal(3, json.GetProperty("appended").GetInt64());
        Assert.StartsWith("Line 4, field timestamp:", json.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, (await BeaconTestHost.ReadAllAsync(host.Store)).Count);
        Assert.DoesNotContain("Exception", text, StringComparison.Ordinal);

        (status, json, _) = await PostAsync(host, Body(good + Line("/4", at: Day1.AddMinutes(3)) + last));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, json.GetProperty("read").GetInt64());
        Assert.Equal(2, json.GetProperty("added").GetInt64());
        Assert.Equal(3, json.GetProperty("already_present").GetInt64());
        Assert.Equal(["/1", "/2", "/3", "/4", "/5"], (await BeaconTestHost.ReadAllAsync(host.Store)).Select(h => h.Path));
    }

    [Fact]
    public async Task Import_HitOfAnotherSite_Answers400NamingItsLine()
    {
        await using var host = await StartAsync();

        var (status, json, _) = await PostAsync(host, Body(Line("/1") + Line("/2", site: "b.example")));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(2, json.GetProperty("line").GetInt64());
        Assert.Equal("site_id", json.GetProperty("field").GetString());
        Assert.Equal(["/1"], (await BeaconTestHost.ReadAllAsync(host.Store)).Select(h => h.Path));
    }

    [Fact]
    public async Task Import_HitMoreThanAnHourAhead_Answers400()
    {
        await using var host = await StartAsync();
        var now = TimeProvider.System.GetUtcNow();

        var (status, json, _) = await PostAsync(host, Body(Line("/soon", at: now.AddMinutes(30)) + Line("/later", at: now.AddHours(2))));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(2, json.GetProperty("line").GetInt64());
        Assert.Equal("timestamp", json.GetProperty("field").GetString());
    }

    /// <summary>Text from the file shown in an error (an unknown field's name) is JSON-escaped, never markup.</summary>
    [Fact]
    public async Task Import_HostileFieldName_IsEscapedInTheAnswer()
    {
        await using var host = await StartAsync();

        var (status, json, text) = await PostAsync(host, Body("{\"<script>alert(1)</script>\":\"x\"}\n"));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("<script>alert(1)</script>", json.GetProperty("field").GetString());
        Assert.DoesNotContain("<script>", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "site_id=a.example", "application/x-ndjson", null, HttpStatusCode.Unauthorized)]
    [InlineData("reader", "site_id=a.example", "application/x-ndjson", null, HttpStatusCode.Forbidden)]
    [InlineData("admin", "site_id=a.example", "application/x-ndjson", "cross-site", HttpStatusCode.Forbidden)]
    [InlineData("admin", "site_id=a.example", "application/x-ndjson", "same-origin, same-site", HttpStatusCode.Forbidden)]
    [InlineData("admin", "site_id=a.example", "text/plain", null, HttpStatusCode.UnsupportedMediaType)]
    [InlineData("admin", "site_id=a.example", "application/x-www-form-urlencoded", null, HttpStatusCode.UnsupportedMediaType)]
    [InlineData("admin", "site_id=a.example", "multipart/form-data; boundary=x", null, HttpStatusCode.UnsupportedMediaType)]
    [InlineData("admin", "", "application/x-ndjson", null, HttpStatusCode.BadRequest)]
    [InlineData("admin", "site_id=unknown.example", "application/x-ndjson", null, HttpStatusCode.NotFound)]
    [InlineData("admin", "site_id=a.example&format=xml", "application/x-ndjson", null, HttpStatusCode.BadRequest)]
    public async Task Import_RefusedRequests_StoreNothing(string? role, string query, string contentType, string? fetchSite, HttpStatusCode expected)
    {
        await using var host = await StartAsync(role);

        var (status, _, _) = await PostAsync(host, Body(Line("/1"), contentType), query, m =>
        {
            if (fetchSite is not null)
            {
                m.Headers.TryAddWithoutValidation("Sec-Fetch-Site", fetchSite);
            }
        });

        Assert.Equal(expected, status);
        Assert.Empty(await BeaconTestHost.ReadAllAsync(host.Store));
    }

    /// <summary>Beacon tokens are read-only: an API key is refused even by a policy that accepts keys.</summary>
    [Fact]
    public async Task Import_WithAnApiKey_Answers403EvenWhenThePolicyAcceptsKeys()
    {
        var key = BeaconTokens.CreateApiKey();
        await using var host = await BeaconTestHost.StartAsync(
            o => o.Sites.Add(new BeaconSiteOptions { Id = "a.example" }),
            store: b => b.UseInMemory().AddTokens(o =>
            {
                var ops = new BeaconApiKeyOptions { Name = "ops", Hash = key.Hash };
                ops.Sites.Add("*");
                o.ApiKeys.Add(ops);
            }),
            services: s => s.AddAuthorization(o => o.AddPolicy("Keys", p => p
                .AddAuthenticationSchemes(BeaconTokenDefaults.AuthenticationScheme)
                .RequireAssertion(c => BeaconTokens.IsToken(c.User)))),
            map: app =>
            {
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapBeaconImportApi("/beacon/api", "Keys");
            });

        var (status, json, _) = await PostAsync(host, Body(Line("/1")), request: m => m.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key.Token));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("authorization", json.GetProperty("field").GetString());
        Assert.Empty(await BeaconTestHost.ReadAllAsync(host.Store));
    }

    [Fact]
    public async Task Import_NoContentTypeOrAnUnknownEncoding_Answers415()
    {
        await using var host = await StartAsync();
        var bare = new ByteArrayContent(Encoding.UTF8.GetBytes(Line("/1")));
        var brotli = Body(Line("/1"));
        brotli.Headers.ContentEncoding.Add("br");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await PostAsync(host, bare)).Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await PostAsync(host, brotli)).Status);
        Assert.Empty(await BeaconTestHost.ReadAllAsync(host.Store));
    }

    [Fact]
    public async Task MapBeaconApi_Alone_HasNoImportEndpoint()
    {
        await using var host = await StartAsync(map: app =>
        {
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapBeaconDashboard("/beacon");
        });

        var (status, _, _) = await PostAsync(host, Body(Line("/1")));

        Assert.True(status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed, status.ToString());
        Assert.Empty(await BeaconTestHost.ReadAllAsync(host.Store));
    }

    [Fact]
    public void MapBeaconImportApi_WithoutPolicyOrWithABadLimit_Throws()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddBeacon().UseInMemory();
        using var app = builder.Build();

        Assert.Throws<ArgumentException>(() => app.MapBeaconImportApi("/beacon/api", " "));
        Assert.Throws<ArgumentOutOfRangeException>(() => app.MapBeaconImportApi("/beacon/api", "p", o => o.MaxRequestBodySize = 0));
    }

    /// <summary>
    /// A body over the limit: 413 at once when its length is declared, when it is streamed once the limit is passed, and
    /// when it is small but decompresses past the limit (a gzip bomb).
    /// </summary>
    [Fact]
    public async Task Import_BodyOverTheLimit_Answers413()
    {
        await using var host = await StartAsync(configure: o => o.MaxRequestBodySize = 1000);
        var text = string.Concat(Enumerable.Range(0, 40).Select(i => Line("/" + i, at: Day1.AddSeconds(i))));

        var declared = await PostAsync(host, Body(text));
        var streamed = new StreamContent(new UnseekableStream(Encoding.UTF8.GetBytes(text)));
        streamed.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        var chunked = await PostAsync(host, streamed);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, declared.Status);
        Assert.Equal(0, declared.Json.GetProperty("appended").GetInt64());
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.Status);
        Assert.Equal("body", chunked.Json.GetProperty("field").GetString());

        using var compressed = new MemoryStream();
        await using (var zip = new GZipStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            await zip.WriteAsync(Encoding.UTF8.GetBytes(text), Ct);
        }

        Assert.True(compressed.Length < 1000, compressed.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var bomb = Body(compressed.ToArray());
        bomb.Headers.ContentEncoding.Add("gzip");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await PostAsync(host, bomb)).Status);
    }

    /// <summary>
    /// A gzip body cut short - inside its last CSV cell, or just before its eight-byte trailer - or two gzip files
    /// joined: 400 naming content_encoding, and the batch holding the end is not stored. GZipStream ends silently at the
    /// end of its input, so a cut CSV stored its last row with a shortened value and a cut NDJSON file answered 200.
    /// </summary>
    [Fact]
    public async Task Import_GzipCutShortOrJoined_Answers400_AndTheEndIsNotStored()
    {
        await using var from = await StartAsync();
        await from.Store.AppendAsync(Hits(), Ct);
        var csv = await ExportAsync(from, "csv");
        var ndjson = await ExportAsync(from, "ndjson");

        // The CSV up to the middle of its last row's path, flushed so that those compressed bytes decompress to exactly it.
        var lastRow = Array.LastIndexOf(csv, (byte)'\n', csv.Length - 2) + 1;
        var cutAt = lastRow + ((csv.Length - lastRow) / 2);
        byte[] cut;
        using (var compressed = new MemoryStream())
        {
            await using (var zip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                await zip.WriteAsync(csv.AsMemory(0, cutAt), Ct);
                await zip.FlushAsync(Ct);
                cut = compressed.ToArray();
                await zip.WriteAsync(csv.AsMemory(cutAt), Ct);
            }
        }

        var whole = Gzip(ndjson);
        // Batches of 10 of the 24 rows: the first two are stored before the end is read; the joined files' second copy
        // has the same ids, so its first two batches store nothing new.
        var cases = new (string Name, byte[] Body, string Format, int Appended, int Stored)[]
        {
            ("csv cut in its last cell", cut, "csv", 20, 20),
            ("ndjson without its trailer", whole[..^8], "ndjson", 20, 20),
            ("two gzip files joined", [.. whole, .. Gzip(ndjson)], "ndjson", 40, 24),
        };
        foreach (var (name, body, format, appended, stored) in cases)
        {
            await using var to = await StartAsync(configure: o => o.BatchSize = 10);
            var content = Body(body, format == "csv" ? "text/csv" : "application/x-ndjson");
            content.Headers.ContentEncoding.Add("gzip");

            var (status, json, text) = await PostAsync(to, content, "site_id=a.example&format=" + format);

            Assert.True(status == HttpStatusCode.BadRequest, name + ": " + text);
            Assert.Equal("content_encoding", json.GetProperty("field").GetString());
            Assert.Equal(appended, json.GetProperty("appended").GetInt64());
            Assert.Equal(stored, (await BeaconTestHost.ReadAllAsync(to.Store)).Count);
        }

        await using var again = await StartAsync(configure: o => o.BatchSize = 10);
        var good = Body(whole);
        good.Headers.ContentEncoding.Add("gzip");
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(again, good)).Status);
        Assert.Equal(24, (await BeaconTestHost.ReadAllAsync(again.Store)).Count);
    }

    private static byte[] Gzip(byte[] data)
    {
        using var compressed = new MemoryStream();
        using (var zip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zip.Write(data);
        }

        return compressed.ToArray();
    }

    /// <summary>
    /// The client resets the connection mid-upload: the batches before it stay stored and the endpoint answers (for the
    /// log, nobody reads it); the reset was an unhandled exception, logged as an error with a 500.
    /// </summary>
    [Fact]
    public async Task Import_ConnectionResetMidBody_KeepsTheBatchesBeforeIt_WithoutAnUnhandledException()
    {
        var text = string.Concat(Enumerable.Range(0, 25).Select(i => Line("/" + i, at: Day1.AddSeconds(i))));
        var resetAfter = Encoding.UTF8.GetByteCount(string.Concat(Enumerable.Range(0, 20).Select(i => Line("/" + i, at: Day1.AddSeconds(i)))));
        await using var host = await StartAsync(
            map: app =>
            {
                app.Use((context, next) =>
                {
                    context.Request.Body = new ResettingStream(context.Request.Body, resetAfter);
                    return next(context);
                });
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapBeaconApi("/beacon/api").RequireAuthorization("BeaconAdmin");
                app.MapBeaconImportApi("/beacon/api", "BeaconAdmin", o => o.BatchSize = 10);
            });

        var (status, json, _) = await PostAsync(host, Body(text));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(20, json.GetProperty("appended").GetInt64());
        Assert.Equal(20, Encoding.UTF8.GetString(await ExportAsync(host, "ndjson")).Count(c => c == '\n'));
    }

    [Fact]
    public async Task Import_StoreDown_Answers503()
    {
        var down = new DownHitStore();
        await using var host = await StartAsync(store: b => b.UseStore(_ => down));

        var (status, json, _) = await PostAsync(host, Body(Line("/1")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("store", json.GetProperty("field").GetString());
    }

    /// <summary>
    /// An import into SQLite while the beacon writes hits of the same site (SQLite serialises writers): no
    /// <c>database is locked</c>, every imported and every tracked hit is stored.
    /// </summary>
    [Fact]
    public async Task Import_WhileTheBeaconWritesToSqlite_BothAreStored()
    {
        await using var host = await StartAsync(configure: o => o.BatchSize = 50, sqlite: true);
        var text = string.Concat(Enumerable.Range(0, 3000).Select(i => Line("/imported/" + i, at: Day1.AddSeconds(i))));
        var beacon = Task.Run(async () =>
        {
            for (var i = 0; i < 150; i++)
            {
                using var hit = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString($"https://a.example/live{i}"), Ct);
                Assert.Equal(HttpStatusCode.OK, hit.StatusCode);
            }
        }, Ct);

        var (status, json, text2) = await PostAsync(host, Body(text));
        await beacon;

        Assert.True(status == HttpStatusCode.OK, text2);
        Assert.Equal(3000, json.GetProperty("appended").GetInt64());
        var stored = await host.WaitForHitsAsync(3150);
        Assert.Equal(3000, stored.Count(h => h.Path.StartsWith("/imported/", StringComparison.Ordinal)));
        Assert.Equal(150, stored.Count(h => h.Path.StartsWith("/live", StringComparison.Ordinal)));
    }

    private sealed class DownHitStore : IHitStore
    {
        public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) => throw new TimeoutException("The database did not answer.");

        public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken) => throw new TimeoutException("The database did not answer.");

        public async IAsyncEnumerable<Hit> ReadAsync(HitRange range, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            throw new TimeoutException("The database did not answer.");
#pragma warning disable CS0162 // an iterator needs a yield
            yield break;
#pragma warning restore CS0162
        }

        public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => ValueTask.FromResult(0L);
    }

    /// <summary>The request body until <c>limit</c> bytes, then what Kestrel throws when the client resets the connection.</summary>
    private sealed class ResettingStream(Stream inner, int limit) : Stream
    {
        private int _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_read >= limit)
            {
                throw new Microsoft.AspNetCore.Connections.ConnectionResetException("Connection reset by peer");
            }

            var read = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, limit - _read)], cancellationToken);
            _read += read;
            return read;
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class UnseekableStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}

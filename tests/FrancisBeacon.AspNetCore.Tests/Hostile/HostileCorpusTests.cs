using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests.Hostile;

/// <summary>
/// Sends the hostile corpus (<see cref="HostileCorpus"/>) at every endpoint of one app with everything switched on,
/// then reads back what was stored through the API and the export.
/// </summary>
public sealed class HostileCorpusTests
{
    private static readonly TimeSpan PerRequestTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The most of a huge body the server may read before it gives up (its limit plus buffering slack).</summary>
    private const long MaxBodyBytesRead = 1024 * 1024;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<BeaconTestHost> StartAsync() =>
        BeaconTestHost.StartAsync(
            o =>
            {
                o.Compatibility.Plausible = true;
                o.Compatibility.Umami = true;
                o.IncludeBots = true; // record hostile user agents too, so that more hostile values are stored and read back
                o.ServerSideTracking.Enabled = true;
                o.ServerSideTracking.TrackNotFound = true;
                o.ServerSideTracking.TrackServerErrors = true;
            },
            map: app =>
            {
                app.UseBeacon();
                app.MapBeaconDashboard("/beacon");
                app.MapGet("/page/{**rest}", () => Results.Content("<!doctype html><title>page</title>", "text/html; charset=utf-8"));
            });

    [Fact]
    public void Corpus_HasAtLeastAThousandRequests()
    {
        var count = HostileCorpus.SeededRequests("0000").Count() + HostileCorpus.StructuralRequests().Count();

        Assert.True(count >= 1000, $"The corpus has {count} requests.");
        Assert.True(HostileCorpus.Seeds.Count >= 50, $"seeds.txt has {HostileCorpus.Seeds.Count} values.");
    }

    [Fact]
    public async Task EveryEndpoint_HostileCorpus_NeverFailsHangsOrReadsUnbounded_AndStoresNothingThatRendersAsMarkup()
    {
        await using var host = await StartAsync();
        var server = host.App.GetTestServer();
        var requests = HostileCorpus.SeededRequests(BeaconDashboardAssets.Instance.Hash).Concat(HostileCorpus.StructuralRequests()).ToList();
        var failures = new ConcurrentQueue<string>();
        using var gate = new SemaphoreSlim(4);

        await Task.WhenAll(requests.Select(async request =>
        {
            await gate.WaitAsync(Ct);
            try
            {
                if (await SendAsync(server, request) is { } failure)
                {
                    failures.Enqueue(failure);
                }
            }
            finally
            {
                gate.Release();
            }
        }));

        Assert.True(failures.IsEmpty, $"{failures.Count} of {requests.Count} hostile requests failed:\n" + string.Join('\n', failures.DistinctBy(f => f.Split(':')[0] + f.Split(':').Last()).Take(60)));

        // Read back everything that was stored, the way an owner would, once the writer has stored every hit it took
        // (the last batch may still be on its way: the export below must see the same rows).
        var metrics = host.Services.GetRequiredService<BeaconMetrics>();
        var hits = await host.WaitForHitsAsync((int)Math.Max(1, metrics.ReceivedTotal), TimeSpan.FromSeconds(60));
        // The corpus also holds requests that must be recorded (valid URLs with odd fields).
        Assert.True(hits.Count > 100, $"{hits.Count} hits stored; received {metrics.ReceivedTotal}, dropped {string.Join(", ", metrics.DroppedByReason)}");
        await AssertReadBackIsInertAsync(host, hits);
    }

    /// <summary>Sends one request; returns a description of what went wrong, or null.</summary>
    private static async Task<string?> SendAsync(TestServer server, HostileRequest request)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(PerRequestTimeout);
        CountingStream? body = null;
        HttpContext context;
        try
        {
            context = await server.SendAsync(
                c =>
                {
                    var r = c.Request;
                    r.Method = request.Method;
                    r.Scheme = "https";
                    r.Host = new HostString("example.com");
                    r.Path = new PathString(request.Path);
                    r.QueryString = request.Query.Length == 0 ? QueryString.Empty : new QueryString("?" + request.Query);
                    r.Headers.UserAgent = BeaconTestHost.BrowserUserAgent;
                    r.Headers.AcceptLanguage = "en-GB,en;q=0.8";
                    r.Headers.Accept = "*/*";
                    foreach (var (name, value) in request.Headers)
                    {
                        r.Headers[name] = value;
                    }

                    if (request.ContentType is not null)
                    {
                        r.ContentType = request.ContentType;
                    }

                    if (request.BodyStream is not null)
                    {
                        body = request.BodyStream();
                        r.Body = body;
                    }
                    else if (request.Body is not null)
                    {
                        r.Body = new MemoryStream(request.Body);
                        r.ContentLength = request.Body.Length;
                    }

                    if (request.ContentLength is { } declared)
                    {
                        r.ContentLength = declared;
                    }
                },
                timeout.Token);
        }
        catch (OperationCanceledException) when (!Ct.IsCancellationRequested)
        {
            return $"{request}: no answer within {PerRequestTimeout.TotalSeconds} s";
        }
        catch (Exception ex)
        {
            return $"{request}: threw {ex.GetType().Name}: {ex.Message}";
        }

        var response = context.Response;
        if (response.StatusCode >= 500)
        {
            return $"{request}: answered {response.StatusCode}";
        }

        if (body is not null && body.BytesRead > MaxBodyBytesRead)
        {
            return $"{request}: the server read {body.BytesRead} bytes of the body";
        }

        foreach (var (name, values) in response.Headers)
        {
            if (name.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase) || name.Equals("X-Injected", StringComparison.OrdinalIgnoreCase) ||
                values.Any(v => v is not null && v.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0))
            {
                return $"{request}: the response carries an injected header {name}: {values}";
            }
        }

        return null;
    }

    private static async Task AssertReadBackIsInertAsync(BeaconTestHost host, List<Hit> hits)
    {
        var client = host.Client;
        foreach (var site in hits.Select(h => h.SiteId).Distinct(StringComparer.Ordinal))
        {
            var id = Uri.EscapeDataString(site);
            foreach (var dimension in new[] { "event:page", "event:name", "event:hostname", "visit:source", "visit:referrer", "visit:utm_source", "visit:utm_campaign", "visit:language", "visit:entry_page" })
            {
                using var query = await client.PostAsync(
                    "/beacon/api/v2/query",
                    new StringContent($$$"""{"site_id":{{{JsonSerializer.Serialize(site)}}},"metrics":["visitors","pageviews"],"dimensions":["{{{dimension}}}"],"date_range":"all"}""", Encoding.UTF8, "application/json"),
                    Ct);
                Assert.Equal(200, (int)query.StatusCode);
                AssertInertJson(await query.Content.ReadAsStringAsync(Ct), $"v2/query {dimension} of {site}");
            }

            using var stats = await client.GetAsync($"/beacon/api/stats?site_id={id}&period=7d&limit=1000", Ct);
            Assert.Equal(200, (int)stats.StatusCode);
            AssertInertJson(await stats.Content.ReadAsStringAsync(Ct), $"stats of {site}");

            using var ndjson = await client.GetAsync($"/beacon/api/export?site_id={id}", Ct);
            Assert.Equal(200, (int)ndjson.StatusCode);
            Assert.Equal("nosniff", ndjson.Headers.GetValues("X-Content-Type-Options").Single());
            var lines = (await ndjson.Content.ReadAsStringAsync(Ct)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(hits.Count(h => h.SiteId == site), lines.Length);
            foreach (var line in lines)
            {
                AssertInertJson(line, $"export of {site}");
            }

            using var csv = await client.GetAsync($"/beacon/api/export?site_id={id}&format=csv", Ct);
            Assert.Equal(200, (int)csv.StatusCode);
            Assert.Equal("nosniff", csv.Headers.GetValues("X-Content-Type-Options").Single());
            var rows = ParseCsv(await csv.Content.ReadAsStringAsync(Ct));
            Assert.Equal(lines.Length + 1, rows.Count);
            foreach (var row in rows)
            {
                Assert.Equal(rows[0].Count, row.Count);
                foreach (var cell in row)
                {
                    // A plain number ("-49.9", a negative visitor id) is data; anything else starting so is a formula.
                    Assert.False(
                        cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !System.Text.RegularExpressions.Regex.IsMatch(cell, @"^[-+][0-9]+(\.[0-9]+)?$"),
                        $"A CSV cell of {site} would run as a formula: {cell}");
                }
            }
        }
    }

    /// <summary>Valid JSON whose text holds no character a browser could take for markup if it sniffed it as HTML.</summary>
    private static void AssertInertJson(string text, string what)
    {
        using var document = JsonDocument.Parse(text);
        Assert.True(text.AsSpan().IndexOfAny('<', '>') < 0, $"{what} holds unescaped markup: {text[..Math.Min(text.Length, 300)]}");
    }

    /// <summary>RFC 4180: quoted cells may hold commas, quotes (doubled) and line breaks.</summary>
    private static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"' && cell.Length == 0)
            {
                quoted = true;
            }
            else if (c == ',')
            {
                row.Add(cell.ToString());
                cell.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                // The CRLF that ends a record (RFC 4180); a bare CR outside quotes stays in the cell.
            }
            else if (c == '\n')
            {
                row.Add(cell.ToString());
                cell.Clear();
                rows.Add(row);
                row = [];
            }
            else
            {
                cell.Append(c);
            }
        }

        Assert.False(quoted, "The CSV ends inside a quoted cell.");
        Assert.Equal(0, cell.Length + row.Count);
        return rows;
    }
}

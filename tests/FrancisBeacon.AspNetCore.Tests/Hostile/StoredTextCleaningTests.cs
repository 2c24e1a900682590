using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests.Hostile;

/// <summary>
/// A NUL or an unpaired surrogate sent through any entry point reaches the store as U+FFFD (<see cref="HitText"/>):
/// the in-memory store keeps whatever it is given, so anything not cleaned at the source would show here.
/// </summary>
public sealed class StoredTextCleaningTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryEntryPoint_NulAndUnpairedSurrogates_StoredAsReplacementCharacter()
    {
        await using var host = await BeaconTestHost.StartAsync(
            o =>
            {
                o.Compatibility.Plausible = true;
                o.Compatibility.Umami = true;
                o.ServerSideTracking.Enabled = true;
                o.ServerSideTracking.TrackNotFound = true;
            },
            store: b => b.UseInMemory(),
            map: app =>
            {
                app.UseBeacon();
                app.MapPost("/track", async (IBeaconTracker tracker) =>
                {
                    await tracker.TrackAsync("Tracked", new Dictionary<string, string> { ["k\0"] = "x\0y", ["s"] = "a\uD800b" }, url: "https://example.com/tracked\uDC00");
                    return Results.NoContent();
                });
            });
        var client = host.Client;

        // The event endpoint: JSON escapes for NUL in a property key and value, in the URL, the referrer and the name.
        await SendAsync(client, HttpMethod.Post, "/beacon/event", """{"name":"Ev","url":"https://example.com/e%00v?utm_campaign=c%00d&utm_source=s\u0000","referrer":"https://ref.example/\u0000","props":{"a\u0000":"x\u0000y","b":"\u0000"}}""");
        // The pixel: %00 in the path and in the campaign parameters.
        await SendAsync(client, HttpMethod.Get, "/beacon/hit.gif?u=" + Uri.EscapeDataString("https://example.com/p%00x?utm_medium=m%00") + "&r=" + Uri.EscapeDataString("https://ref.example/%00"));
        // The drop-ins.
        await SendAsync(client, HttpMethod.Post, "/api/event", """{"n":"Plausible","u":"https://example.com/pl%00","d":"example.com","p":{"k\u0000":"v\u0000"}}""");
        await SendAsync(client, HttpMethod.Post, "/api/send", """{"type":"event","payload":{"hostname":"example.com","url":"/um%00?utm_term=t%00","name":"Umami","data":{"d\u0000":"e\u0000"}}}""");
        // Server-side tracking of a 404 whose query holds %00 (a path with %00 never gets this far), and IBeaconTracker.
        await SendAsync(client, HttpMethod.Get, "/missing-page?utm_content=c%00");
        await SendAsync(client, HttpMethod.Post, "/track", null);

        var hits = await host.WaitForHitsAsync(6);

        Assert.True(hits.Count == 6, string.Join("\n", hits.Select(h => h.EventName + " " + h.Path)));
        Assert.All(hits, h => Assert.False(HitText.NeedsCleaning(h), "Not cleaned: " + h));
        Assert.Contains(hits, h => h.Properties.TryGetValue("a\uFFFD", out var v) && v == "x\uFFFDy");
        Assert.Contains(hits, h => h.Properties.TryGetValue("k\uFFFD", out var v) && v == "x\uFFFDy" && h.Properties["s"] == "a\uFFFDb");
        Assert.Contains(hits, h => h.EventName == "Plausible" && h.Properties.TryGetValue("k\uFFFD", out var v) && v == "v\uFFFD");
        Assert.Contains(hits, h => h.EventName == "Umami" && h.Properties.TryGetValue("d\uFFFD", out var v) && v == "e\uFFFD");
        Assert.Contains(hits, h => h.EventName == "404" && h.UtmContent == "c\uFFFD");
        Assert.Contains(hits, h => h.UtmCampaign == "c\uFFFDd");
    }

    private static async Task SendAsync(HttpClient client, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.UserAgent.ParseAdd(BeaconTestHost.BrowserUserAgent);
        request.Headers.Referrer = new Uri("https://example.com/");
        if (json is null && method == HttpMethod.Get && !path.StartsWith("/beacon/", StringComparison.Ordinal))
        {
            request.Headers.Add("Sec-Fetch-Dest", "document"); // a page load, which server-side tracking counts
        }
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        else if (method == HttpMethod.Post)
        {
            request.Content = new StringContent(string.Empty);
        }

        using var response = await client.SendAsync(request, Ct);
        Assert.True((int)response.StatusCode < 300 || response.StatusCode == HttpStatusCode.NotFound, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }
}

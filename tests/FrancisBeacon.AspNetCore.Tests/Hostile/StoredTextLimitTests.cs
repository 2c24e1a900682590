using System.Collections.Concurrent;
using System.Net;
using System.Text;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests.Hostile;

/// <summary>
/// Values longer than <see cref="HitLimits"/>' sizes in bytes of UTF-8 are cut where hits are made (the pipeline), so a
/// store is never handed one; site ids over the size are refused, not cut; a query filter of about 6 KB is answered.
/// </summary>
public sealed class StoredTextLimitTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task EveryEntryPoint_ValuesOverByteLimits_CutBeforeTheStore()
    {
        // The store records each hit as it is handed over (the in-memory store behind it would cut them too).
        var store = new RecordingHitStore();
        await using var host = await BeaconTestHost.StartAsync(
            store: b => b.UseStore(_ => store),
            map: app =>
            {
                app.UseBeacon();
                app.MapPost("/track", async (IBeaconTracker tracker) =>
                {
                    await tracker.TrackAsync("Tracked", new Dictionary<string, string> { ["k"] = new string('\u4E2D', HitLimits.MaxPropertyValueLength) }, url: "https://example.com/" + string.Concat(Enumerable.Repeat("😀", 400)));
                    return Results.NoContent();
                });
            });
        var client = host.Client;
        var cjk = new string('\u4E2D', 600); // 1,800 bytes

        // The event endpoint: a CJK path, referrer and event name; the pixel: a long ASCII path; IBeaconTracker: emoji.
        var json = "{\"name\":\"" + cjk[..100] + "\",\"url\":\"https://example.com/" + cjk + "\",\"referrer\":\"https://ref.example/" + cjk + "\"}";
        using (var content = new StringContent(json, Encoding.UTF8, "application/json"))
        using (var response = await client.PostAsync("/beacon/event", content, Ct))
        {
            Assert.True(response.IsSuccessStatusCode, $"event: {(int)response.StatusCode}");
        }

        using (var response = await client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://example.com/" + new string('p', 1500)), Ct))
        {
            Assert.True(response.IsSuccessStatusCode, $"pixel: {(int)response.StatusCode}");
        }

        using (var response = await client.PostAsync("/track", null, Ct))
        {
            Assert.True(response.IsSuccessStatusCode, $"tracker: {(int)response.StatusCode}");
        }

        var hits = await store.WaitForAsync(3);

        Assert.Equal(3, hits.Count);
        Assert.All(hits, h => Assert.False(HitText.NeedsTruncating(h), "Not cut: " + h.Path[..20]));
        Assert.All(hits, h => Assert.False(HitText.NeedsCleaning(h), "A surrogate pair was split: " + h.Path[..20]));
        Assert.All(hits, h => Assert.InRange(Encoding.UTF8.GetByteCount(h.Path), HitLimits.MaxUrlBytes - 3, HitLimits.MaxUrlBytes));
        Assert.Contains(hits, h => h.EventName == cjk[..(HitLimits.MaxShortTextBytes / 3)] && Encoding.UTF8.GetByteCount(h.Referrer!) > HitLimits.MaxUrlBytes - 3);
        Assert.Contains(hits, h => h.Path == "/" + new string('p', HitLimits.MaxUrlBytes - 1));
        Assert.Contains(hits, h => h.EventName == "Tracked" && h.Properties["k"].Length == HitLimits.MaxPropertyValueLength);
    }

    [Fact]
    public async Task Pixel_HostNameOverByteLimitWithNoConfiguredSites_NotAnImplicitSite()
    {
        // With no configured site each host name is its own site: one over the size of a site id is refused, not cut
        // (two long host names cut to the same prefix would share a site).
        var store = new RecordingHitStore();
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseStore(_ => store));
        var longHost = string.Join('.', Enumerable.Repeat(new string('a', 60), 5)) + ".example"; // 313 characters

        foreach (var page in new[] { "https://" + longHost + "/p", "https://example.com/after" })
        {
            using var response = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString(page), Ct);
            Assert.True(response.IsSuccessStatusCode, $"{page}: {(int)response.StatusCode}");
        }

        await store.WaitForAsync(1);
        await Task.Delay(200, Ct); // the queue keeps order: anything of the first request would be stored by now
        var hits = await store.WaitForAsync(1);

        Assert.Equal(["example.com"], hits.Select(h => h.SiteId));
    }

    [Fact]
    public async Task Query_SiteIdOverByteLimitInFewCharacters_Answers400()
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" }), store: b => b.UseInMemory());
        var siteId = new string('\u4E2D', 100); // 300 bytes, 100 characters

        using var content = new StringContent("{\"site_id\":\"" + siteId + "\",\"metrics\":[\"visitors\"],\"date_range\":\"all\"}", Encoding.UTF8, "application/json");
        using var response = await host.Client.PostAsync("/beacon/api/v2/query", content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("site_id is too long", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("event:page")]
    [InlineData("visit:entry_page")]
    [InlineData("event:props:k")]
    public async Task Query_FilterValueOfSixKilobytes_Answers200(string dimension)
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" }), store: b => b.UseInMemory());
        var value = "/" + new string('\u4E2D', HitLimits.MaxUrlLength - 1); // 6,145 bytes
        await host.Store.AppendAsync([new Hit { SiteId = "example.com", Path = value, Timestamp = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero), VisitorId = 1 }], Ct);

        var json = "{\"site_id\":\"example.com\",\"metrics\":[\"visitors\"],\"date_range\":[\"2026-03-01\",\"2026-03-31\"],\"dimensions\":[\"event:page\"],\"filters\":[[\"is\",\"" + dimension + "\",[\"" + value + "\"]]]}";
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await host.Client.PostAsync("/beacon/api/v2/query", content, Ct);

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
    }

    [Fact]
    public async Task Query_FilterValueOverUrlLength_Answers400()
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" }), store: b => b.UseInMemory());
        var value = "/" + new string('a', HitLimits.MaxUrlLength);

        var json = "{\"site_id\":\"example.com\",\"metrics\":[\"visitors\"],\"date_range\":\"7d\",\"filters\":[[\"is\",\"event:page\",[\"" + value + "\"]]]}";
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await host.Client.PostAsync("/beacon/api/v2/query", content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private sealed class RecordingHitStore : IHitStore
    {
        private readonly ConcurrentQueue<Hit> _handed = new();
        private readonly InMemoryHitStore _inner = new();

        public async Task<List<Hit>> WaitForAsync(int count)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (_handed.Count < count && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(25, Ct);
            }

            return [.. _handed];
        }

        public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
        {
            foreach (var hit in hits)
            {
                _handed.Enqueue(hit);
            }

            return _inner.AppendAsync(hits, cancellationToken);
        }

        public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken) => _inner.QueryAsync(query, cancellationToken);

        public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => _inner.ReadAsync(range, cancellationToken);

        public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => _inner.PurgeAsync(range, cancellationToken);
    }
}

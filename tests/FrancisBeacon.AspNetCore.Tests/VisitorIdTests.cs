using System.Net;
using System.Text;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class VisitorIdTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task VisitorId_TwoInstancesOnOneDatabase_AgreeForTheSamePerson()
    {
        var path = BeaconTestHost.NewDatabasePath();
        await using var first = await BeaconTestHost.StartAsync(databasePath: path);
        await using var second = await BeaconTestHost.StartAsync(databasePath: path);

        await SendAsync(first, "203.0.113.9", BeaconTestHost.BrowserUserAgent, "https://example.com/a");
        await SendAsync(second, "203.0.113.9", BeaconTestHost.BrowserUserAgent, "https://example.com/b");

        var hits = await first.WaitForHitsAsync(2);
        Assert.Equal(2, hits.Count);
        Assert.Equal(hits[0].VisitorId, hits[1].VisitorId);
    }

    [Fact]
    public async Task VisitorId_DifferentUserAgentOrIp_Differs()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());

        await SendAsync(host, "203.0.113.9", BeaconTestHost.BrowserUserAgent, "https://example.com/1");
        await SendAsync(host, "203.0.113.9", BeaconTestHost.OtherBrowserUserAgent, "https://example.com/2");
        await SendAsync(host, "203.0.113.10", BeaconTestHost.BrowserUserAgent, "https://example.com/3");

        var hits = await host.WaitForHitsAsync(3);
        Assert.Equal(3, hits.Select(h => h.VisitorId).Distinct().Count());
    }

    [Fact]
    public async Task VisitorId_Ipv4Prefix24_GroupsTheNetwork()
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.VisitorIpv4PrefixLength = 24, store: b => b.UseInMemory());

        await SendAsync(host, "198.51.100.1", BeaconTestHost.BrowserUserAgent, "https://example.com/1");
        await SendAsync(host, "198.51.100.250", BeaconTestHost.BrowserUserAgent, "https://example.com/2");
        await SendAsync(host, "198.51.101.1", BeaconTestHost.BrowserUserAgent, "https://example.com/3");

        var hits = (await host.WaitForHitsAsync(3)).OrderBy(h => h.Path, StringComparer.Ordinal).ToList();
        Assert.Equal(hits[0].VisitorId, hits[1].VisitorId);
        Assert.NotEqual(hits[0].VisitorId, hits[2].VisitorId);
    }

    [Fact]
    public async Task VisitorId_SpoofedForwardedForFromUntrustedClient_IsIgnored()
    {
        await using var host = await BeaconTestHost.StartAsync(
            store: b => b.UseInMemory(),
            services: s => s.Configure<ForwardedHeadersOptions>(o =>
            {
                o.ForwardedHeaders = ForwardedHeaders.XForwardedFor;
                o.KnownProxies.Clear();
                o.KnownIPNetworks.Clear();
                o.KnownProxies.Add(IPAddress.Parse("10.0.0.1"));
            }),
            map: app =>
            {
                app.UseForwardedHeaders();
                app.UseBeacon();
            });

        await SendAsync(host, "203.0.113.7", BeaconTestHost.BrowserUserAgent, "https://example.com/plain");
        await SendAsync(host, "203.0.113.7", BeaconTestHost.BrowserUserAgent, "https://example.com/spoofed", forwardedFor: "192.0.2.44");
        await SendAsync(host, "10.0.0.1", BeaconTestHost.BrowserUserAgent, "https://example.com/proxied", forwardedFor: "203.0.113.7");

        var hits = (await host.WaitForHitsAsync(3)).ToDictionary(h => h.Path, h => h.VisitorId);
        Assert.Equal(hits["/plain"], hits["/spoofed"]);
        // Through the trusted proxy, the forwarded address is the client's: the same person.
        Assert.Equal(hits["/plain"], hits["/proxied"]);
    }

    [Fact]
    public async Task Store_AfterHits_HoldsNeitherIpNorUserAgent()
    {
        var path = BeaconTestHost.NewDatabasePath();
        const string userAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:987.0) Gecko/20100101 Firefox/987.654";
        await using (var host = await BeaconTestHost.StartAsync(databasePath: path))
        {
            await SendAsync(host, "203.0.113.77", userAgent, "https://example.com/private");
            Assert.Single(await host.WaitForHitsAsync(1));
            await host.App.StopAsync(Ct);
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            var bytes = new List<byte>(await File.ReadAllBytesAsync(path, Ct));
            foreach (var suffix in new[] { "-wal" })
            {
                if (File.Exists(path + suffix))
                {
                    bytes.AddRange(await File.ReadAllBytesAsync(path + suffix, Ct));
                }
            }

            var text = Encoding.Latin1.GetString(bytes.ToArray());
            Assert.Contains("/private", text, StringComparison.Ordinal);
            Assert.DoesNotContain("203.0.113.77", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Gecko/20100101", text, StringComparison.Ordinal);
            Assert.DoesNotContain("987.654", text, StringComparison.Ordinal);
            Assert.DoesNotContain("X11; Linux", text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SaltRotator_Sync_KeepsThreeDaysAndDeletesOlderSalts()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        var store = new InMemoryHitStore();
        for (var d = 20; d <= 26; d++)
        {
            await store.GetOrAddSaltAsync(new DateOnly(2026, 11, d), [(byte)d], Ct);
        }

        var hasher = new VisitorIdHasher(time, Options.Create(new BeaconOptions()));
        var services = new ServiceCollection().AddSingleton<IHitStore>(store).BuildServiceProvider();
        var rotator = new VisitorSaltRotator(hasher, services, time, NullLogger<VisitorSaltRotator>.Instance);

        await rotator.SyncAsync(Ct);

        // 27, 28 and 29 November are in memory; the store deleted everything before the 27th.
        Assert.Equal([new DateOnly(2026, 11, 27), new DateOnly(2026, 11, 28), new DateOnly(2026, 11, 29)], hasher.Salts.Keys.Order());
        Assert.Equal(0, await store.DeleteSaltsBeforeAsync(new DateOnly(2026, 11, 27), Ct));
        var stored = await store.GetOrAddSaltAsync(new DateOnly(2026, 11, 28), [1, 2, 3], Ct);
        Assert.Equal(hasher.Salts[new DateOnly(2026, 11, 28)], stored);
    }

    [Fact]
    public void VisitorId_NextDay_UsesANewSaltSoIdsChange()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 22, 30, 0, TimeSpan.Zero));
        var hasher = new VisitorIdHasher(time, Options.Create(new BeaconOptions()));
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

        var before = hasher.Compute("s", berlin, IPAddress.Parse("203.0.113.1"), "UA");
        time.Advance(TimeSpan.FromMinutes(40)); // 23:10 UTC: still 28 Nov in UTC, already 00:10 on 29 Nov in Berlin
        var after = hasher.Compute("s", berlin, IPAddress.Parse("203.0.113.1"), "UA");
        var utcSite = hasher.Compute("s", TimeZoneInfo.Utc, IPAddress.Parse("203.0.113.1"), "UA");

        Assert.NotEqual(before, after);
        Assert.NotEqual(after, utcSite);
    }

    private static async Task SendAsync(BeaconTestHost host, string ip, string userAgent, string url, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif?u=" + Uri.EscapeDataString(url));
        request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
        request.Headers.Add("X-Test-Remote", ip);
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        using var response = await host.Client.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}

public sealed class VisitorIdLinkTests
{
    [Fact]
    public void ComputeWithPrevious_JustAfterLocalMidnight_GivesYesterdaysIdToo()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 22, 50, 0, TimeSpan.Zero)); // 23:50 in Berlin
        var hasher = new VisitorIdHasher(time, Options.Create(new BeaconOptions()));
        hasher.Salts[new DateOnly(2026, 11, 28)] = [1, 2, 3];
        hasher.Salts[new DateOnly(2026, 11, 29)] = [4, 5, 6];
        var ip = IPAddress.Parse("203.0.113.1");

        var (evening, eveningLink) = hasher.ComputeWithPrevious("s", berlin, ip, "UA", TimeSpan.FromMinutes(30));
        time.Advance(TimeSpan.FromMinutes(20)); // 00:10 on the 29th in Berlin
        var (night, nightLink) = hasher.ComputeWithPrevious("s", berlin, ip, "UA", TimeSpan.FromMinutes(30));
        time.Advance(TimeSpan.FromMinutes(30)); // 00:40
        var (later, laterLink) = hasher.ComputeWithPrevious("s", berlin, ip, "UA", TimeSpan.FromMinutes(30));

        Assert.Null(eveningLink);
        Assert.NotEqual(evening, night);
        Assert.Equal(evening, nightLink);
        Assert.Equal(night, later);
        Assert.Null(laterLink);
    }
}

using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using static FrancisBeacon.AspNetCore.Tests.TokenTestSupport;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class ShareLinkTests
{
    private static readonly BeaconTokenSecret ShareA = BeaconTokens.CreateShareLink();
    private static readonly BeaconTokenSecret Expiring = BeaconTokens.CreateShareLink();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Share => "/beacon/share/" + ShareA.Token;

    /// <summary>A dashboard protected by an app policy nobody in these tests satisfies, with two share links.</summary>
    private static async Task<BeaconTestHost> HostAsync(FakeTimeProvider? clock = null, Action<IServiceCollection>? services = null)
    {
        var host = await BeaconTestHost.StartAsync(
            TwoSites,
            store: b => b.UseInMemory().AddTokens(o =>
            {
                o.ShareLinks.Add(new BeaconShareLinkOptions { Name = "public-a", Hash = ShareA.Hash, Site = "a.example" });
                o.ShareLinks.Add(new BeaconShareLinkOptions { Name = "press", Hash = Expiring.Hash, Site = "a.example", ExpiresAt = Now.AddDays(1) });
            }),
            services: s =>
            {
                s.AddSingleton<TimeProvider>(clock ?? Clock());
                s.AddAuthentication("Test").AddScheme<AuthenticationSchemeOptions, HeaderUserHandler>("Test", null);
                s.AddAuthorization(o => o.AddPolicy("Admins", p => p.RequireRole("admin")));
                services?.Invoke(s);
            },
            map: app =>
            {
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapBeaconDashboard("/beacon").RequireAuthorization("Admins");
            });
        await SeedAsync(host);
        return host;
    }

    [Fact]
    public async Task Shell_ValidLink_IsServedToAnonymousCallers_WithTheShareUrlAsBase()
    {
        await using var host = await HostAsync();

        using var response = await host.Client.SendAsync(Get(Share, bearer: null), Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains($"""<base href="{Share}/">""", html, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", string.Join(";", response.Headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.Equal("noindex, nofollow", string.Join(",", response.Headers.GetValues("X-Robots-Tag")));
        var hash = System.Text.RegularExpressions.Regex.Match(html, "assets/([0-9a-f]{16})/app.js").Groups[1].Value;
        using var asset = await host.Client.SendAsync(Get($"{Share}/assets/{hash}/app.js", bearer: null), Ct);
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        using var head = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, Share), Ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode); // a GET-only route answered HEAD 405
        using var noPath = await host.Client.SendAsync(Get($"{Share}/assets/{hash}/", bearer: null), Ct);
        Assert.Equal(HttpStatusCode.NotFound, noPath.StatusCode); // was 400: the route's path failed to bind
    }

    [Theory]
    [InlineData("fbs_doesNotExist0000000000000000000000000000000")]
    [InlineData("anything")]
    public async Task Shell_UnknownLink_IsNotFound(string token)
    {
        await using var host = await HostAsync();

        using var shell = await host.Client.SendAsync(Get("/beacon/share/" + token, bearer: null), Ct);
        using var api = await host.Client.SendAsync(Query($"/beacon/share/{token}/api/v2/query", "a.example", bearer: null), Ct);
        using var head = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/beacon/share/" + token), Ct);

        Assert.Equal(HttpStatusCode.NotFound, shell.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
    }

    [Fact]
    public async Task Api_ValidLink_ReadsItsSite_DespiteTheAppPolicy()
    {
        await using var host = await HostAsync();

        using var response = await host.Client.SendAsync(Query(Share + "/api/v2/query", "a.example", bearer: null), Ct);
        using var sites = await host.Client.SendAsync(Get(Share + "/api/sites", bearer: null), Ct);
        using var realtime = await host.Client.SendAsync(Get(Share + "/api/realtime?site_id=a.example", bearer: null), Ct);
        using var dashboard = await host.Client.SendAsync(Get("/beacon", bearer: null), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal([2L, 3L], doc.RootElement.GetProperty("results")[0].GetProperty("metrics").EnumerateArray().Select(m => m.GetInt64()).ToArray());
        using var siteList = JsonDocument.Parse(await sites.Content.ReadAsStringAsync(Ct));
        Assert.Equal(["a.example"], siteList.RootElement.GetProperty("sites").EnumerateArray().Select(s => s.GetProperty("id").GetString()!).ToArray());
        Assert.Equal(HttpStatusCode.OK, realtime.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, dashboard.StatusCode); // the link opens nothing but its own surface
    }

    [Fact]
    public async Task Api_QuerySlotsTaken_ShareLinkQueriesRefusedWith503()
    {
        await using var host = await HostAsync(services: s => s.PostConfigure<BeaconOptions>(o =>
        {
            o.QueryConcurrency.Limit = 1;
            o.QueryConcurrency.QueueLimit = 0;
        }));
        var (lease, refused) = await host.Services.GetRequiredService<QueryConcurrencyGate>().EnterAsync(Ct);
        Assert.Null(refused);

        using (lease)
        {
            using var query = await host.Client.SendAsync(Query(Share + "/api/v2/query", "a.example", bearer: null), Ct);
            using var stats = await host.Client.SendAsync(Get(Share + "/api/stats?site_id=a.example&period=day", bearer: null), Ct);
            using var realtime = await host.Client.SendAsync(Get(Share + "/api/realtime?site_id=a.example", bearer: null), Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, query.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, stats.StatusCode);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, realtime.StatusCode);
        }

        using var after = await host.Client.SendAsync(Query(Share + "/api/v2/query", "a.example", bearer: null), Ct);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Theory]
    [InlineData("/beacon")]
    [InlineData("/beacon/assets/x/app.js")]
    [InlineData("/beacon/api/sites")]
    [InlineData("/beacon/api/export?site_id=a.example")]
    public async Task AppPolicy_StillGuardsEverythingOutsideTheShareSurface(string path)
    {
        await using var host = await HostAsync();

        using var anonymous = await host.Client.SendAsync(Get(path, bearer: null), Ct);
        using var signedIn = Get(path, bearer: null);
        signedIn.Headers.Add("X-Test-User", "bob");
        using var withoutRole = await host.Client.SendAsync(signedIn, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, withoutRole.StatusCode);
    }

    [Theory]
    [InlineData("/api/stats?site_id=b.example&period=30d")]
    [InlineData("/api/realtime?site_id=b.example")]
    public async Task Api_OtherSite_Answers403(string path)
    {
        await using var host = await HostAsync();

        using var get = await host.Client.SendAsync(Get(Share + path, bearer: null), Ct);
        using var query = await host.Client.SendAsync(Query(Share + "/api/v2/query", "b.example", bearer: null), Ct);

        Assert.Equal(HttpStatusCode.Forbidden, get.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, query.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/api/export?site_id=a.example")]
    [InlineData("GET", "/api/bots")]
    [InlineData("DELETE", "/api/v2/query")]
    [InlineData("POST", "/api/erase?site_id=a.example")]
    [InlineData("POST", "/api/stats?site_id=a.example")]
    public async Task Api_IsReadOnly_ExportBotLogAndWritesAreNotReachable(string method, string path)
    {
        await using var host = await HostAsync();

        using var response = await host.Client.SendAsync(
            new HttpRequestMessage(new HttpMethod(method), Share + path) { Headers = { { "X-Test-Remote", Remote } } }, Ct);

        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed });
    }

    [Fact]
    public async Task Token_DoesNotOpenTheMainApi_EvenAsABearer()
    {
        await using var host = await HostAsync();

        using var response = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", ShareA.Token), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task ExpiredLink_StopsWorking_OnceItsTimeHasPassed()
    {
        var clock = Clock();
        await using var host = await HostAsync(clock);
        var link = "/beacon/share/" + Expiring.Token;

        using var before = await host.Client.SendAsync(Query(link + "/api/v2/query", "a.example", bearer: null), Ct);
        clock.Advance(TimeSpan.FromDays(1));
        using var after = await host.Client.SendAsync(Query(link + "/api/v2/query", "a.example", bearer: null), Ct);
        using var shell = await host.Client.SendAsync(Get(link, bearer: null), Ct);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, shell.StatusCode);
    }

    [Fact]
    public async Task WithoutAddTokens_NoShareSurfaceIsMapped()
    {
        await using var host = await BeaconTestHost.StartAsync(TwoSites, store: b => b.UseInMemory(), map: app => app.MapBeaconDashboard("/beacon"));

        using var response = await host.Client.SendAsync(Get(Share, bearer: null, remote: "127.0.0.1"), Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Tokens_NeverAppearInTheBeaconsLogs()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await HostAsync(services: s =>
        {
            s.AddSingleton<ILoggerProvider>(logs);
            s.AddLogging(l => l.SetMinimumLevel(LogLevel.Trace));
        });

        (await host.Client.SendAsync(Get(Share, bearer: null), Ct)).Dispose();
        (await host.Client.SendAsync(Query(Share + "/api/v2/query", "b.example", bearer: null), Ct)).Dispose();
        (await host.Client.SendAsync(Get("/beacon/share/" + Expiring.Token + "x", bearer: null), Ct)).Dispose();

        var beaconLines = logs.Lines.Where(l => l.Category.StartsWith("FrancisBeacon", StringComparison.Ordinal)).ToList();
        Assert.Contains(beaconLines, l => l.Text.Contains("public-a", StringComparison.Ordinal));
        Assert.DoesNotContain(beaconLines, l => l.Text.Contains(ShareA.Token[4..20], StringComparison.Ordinal) || l.Text.Contains(Expiring.Token[4..20], StringComparison.Ordinal));
    }
}

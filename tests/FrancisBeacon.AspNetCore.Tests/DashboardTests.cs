using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed partial class DashboardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Shell_UnderPathBase_IsNoCacheWithStrictCspAndBaseHref()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory(), map: app =>
        {
            app.UsePathBase("/proxy");
            app.UseRouting();
            app.MapBeaconDashboard("/beacon");
        });

        using var response = await host.Client.GetAsync("/proxy/beacon", Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoCache, response.Headers.CacheControl?.ToString());
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", csp, StringComparison.Ordinal);
        Assert.Contains("""<base href="/proxy/beacon/">""", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(InlineScript(), html);
        Assert.Matches(AppScript(), html);
    }

    [Fact]
    public async Task Shell_WithTrailingSlash_IsServedToo()
    {
        await using var host = await DashboardHostAsync();

        using var response = await host.Client.GetAsync("/beacon/", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("""<base href="/beacon/">""", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    /// <summary>An uptime monitor's or link checker's HEAD gets the GET's status and headers (a GET-only route answered 405).</summary>
    [Fact]
    public async Task Head_OfTheShellAndAnAsset_AnswersAsGetWould()
    {
        await using var host = await DashboardHostAsync();
        var hash = AppScript().Match(await host.Client.GetStringAsync("/beacon", Ct)).Groups["hash"].Value;

        using var shell = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/beacon"), Ct);
        Assert.Equal(HttpStatusCode.OK, shell.StatusCode);
        Assert.Equal("text/html", shell.Content.Headers.ContentType?.MediaType);
        using var asset = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/beacon/assets/{hash}/app.js"), Ct);
        Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
        Assert.Equal("public, max-age=31536000, immutable", asset.Headers.CacheControl?.ToString());
        using var stale = await host.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/beacon/assets/0000000000000000/app.js"), Ct);
        Assert.Equal(HttpStatusCode.NotFound, stale.StatusCode);
    }

    [Fact]
    public async Task HashedAssets_AreImmutable_AndAStaleHashIsNotFound()
    {
        await using var host = await DashboardHostAsync();
        var html = await host.Client.GetStringAsync("/beacon", Ct);
        var hash = AppScript().Match(html).Groups["hash"].Value;

        foreach (var asset in new[] { "app.js", "app.css", "vendor/uplot/uPlot.iife.min.js", "vendor/uplot/uPlot.min.css" })
        {
            using var response = await host.Client.GetAsync($"/beacon/assets/{hash}/{asset}", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl?.ToString());
            Assert.Equal(asset.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript" : "text/css", response.Content.Headers.ContentType?.MediaType);
            Assert.NotEmpty(await response.Content.ReadAsByteArrayAsync(Ct));
        }

        using var stale = await host.Client.GetAsync("/beacon/assets/0000000000000000/app.js", Ct);
        Assert.Equal(HttpStatusCode.NotFound, stale.StatusCode);
        using var missing = await host.Client.GetAsync($"/beacon/assets/{hash}/index.html", Ct);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        // No path at all ("…/vendor/.." folds to it): was a 400 from a binding failure, logged as "fail" in Development.
        using var noPath = await host.Client.GetAsync($"/beacon/assets/{hash}/", Ct);
        Assert.Equal(HttpStatusCode.NotFound, noPath.StatusCode);
    }

    [Theory]
    [InlineData("/beacon")]
    [InlineData("/beacon/")]
    [InlineData("/beacon/assets/x/app.js")]
    [InlineData("/beacon/api/sites")]
    public async Task RemoteCaller_WithoutPolicy_Answers403(string path)
    {
        await using var host = await DashboardHostAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Test-Remote", "203.0.113.7");

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task LoopbackCaller_WithoutPolicy_GetsTheDashboardAndItsApi()
    {
        await using var host = await DashboardHostAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/api/sites");
        request.Headers.Add("X-Test-Remote", "127.0.0.1");

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"id\":\"example.com\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    /// <summary>
    /// With no sites configured every page's host name is its own site: the site list offers the host the dashboard is
    /// served from, so the quick start's dashboard opens on it. It listed nothing, and the page said "No site is
    /// configured; add ?site=your.site to the address" (getting-started.md said to open /beacon).
    /// </summary>
    [Fact]
    public async Task Sites_NoSitesConfigured_ListsTheRequestsOwnHostName()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory(), map: app => app.MapBeaconDashboard());
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://Shop.Example:8080/beacon/api/sites");

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("""{"sites":[{"id":"shop.example","time_zone":"UTC"}],"configured":false}""", await response.Content.ReadAsStringAsync(Ct));
    }

    [Theory]
    [InlineData("GET", "/beacon")]
    [InlineData("GET", "/beacon/")]
    [InlineData("GET", "/beacon/assets/x/app.js")]
    [InlineData("GET", "/beacon/api/realtime?site_id=example.com")]
    [InlineData("POST", "/beacon/api/v2/query")]
    public async Task RequireAuthorization_AnonymousCaller_Answers401OnEveryEndpoint(string method, string path)
    {
        await using var host = await BeaconTestHost.StartAsync(
            store: b => b.UseInMemory(),
            services: s =>
            {
                s.AddAuthentication("Test").AddScheme<AuthenticationSchemeOptions, NoUserHandler>("Test", null);
                s.AddAuthorization();
            },
            map: app =>
            {
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapBeaconDashboard().RequireAuthorization();
            });
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST")
        {
            request.Content = new StringContent("""{"site_id":"x","metrics":["visitors"],"date_range":"day"}""", Encoding.UTF8, "application/json");
        }

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("/beacon")]
    [InlineData("/beacon/api/sites")]
    public async Task RequireAuthorization_SignedInWithoutThePolicy_Answers403(string path)
    {
        await using var host = await BeaconTestHost.StartAsync(
            store: b => b.UseInMemory(),
            services: s =>
            {
                s.AddAuthentication("Test").AddScheme<AuthenticationSchemeOptions, SomeUserHandler>("Test", null);
                s.AddAuthorization(o => o.AddPolicy("AnalyticsReaders", p => p.RequireRole("analytics")));
            },
            map: app =>
            {
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapBeaconDashboard().RequireAuthorization("AnalyticsReaders");
            });
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Test-Remote", "203.0.113.7");

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task ApiMappedBefore_IsReused_NotMappedTwice()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory(), map: app =>
        {
            app.MapBeaconApi("/beacon/api");
            app.MapBeaconDashboard("/beacon");
        });

        using var response = await host.Client.GetAsync("/beacon/api/realtime?site_id=example.com", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task MapBeaconDashboard_WithoutAddBeacon_ThrowsFriendlyError()
    {
        var builder = WebApplication.CreateSlimBuilder();
        await using var app = builder.Build();

        var ex = Assert.Throws<InvalidOperationException>(() => app.MapBeaconDashboard());

        Assert.Equal(
            "Unable to find the required services. Please add all the required services by calling 'IServiceCollection.AddBeacon' in the application startup code.",
            ex.Message);
    }

    private static Task<BeaconTestHost> DashboardHostAsync() => BeaconTestHost.StartAsync(
        configure: o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" }),
        store: b => b.UseInMemory(),
        map: app => app.MapBeaconDashboard());

    [GeneratedRegex("<script(?![^>]*\\ssrc=)[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex("""<script defer src="assets/(?<hash>[0-9a-f]{16})/app\.js"></script>""")]
    private static partial Regex AppScript();

    private sealed class NoUserHandler(
        Microsoft.Extensions.Options.IOptionsMonitor<AuthenticationSchemeOptions> options,
        Microsoft.Extensions.Logging.ILoggerFactory logger,
        System.Text.Encodings.Web.UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());
    }

    private sealed class SomeUserHandler(
        Microsoft.Extensions.Options.IOptionsMonitor<AuthenticationSchemeOptions> options,
        Microsoft.Extensions.Logging.ILoggerFactory logger,
        System.Text.Encodings.Web.UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var identity = new System.Security.Claims.ClaimsIdentity([new System.Security.Claims.Claim("name", "reader")], "Test");
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new System.Security.Claims.ClaimsPrincipal(identity), "Test")));
        }
    }
}

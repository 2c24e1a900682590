using FrancisBeacon.AspNetCore;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.Browser.Tests;

/// <summary>A dashboard share link opened in a real Chromium while the dashboard itself is closed to the browser.</summary>
public sealed class ShareLinkInBrowserTests(ChromiumFixture chromium)
{
    private const string Shared = "shared.test";
    private const string Private = "private.test";

    [Fact]
    public async Task ShareLink_ShowsItsSitesNumbers_WhileTheDashboardAsksForSignIn()
    {
        var link = BeaconTokens.CreateShareLink();
        await using var app = await StartAsync(link.Hash);
        await SeedAsync(app.Services.GetRequiredService<IHitStore>());
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
        await using var context = await chromium.NewContextAsync();
        var page = await context.NewPageAsync();
        var failures = new List<string>();
        page.Response += (_, response) =>
        {
            // 400 on v2/query: the dashboard's probes for goals and event properties on an API without them.
            if (response.Status >= 400 && !(response.Status == 400 && response.Url.EndsWith("/v2/query", StringComparison.Ordinal)))
            {
                failures.Add($"{response.Status} {response.Url}");
            }
        };

        // The browser is a loopback caller, yet the dashboard needs the app's policy (an empty 401 fails navigation).
        var dashboard = await page.APIRequest.GetAsync($"http://127.0.0.1:{port}/beacon");
        Assert.Equal(401, dashboard.Status);

        await page.GotoAsync($"http://127.0.0.1:{port}/beacon/share/{link.Token}");
        await page.WaitForSelectorAsync("body[data-loaded=true]");

        Assert.Equal("2", await page.TextContentAsync("#total-visitors"));
        Assert.Equal("3", await page.TextContentAsync("#total-pageviews"));
        Assert.Equal([Shared], await page.Locator("#site option").AllTextContentsAsync());
        var pages = await page.Locator("#panel-pages tbody td.label").AllTextContentsAsync();
        Assert.Contains("/shared-page", pages);
        Assert.DoesNotContain("/private-page", pages);
        Assert.Contains($"/beacon/share/{link.Token}", page.Url, StringComparison.Ordinal);
        Assert.True(failures.Count == 0, string.Join(" | ", failures));
    }

    private static async Task<WebApplication> StartAsync(string shareHash)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAuthentication("Nobody").AddScheme<AuthenticationSchemeOptions, NobodyHandler>("Nobody", null);
        builder.Services.AddAuthorization(o => o.AddPolicy("Admins", p => p.RequireRole("admin")));
        builder.Services.AddBeacon(o =>
            {
                o.Sites.Add(new BeaconSiteOptions { Id = Shared, TimeZone = "UTC" });
                o.Sites.Add(new BeaconSiteOptions { Id = Private, TimeZone = "UTC" });
            })
            .UseInMemory()
            .AddTokens(o => o.ShareLinks.Add(new BeaconShareLinkOptions { Name = "public", Hash = shareHash, Site = Shared }));
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapBeaconDashboard("/beacon").RequireAuthorization("Admins");
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }

    private static async Task SeedAsync(IHitStore store)
    {
        var start = TimeProvider.System.GetUtcNow().AddHours(-3);
        Hit Pageview(string site, long visitor, int minutes, string path) => new()
        {
            SiteId = site, Hostname = site, Timestamp = start.AddMinutes(minutes), Path = path, VisitorId = visitor, Browser = "Firefox",
        };

        await store.AppendAsync(
            [
                Pageview(Shared, 1, 0, "/"),
                Pageview(Shared, 1, 2, "/shared-page"),
                Pageview(Shared, 2, 5, "/"),
                Pageview(Private, 3, 1, "/private-page"),
                Pageview(Private, 4, 1, "/private-page"),
                Pageview(Private, 5, 1, "/private-page"),
            ],
            TestContext.Current.CancellationToken);
    }

    private sealed class NobodyHandler(
        Microsoft.Extensions.Options.IOptionsMonitor<AuthenticationSchemeOptions> options,
        ILoggerFactory logger,
        System.Text.Encodings.Web.UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());
    }
}

using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.Browser.Tests;

/// <summary>
/// <c>MapBeaconDashboard().RequireAuthorization(policy)</c> seen from a browser: anonymous gets 401, a signed-in user
/// without the policy 403, a user with it the working dashboard (every API call it makes allowed). The loopback default
/// without a policy is what <see cref="DashboardInBrowserTests"/> runs on; remote callers are in DashboardTests (HTTP).
/// </summary>
public sealed class DashboardAuthorizationInBrowserTests(ChromiumFixture chromium)
{
    [Fact]
    public async Task RequireAuthorization_Anonymous401_WithoutPolicy403_WithPolicyTheDashboardWorks()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddBeacon(o => o.Sites.Add(new BeaconSiteOptions { Id = "site.test", TimeZone = "UTC" })).UseInMemory();
        builder.Services.AddAuthentication("Header").AddScheme<AuthenticationSchemeOptions, HeaderUserHandler>("Header", null);
        builder.Services.AddAuthorization(o => o.AddPolicy("AnalyticsReaders", p => p.RequireRole("analytics")));
        await using var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapBeaconDashboard("/beacon").RequireAuthorization("AnalyticsReaders");
        await app.StartAsync(TestContext.Current.CancellationToken);
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single() + "/beacon";

        Assert.Equal(401, await StatusAsync(url, new Dictionary<string, string>()));
        Assert.Equal(403, await StatusAsync(url, new Dictionary<string, string> { ["X-Test-User"] = "bob" }));

        await using var context = await chromium.NewContextAsync();
        await context.SetExtraHTTPHeadersAsync(new Dictionary<string, string> { ["X-Test-User"] = "alice", ["X-Test-Role"] = "analytics" });
        var page = await context.NewPageAsync();
        var failures = new List<string>();
        page.Response += (_, response) =>
        {
            // (400 is the answer to the probes for goals and event properties on an API without them.)
            if (response.Status >= 400 && !(response.Status == 400 && response.Url.EndsWith("/v2/query", StringComparison.Ordinal)))
            {
                failures.Add($"{response.Status} {response.Url}");
            }
        };
        var response = await page.GotoAsync(url);
        Assert.Equal(200, response!.Status);
        await page.WaitForSelectorAsync("body[data-loaded=true]");
        Assert.Equal("0", await page.TextContentAsync("#total-visitors"));
        Assert.True(failures.Count == 0, string.Join(" | ", failures));
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    private async Task<int> StatusAsync(string url, Dictionary<string, string> headers)
    {
        await using var context = await chromium.NewContextAsync();
        await context.SetExtraHTTPHeadersAsync(headers);
        var page = await context.NewPageAsync();
        var status = 0;
        page.Response += (_, response) =>
        {
            if (response.Url == url)
            {
                status = response.Status;
            }
        };
        try
        {
            await page.GotoAsync(url);
        }
        catch (Microsoft.Playwright.PlaywrightException ex) when (ex.Message.Contains("ERR_HTTP_RESPONSE_CODE_FAILURE", StringComparison.Ordinal))
        {
            // Chromium shows its own error page for an error status with an empty body.
        }

        Assert.Equal(0, await page.Locator("#totals").CountAsync()); // no dashboard shell
        return status;
    }

    /// <summary>A user from X-Test-User (with the role in X-Test-Role), or nobody.</summary>
    private sealed class HeaderUserHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, System.Text.Encodings.Web.UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var user = Request.Headers["X-Test-User"].ToString();
            if (user.Length == 0)
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var claims = new List<Claim> { new(ClaimTypes.Name, user) };
            var role = Request.Headers["X-Test-Role"].ToString();
            if (role.Length > 0)
            {
                claims.Add(new Claim(ClaimTypes.Role, role));
            }

            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, "Header")), "Header")));
        }
    }
}

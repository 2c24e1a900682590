using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static FrancisBeacon.AspNetCore.Tests.TokenTestSupport;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class ApiKeyTests
{
    private static readonly BeaconTokenSecret KeyA = BeaconTokens.CreateApiKey();
    private static readonly BeaconTokenSecret KeyAll = BeaconTokens.CreateApiKey();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The API behind the app's own policy, which names the beacon's token scheme beside the app's sign-in.</summary>
    private static Task<BeaconTestHost> PolicyHostAsync(Action<IServiceCollection>? services = null) =>
        HostAsync(
            services: s =>
            {
                services?.Invoke(s);
                s.AddAuthentication("Test").AddScheme<AuthenticationSchemeOptions, HeaderUserHandler>("Test", null);
                s.AddAuthorization(o => o.AddPolicy("BeaconRead", p => p
                    .AddAuthenticationSchemes("Test", BeaconTokenDefaults.AuthenticationScheme)
                    .RequireAssertion(c => c.User.IsInRole("analytics") || BeaconTokens.IsToken(c.User))));
            },
            map: app =>
            {
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapBeaconApi("/beacon/api").RequireAuthorization("BeaconRead");
            });

    private static async Task<BeaconTestHost> HostAsync(
        Action<WebApplication>? map = null,
        Action<IServiceCollection>? services = null,
        FakeTimeProvider? clock = null,
        DateTimeOffset? expiresAt = null)
    {
        var host = await BeaconTestHost.StartAsync(
            TwoSites,
            store: b => b.UseInMemory().AddTokens(o =>
            {
                var a = new BeaconApiKeyOptions { Name = "reporting", Hash = KeyA.Hash, ExpiresAt = expiresAt };
                a.Sites.Add("a.example");
                o.ApiKeys.Add(a);
                var all = new BeaconApiKeyOptions { Name = "ops", Hash = KeyAll.Hash };
                all.Sites.Add("*");
                o.ApiKeys.Add(all);
            }),
            services: s =>
            {
                s.AddSingleton<TimeProvider>(clock ?? Clock());
                services?.Invoke(s);
            },
            map: map);
        await SeedAsync(host);
        return host;
    }

    [Fact]
    public async Task ValidKey_RemoteCallerWithoutPolicy_ReadsItsSite()
    {
        await using var host = await HostAsync();

        using var response = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", KeyA.Token), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var metrics = doc.RootElement.GetProperty("results")[0].GetProperty("metrics");
        Assert.Equal([2L, 3L], metrics.EnumerateArray().Select(m => m.GetInt64()).ToArray());
    }

    [Fact]
    public async Task NoKey_RemoteCallerWithoutPolicy_IsStillRefused()
    {
        await using var host = await HostAsync();

        using var response = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", bearer: null), Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task NoKey_LoopbackCallerWithoutPolicy_KeepsTheLoopbackDefault()
    {
        await using var host = await HostAsync();

        using var response = await host.Client.SendAsync(Query("/beacon/api/v2/query", "b.example", bearer: null, remote: "127.0.0.1"), Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("fbk_notAKeyThatWasEverIssued0000000000000000000")]
    [InlineData("fbk_")]
    public async Task UnknownKey_Answers401WithBearerChallenge(string token)
    {
        await using var host = await HostAsync();

        using var response = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", token), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("invalid_token", string.Join(",", response.Headers.WwwAuthenticate), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownKey_FromLoopback_IsStill401()
    {
        await using var host = await HostAsync();

        using var response = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", KeyA.Token + "x", remote: "127.0.0.1"), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task ExpiredKey_Answers401_OnlyOnceItsTimeHasPassed()
    {
        var clock = Clock();
        await using var host = await HostAsync(clock: clock, expiresAt: Now.AddHours(1));

        using var before = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", KeyA.Token), Ct);
        clock.Advance(TimeSpan.FromHours(1));
        using var after = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", KeyA.Token), Ct);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task RevokedKey_RemovedFromReloadedConfiguration_StopsWorkingWithoutRestart()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tokens:ApiKeys:0:Name"] = "reporting",
            ["Tokens:ApiKeys:0:Hash"] = KeyA.Hash,
            ["Tokens:ApiKeys:0:Sites:0"] = "a.example",
        }).Build();
        await using var host = await BeaconTestHost.StartAsync(TwoSites, store: b => b.UseInMemory().AddTokens(configuration.GetSection("Tokens")));
        await SeedAsync(host);

        using var before = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", KeyA.Token), Ct);
        configuration["Tokens:ApiKeys:0:Hash"] = BeaconTokens.CreateApiKey().Hash; // the entry now names another key
        configuration.Reload();
        using var after = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", KeyA.Token), Ct);

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task ConfigurationReloadedInvalid_FailsClosedWith401_NotAServerError()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Tokens:ApiKeys:0:Name"] = "reporting",
            ["Tokens:ApiKeys:0:Hash"] = KeyA.Hash,
            ["Tokens:ApiKeys:0:Sites:0"] = "a.example",
        }).Build();
        await using var host = await BeaconTestHost.StartAsync(TwoSites, store: b => b.UseInMemory().AddTokens(configuration.GetSection("Tokens")));

        configuration["Tokens:ApiKeys:0:Hash"] = "not-a-hash";
        try
        {
            configuration.Reload(); // IOptionsMonitor re-validates eagerly and throws into the reloading code
        }
        catch (AggregateException ex) when (ex.InnerException is Microsoft.Extensions.Options.OptionsValidationException)
        {
        }

        using var response = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", KeyA.Token), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("/beacon/api/stats?site_id=b.example&period=30d")]
    [InlineData("/beacon/api/realtime?site_id=b.example")]
    [InlineData("/beacon/api/export?site_id=b.example")]
    [InlineData("/beacon/api/stats?site_id=not-configured.example&period=30d")]
    public async Task ScopedKey_OtherSiteOnGetEndpoints_Answers403(string url)
    {
        await using var host = await HostAsync();

        using var response = await host.Client.SendAsync(Get(url, KeyA.Token), Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("/secret", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScopedKey_OtherSiteOnQuery_Answers403()
    {
        await using var host = await HostAsync();

        using var response = await host.Client.SendAsync(Query("/beacon/api/v2/query", "B.EXAMPLE", KeyA.Token), Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task ScopedKey_ItsSiteOnExport_StreamsOnlyThatSite()
    {
        await using var host = await HostAsync();

        using var response = await host.Client.SendAsync(Get("/beacon/api/export?site_id=a.example", KeyA.Token), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain("b.example", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScopedKey_Sites_ListsOnlyItsSites()
    {
        await using var host = await HostAsync();

        using var scoped = await host.Client.SendAsync(Get("/beacon/api/sites", KeyA.Token), Ct);
        using var all = await host.Client.SendAsync(Get("/beacon/api/sites", KeyAll.Token), Ct);

        Assert.Equal(["a.example"], await SiteIdsAsync(scoped));
        Assert.Equal(["a.example", "b.example"], await SiteIdsAsync(all));
    }

    /// <summary><c>site_id</c> narrows the bot log to one site, checked as a query's (it was ignored: every site listed).</summary>
    [Fact]
    public async Task BotLog_SiteId_ListsThatSiteOnly_AndIsCheckedAgainstTheKeysScope()
    {
        await using var host = await HostAsync();
        var log = host.Services.GetRequiredService<BotLog>();
        log.Add(new BotLogEntry(Now, "a.example", "/a-bot", "user_agent", null));
        log.Add(new BotLogEntry(Now, "b.example", "/b-bot", "user_agent", null));

        using var onlyB = await host.Client.SendAsync(Get("/beacon/api/bots?site_id=b.example", KeyAll.Token), Ct);
        using var outside = await host.Client.SendAsync(Get("/beacon/api/bots?site_id=b.example", KeyA.Token), Ct);
        using var unknown = await host.Client.SendAsync(Get("/beacon/api/bots?site_id=c.example", KeyAll.Token), Ct);
        var body = await onlyB.Content.ReadAsStringAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, onlyB.StatusCode);
        Assert.Contains("/b-bot", body, StringComparison.Ordinal);
        Assert.DoesNotContain("/a-bot", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task ScopedKey_BotLog_ShowsOnlyItsSites()
    {
        await using var host = await HostAsync();
        var log = host.Services.GetRequiredService<BotLog>();
        log.Add(new BotLogEntry(Now, "a.example", "/a-bot", "user_agent", null));
        log.Add(new BotLogEntry(Now, "b.example", "/b-bot", "user_agent", null));

        using var scoped = await host.Client.SendAsync(Get("/beacon/api/bots", KeyA.Token), Ct);
        using var all = await host.Client.SendAsync(Get("/beacon/api/bots", KeyAll.Token), Ct);
        var scopedBody = await scoped.Content.ReadAsStringAsync(Ct);
        var allBody = await all.Content.ReadAsStringAsync(Ct);

        Assert.Contains("/a-bot", scopedBody, StringComparison.Ordinal);
        Assert.DoesNotContain("/b-bot", scopedBody, StringComparison.Ordinal);
        Assert.Contains("/b-bot", allBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScopedKey_QueryWithoutSiteId_UsesItsOnlySite()
    {
        await using var host = await HostAsync();
        using var request = Query("/beacon/api/v2/query", "a.example", KeyA.Token);
        request.Content = new StringContent("""{"metrics":["pageviews"],"date_range":["2026-03-01","2026-03-31"]}""", System.Text.Encoding.UTF8, "application/json");

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("a.example", doc.RootElement.GetProperty("query").GetProperty("site_id").GetString());
    }

    [Fact]
    public async Task ShareLinkToken_PresentedAsBearer_IsNotAnApiKey()
    {
        var share = BeaconTokens.CreateShareLink();
        await using var host = await BeaconTestHost.StartAsync(TwoSites, store: b => b.UseInMemory().AddTokens(o =>
            o.ShareLinks.Add(new BeaconShareLinkOptions { Name = "public", Hash = share.Hash, Site = "a.example" })));

        using var response = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", share.Token), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Policy_NamingTheScheme_AcceptsKeysAndTheAppsUsers_AndStillScopesKeys()
    {
        await using var host = await PolicyHostAsync();

        using var key = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", KeyA.Token), Ct);
        using var keyOtherSite = await host.Client.SendAsync(Query("/beacon/api/v2/query", "b.example", KeyA.Token), Ct);
        using var userRequest = Query("/beacon/api/v2/query", "b.example", bearer: null);
        userRequest.Headers.Add("X-Test-User", "ann,analytics");
        using var user = await host.Client.SendAsync(userRequest, Ct);
        using var otherUserRequest = Query("/beacon/api/v2/query", "b.example", bearer: null);
        otherUserRequest.Headers.Add("X-Test-User", "bob");
        using var otherUser = await host.Client.SendAsync(otherUserRequest, Ct);
        using var anonymous = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", bearer: null), Ct);
        using var wrongKey = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", "fbk_wrong"), Ct);

        Assert.Equal(HttpStatusCode.OK, key.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, keyOtherSite.StatusCode);
        Assert.Equal(HttpStatusCode.OK, user.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, otherUser.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongKey.StatusCode);
    }

    [Fact]
    public async Task Policy_NotNamingTheScheme_RefusesKeys()
    {
        await using var host = await HostAsync(
            services: s =>
            {
                s.AddAuthentication("Test").AddScheme<AuthenticationSchemeOptions, HeaderUserHandler>("Test", null);
                s.AddAuthorization(o => o.AddPolicy("BeaconRead", p => p.RequireRole("analytics")));
            },
            map: app =>
            {
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapBeaconApi("/beacon/api").RequireAuthorization("BeaconRead");
            });

        using var response = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", KeyA.Token), Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task AppUser_WithSiteClaims_IsScopedLikeAKey()
    {
        await using var host = await HostAsync(
            services: s =>
            {
                s.AddAuthentication("Test").AddScheme<AuthenticationSchemeOptions, SiteClaimUserHandler>("Test", null);
                s.AddAuthorization();
            },
            map: app =>
            {
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapBeaconApi("/beacon/api").RequireAuthorization();
            });

        using var own = await host.Client.SendAsync(Query("/beacon/api/v2/query", "b.example", bearer: null), Ct);
        using var other = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", bearer: null), Ct);

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
    }

    [Fact]
    public async Task Keys_NeverAppearInAnyLog()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await HostAsync(services: s =>
        {
            s.AddSingleton<ILoggerProvider>(logs);
            s.AddLogging(l => l.SetMinimumLevel(LogLevel.Trace));
        });
        var unknown = BeaconTokens.CreateApiKey().Token;

        (await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", KeyA.Token), Ct)).Dispose();
        (await host.Client.SendAsync(Query("/beacon/api/v2/query", "b.example", KeyA.Token), Ct)).Dispose();
        (await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", unknown), Ct)).Dispose();

        Assert.Contains(logs.Lines, l => l.Category.StartsWith("FrancisBeacon", StringComparison.Ordinal) && l.Text.Contains("reporting", StringComparison.Ordinal));
        Assert.Contains(logs.Lines, l => l.Text.Contains("matched no configured entry", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Text.Contains(KeyA.Token, StringComparison.Ordinal) || l.Text.Contains(unknown, StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Text.Contains(KeyA.Token[4..20], StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnknownKeys_LoggedOnceAMinute_WithTheCount()
    {
        var logs = new CapturingLoggerProvider();
        var clock = Clock();
        await using var host = await HostAsync(clock: clock, services: s =>
        {
            s.AddSingleton<ILoggerProvider>(logs);
            s.AddLogging(l => l.SetMinimumLevel(LogLevel.Trace));
        });
        string[] Lines() => [.. logs.Lines.Select(l => l.Text).Where(t => t.Contains("matched no configured entry", StringComparison.Ordinal))];

        for (var i = 0; i < 20; i++)
        {
            using var refused = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", BeaconTokens.CreateApiKey().Token), Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        Assert.StartsWith("1 beacon token(s) matched no configured entry (unknown or revoked), the latest of kind api_key;", Assert.Single(Lines()), StringComparison.Ordinal);
        clock.Advance(TimeSpan.FromSeconds(61));
        (await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", BeaconTokens.CreateApiKey().Token), Ct)).Dispose();
        Assert.Equal(2, Lines().Length);
        Assert.StartsWith("20 beacon token(s)", Lines()[1], StringComparison.Ordinal);
    }

    /// <summary>
    /// ASP.NET Core's authentication handler logs each failure, challenge and forbid at Information under the handler's
    /// own (FrancisBeacon) category: 20 made-up keys against a policy were 40 lines (session 21's probe: 1 982 lines).
    /// </summary>
    [Fact]
    public async Task UnknownKeys_Flood_CostsNoInformationLineARequest()
    {
        var logs = new LogCapture();
        await using var host = await PolicyHostAsync(s =>
        {
            s.AddSingleton<ILoggerProvider>(logs);
            s.AddLogging(l => l.SetMinimumLevel(LogLevel.Information));
        });

        for (var i = 0; i < 20; i++)
        {
            using var refused = await host.Client.SendAsync(Query("/beacon/api/v2/query", "a.example", BeaconTokens.CreateApiKey().Token), Ct);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        var lines = logs.Entries.Where(e => e.Level >= LogLevel.Information && e.Category.StartsWith("FrancisBeacon", StringComparison.Ordinal) &&
            !e.Category.StartsWith(typeof(ApiKeyTests).Namespace!, StringComparison.Ordinal)).ToList(); // not the test's own "Test" scheme
        Assert.DoesNotContain(lines, e => e.Category == typeof(BeaconTokenAuthenticationHandler).FullName);
        Assert.Equal(7102, Assert.Single(lines).EventId.Id);
    }

    [Fact]
    public async Task Options_HoldOnlyHashes_AndAPastedTokenFailsStartWithoutEchoingIt()
    {
        var key = BeaconTokens.CreateApiKey();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => BeaconTestHost.StartAsync(store: b => b.UseInMemory().AddTokens(o =>
        {
            var entry = new BeaconApiKeyOptions { Name = "pasted", Hash = key.Token };
            entry.Sites.Add("a.example");
            o.ApiKeys.Add(entry);
        })));

        Assert.Contains("ApiKeys[0].Hash", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Token, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddTokens_KeepsTheAppsLoneSchemeAsDefault()
    {
        await using var host = await HostAsync(services: s => s.AddAuthentication().AddScheme<AuthenticationSchemeOptions, HeaderUserHandler>("Test", null));

        var schemes = host.Services.GetRequiredService<IAuthenticationSchemeProvider>();

        Assert.Equal("Test", (await schemes.GetDefaultAuthenticateSchemeAsync())?.Name);
        Assert.NotNull(await schemes.GetSchemeAsync(BeaconTokenDefaults.AuthenticationScheme));
    }

    private static async Task<string[]> SiteIdsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.GetProperty("sites").EnumerateArray().Select(s => s.GetProperty("id").GetString()!).Order(StringComparer.Ordinal).ToArray();
    }

    private sealed class SiteClaimUserHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options,
        ILoggerFactory logger,
        System.Text.Encodings.Web.UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            var identity = new System.Security.Claims.ClaimsIdentity(
                [new System.Security.Claims.Claim("name", "client-b"), new System.Security.Claims.Claim(BeaconTokenDefaults.SiteClaimType, "b.example")],
                "Test");
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new System.Security.Claims.ClaimsPrincipal(identity), "Test")));
        }
    }
}

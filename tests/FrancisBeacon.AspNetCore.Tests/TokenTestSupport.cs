using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>Shared data and fakes of the API-key and share-link tests.</summary>
internal static class TokenTestSupport
{
    public static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    public const string Remote = "203.0.113.7";

    /// <summary>Two configured sites with different traffic: a.example 2 visitors / 3 pageviews, b.example 1 / 1.</summary>
    public static void TwoSites(BeaconOptions options)
    {
        options.Sites.Add(new BeaconSiteOptions { Id = "a.example" });
        options.Sites.Add(new BeaconSiteOptions { Id = "b.example" });
    }

    public static async Task SeedAsync(BeaconTestHost host)
    {
        var t0 = DateTimeOffset.Parse("2026-03-02T10:00:00Z", CultureInfo.InvariantCulture);
        await host.Store.AppendAsync(
        [
            new Hit { SiteId = "a.example", Path = "/", Timestamp = t0, VisitorId = 1 },
            new Hit { SiteId = "a.example", Path = "/pricing", Timestamp = t0.AddMinutes(2), VisitorId = 1 },
            new Hit { SiteId = "a.example", Path = "/", Timestamp = t0.AddDays(1), VisitorId = 2 },
            new Hit { SiteId = "b.example", Path = "/secret", Timestamp = t0, VisitorId = 3 },
        ], TestContext.Current.CancellationToken);
    }

    public static HttpRequestMessage Query(string url, string siteId, string? bearer, string remote = Remote)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(
                $$"""{"site_id":"{{siteId}}","metrics":["visitors","pageviews"],"date_range":["2026-03-01","2026-03-31"]}""",
                Encoding.UTF8,
                "application/json"),
        };
        return WithCaller(request, bearer, remote);
    }

    public static HttpRequestMessage Get(string url, string? bearer, string remote = Remote) =>
        WithCaller(new HttpRequestMessage(HttpMethod.Get, url), bearer, remote);

    private static HttpRequestMessage WithCaller(HttpRequestMessage request, string? bearer, string remote)
    {
        request.Headers.Add("X-Test-Remote", remote);
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return request;
    }

    public static FakeTimeProvider Clock() => new(Now);
}

/// <summary>Keeps every log line (message, state values, exception) of every category.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(string Category, string Text)> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, string)> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var text = new StringBuilder(formatter(state, exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    text.Append(' ').Append(key).Append('=').Append(Convert.ToString(value, CultureInfo.InvariantCulture));
                }
            }

            text.Append(' ').Append(exception);
            lines.Enqueue((category, text.ToString()));
        }
    }
}

/// <summary>An app's own sign-in: <c>X-Test-User: name[,role]</c> signs in that user, else no result.</summary>
internal sealed class HeaderUserHandler(
    Microsoft.Extensions.Options.IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    System.Text.Encodings.Web.UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue("X-Test-User", out var header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var parts = header.ToString().Split(',');
        var claims = new List<System.Security.Claims.Claim> { new(System.Security.Claims.ClaimTypes.Name, parts[0]) };
        claims.AddRange(parts.Skip(1).Select(r => new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Role, r)));
        var principal = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(claims, "Test"));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, "Test")));
    }
}

/// <summary>The options of <see cref="TestUserHandler"/>: the role of its one user, or none.</summary>
internal sealed class TestUserOptions : AuthenticationSchemeOptions
{
    public string? Role { get; set; }
}

/// <summary>No user when <see cref="TestUserOptions.Role"/> is null; else a user in that role (a bearer-like, non-cookie scheme).</summary>
internal sealed class TestUserHandler(
    Microsoft.Extensions.Options.IOptionsMonitor<TestUserOptions> options,
    ILoggerFactory logger,
    System.Text.Encodings.Web.UrlEncoder encoder)
    : AuthenticationHandler<TestUserOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Options.Role is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var identity = new System.Security.Claims.ClaimsIdentity(
            [new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Name, "owner"), new System.Security.Claims.Claim(System.Security.Claims.ClaimTypes.Role, Options.Role)], "Test");
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new System.Security.Claims.ClaimsPrincipal(identity), "Test")));
    }
}

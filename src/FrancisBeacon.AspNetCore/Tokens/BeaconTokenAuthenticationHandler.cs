using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The <c>BeaconToken</c> authentication scheme: <c>Authorization: Bearer fbk_…</c> API keys. Bearer tokens without
/// the API-key prefix are left to the app's other schemes (no result); a share-link token is refused here, since
/// share links reach only the share surface of the dashboard.
/// </summary>
/// <remarks>
/// ASP.NET Core's <see cref="AuthenticationHandler{TOptions}"/> logs every failed authentication, challenge and
/// forbid at Information under this handler's category (a <c>FrancisBeacon.*</c> one, so an app's usual
/// <c>"Microsoft.AspNetCore": "Warning"</c> does not quiet it): a flood of made-up keys cost a line per request
/// (session 21's probe: 1 982 lines for as many requests), where docs/api.md promises one a minute (event 7102). Those
/// three lines are logged at Debug instead; 7102 still counts the refused keys.
/// </remarks>
internal sealed class BeaconTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    BeaconTokenValidator validator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, new PerRequestLinesAtDebug(logger), encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (BearerToken(Request.Headers.Authorization.ToString()) is not { } token)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (token.StartsWith(BeaconTokens.ShareLinkPrefix, StringComparison.Ordinal))
        {
            return Task.FromResult(AuthenticateResult.Fail("A share-link token is not an API key."));
        }

        if (!token.StartsWith(BeaconTokens.ApiKeyPrefix, StringComparison.Ordinal))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        return Task.FromResult(validator.ValidateApiKey(token) is { } principal
            ? AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name))
            : AuthenticateResult.Fail(BeaconTokenValidator.InvalidApiKey));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.StatusCode = 401;
        Response.Headers.Append(HeaderNames.WWWAuthenticate, result.Failure is null
            ? "Bearer realm=\"FrancisBeacon\""
            : "Bearer realm=\"FrancisBeacon\", error=\"invalid_token\"");
    }

    /// <summary>The token of an <c>Authorization: Bearer</c> header value, or <see langword="null"/>.</summary>
    internal static string? BearerToken(string header)
    {
        const string Bearer = "Bearer ";
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header[Bearer.Length..].Trim();
        return token.Length == 0 ? null : token;
    }

    /// <summary>Hands the base class loggers that write its per-request lines (events 7, 12, 13) at Debug.</summary>
    private sealed class PerRequestLinesAtDebug(ILoggerFactory factory) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new Logger(factory.CreateLogger(categoryName));

        public void AddProvider(ILoggerProvider provider) => factory.AddProvider(provider);

        public void Dispose()
        {
            // The app's factory: not ours to dispose.
        }

        private sealed class Logger(ILogger inner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => inner.BeginScope(state);

            public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel == LogLevel.Information && eventId.Name is "AuthenticationSchemeNotAuthenticatedWithFailure" or "AuthenticationSchemeChallenged" or "AuthenticationSchemeForbidden")
                {
                    logLevel = LogLevel.Debug;
                }

                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}

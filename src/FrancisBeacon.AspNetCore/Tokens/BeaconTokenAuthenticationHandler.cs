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
internal sealed class BeaconTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    BeaconTokenValidator validator)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
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
}

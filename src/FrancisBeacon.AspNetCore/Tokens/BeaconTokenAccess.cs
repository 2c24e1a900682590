using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace FrancisBeacon.AspNetCore;

/// <summary>How the API's default (no policy) filter and the share surface check beacon tokens.</summary>
internal static class BeaconTokenAccess
{
    /// <summary>
    /// When AddTokens was called, authenticates the request's API key (if any) with the <c>BeaconToken</c> scheme and
    /// makes it the request's user. Returns the 401 to answer for a key that is wrong, expired or revoked, else
    /// <see langword="null"/>.
    /// </summary>
    public static async Task<IResult?> AuthenticateApiKeyAsync(HttpContext context)
    {
        if (context.RequestServices.GetService(typeof(BeaconTokenMarkerService)) is null)
        {
            return null;
        }

        var result = await context.AuthenticateAsync(BeaconTokenDefaults.AuthenticationScheme);
        if (result.Succeeded)
        {
            context.User = result.Principal;
            return null;
        }

        if (result.Failure is null)
        {
            return null;
        }

        context.Response.Headers.Append(HeaderNames.WWWAuthenticate, "Bearer realm=\"FrancisBeacon\", error=\"invalid_token\"");
        return Results.Json(
            new StatsError(result.Failure.Message, "authorization"),
            StatsJsonContext.Default.StatsError,
            statusCode: StatusCodes.Status401Unauthorized);
    }
}

using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The request's host and URL for recording a hit, or <see langword="null"/> when its Host header is not a valid
/// international domain name (<c>xn--a.xn--</c>): <see cref="HostString"/> decodes it and throws, which after the app
/// answered turned its response into a 500 with a logged stack.
/// </summary>
internal static class RequestUrls
{
    /// <summary>The request's absolute URL (<see cref="UriHelper.GetEncodedUrl"/>), or <see langword="null"/>.</summary>
    public static string? PageUrl(HttpRequest request)
    {
        try
        {
            return request.GetEncodedUrl();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The request's host name, or <see langword="null"/>.</summary>
    public static string? Host(HttpRequest request)
    {
        try
        {
            return request.Host.Host;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}

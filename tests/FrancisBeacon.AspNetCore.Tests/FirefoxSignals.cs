using System.Net;
using FrancisBeacon.Enrichment;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>The request signals of a pixel hit from desktop Firefox on Windows (English, a documentation IP address), for the hit factory's tests.</summary>
internal static class FirefoxSignals
{
    public const string UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";

    public static HitRequestSignals Create()
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["User-Agent"] = UserAgent,
            ["Accept-Language"] = "en-GB,en;q=0.8",
            ["Accept"] = "image/avif,image/webp,*/*",
        };
        return new HitRequestSignals(HitSource.Pixel, IPAddress.Parse("203.0.113.42"), name => headers.GetValueOrDefault(name));
    }
}

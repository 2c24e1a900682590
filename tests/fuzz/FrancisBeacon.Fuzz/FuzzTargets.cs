using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using FrancisBeacon.Enrichment;
using FrancisBeacon.Querying;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Fuzz;

/// <summary>
/// The fuzzing entry points for the request parsers: each takes raw bytes, runs one parser the way the endpoints do,
/// and lets through only the exceptions the endpoint turns into a 4xx. Anything else escaping is a bug. Shared by the
/// SharpFuzz harness (tests/fuzz, long runs) and the short deterministic run in the test suite.
/// </summary>
internal static class FuzzTargets
{
    private static readonly Lazy<(HitFactory Factory, SiteResolver Sites)> Services = new(() =>
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddBeacon(o =>
        {
            o.IncludeBots = true;
            o.Sites.Add(new BeaconSiteOptions { Id = "example.com", TimeZone = "Europe/Berlin" });
            o.Sites[0].Hostnames.Add("example.com");
            o.Sites[0].Hostnames.Add("*.example.com");
            o.Sites[0].QueryParameters.Add("id");
        }).UseInMemory();
        var provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<HitFactory>(), provider.GetRequiredService<SiteResolver>());
    });

    private static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

    /// <summary>The target names, as passed on the harness's command line.</summary>
    public static IReadOnlyList<string> Names { get; } = ["event", "plausible", "umami", "query", "pixel", "useragent", "url"];

    public static void Run(string target, ReadOnlySpan<byte> data)
    {
        switch (target)
        {
            case "event":
                Event(data);
                break;
            case "plausible":
                Plausible(data);
                break;
            case "umami":
                Umami(data);
                break;
            case "query":
                Query(data);
                break;
            case "pixel":
                Pixel(data);
                break;
            case "useragent":
                UserAgent(data);
                break;
            case "url":
                Url(data);
                break;
            default:
                throw new ArgumentException($"Unknown fuzz target {target}; use one of {string.Join(", ", Names)}.", nameof(target));
        }
    }

    /// <summary><c>POST {prefix}/event</c>: the JSON body, then the hit built from it.</summary>
    private static void Event(ReadOnlySpan<byte> data)
    {
        if (EventPayload.TryParse(data.ToArray(), out var input, out _))
        {
            Build(input);
        }
    }

    private static void Plausible(ReadOnlySpan<byte> data)
    {
        if (PlausiblePayload.TryParse(data.ToArray(), out var input, out _))
        {
            Build(input);
        }
    }

    private static void Umami(ReadOnlySpan<byte> data)
    {
        if (UmamiPayload.TryParse(data.ToArray(), "https", out var input, out _) && input is not null)
        {
            Build(input);
        }
    }

    /// <summary><c>POST {api}/v2/query</c>: the endpoint answers JSON, query and UTF-16 errors with 400.</summary>
    private static void Query(ReadOnlySpan<byte> data)
    {
        try
        {
            using var document = JsonDocument.Parse(data.ToArray(), new JsonDocumentOptions { MaxDepth = 16 });
            QueryEndpoint.Parse(document.RootElement, Services.Value.Sites, Now);
        }
        catch (Exception ex) when (ex is JsonException or HitQueryException or InvalidOperationException)
        {
        }
    }

    /// <summary><c>GET {prefix}/hit.gif?u=&amp;r=&amp;w=</c>: the query string as the pixel reads it, then the hit.</summary>
    private static void Pixel(ReadOnlySpan<byte> data)
    {
        var text = Encoding.UTF8.GetString(data);
        var query = QueryHelpers.ParseQuery(text.StartsWith('?') ? text : "?" + text);
        int? width = query.TryGetValue("w", out var w) && int.TryParse(w.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) ? parsed : null;
        Build(new HitInput(query.TryGetValue("u", out var u) ? u.ToString() : text, query.TryGetValue("r", out var r) ? r.ToString() : null, null, width, null));
    }

    /// <summary>The user-agent parser, with and without client hints (the input is split at the first newline).</summary>
    private static void UserAgent(ReadOnlySpan<byte> data)
    {
        var text = Encoding.UTF8.GetString(data);
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        var userAgent = newline < 0 ? text : text[..newline];
        var hints = newline < 0 ? string.Empty : text[(newline + 1)..];
        UserAgentParser.Parse(userAgent);
        Build(new HitInput("https://example.com/", null, null, null, null), userAgent, hints);
    }

    /// <summary>Page URL and referrer normalisation, and the referrer classification.</summary>
    private static void Url(ReadOnlySpan<byte> data)
    {
        var text = Encoding.UTF8.GetString(data);
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        var page = newline < 0 ? text : text[..newline];
        var referrer = newline < 0 ? null : text[(newline + 1)..];
        if (Uri.TryCreate(page, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            try
            {
                PageUrl.Normalise(uri, ["id", "q"], hashRouting: true, TrailingSlashMode.Remove);
                PageUrl.Normalise(uri, [], hashRouting: false, TrailingSlashMode.Keep);
            }
            catch (UriFormatException)
            {
                // Uri throws for some IDN host names when asked for IdnHost; HitFactory refuses those pages first.
            }
        }

        ReferrerClassifier.Classify(new ReferrerSignals { Referrer = referrer, PageHost = "example.com", UtmSource = page, UtmMedium = referrer });
        Build(new HitInput(page, referrer, null, null, null));
    }

    private static void Build(HitInput input, string userAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", string hints = "")
    {
        var signals = new HitRequestSignals(HitSource.Script, IPAddress.Loopback, name => name switch
        {
            "User-Agent" => userAgent,
            "Sec-CH-UA" or "Sec-CH-UA-Platform" or "Sec-CH-UA-Platform-Version" or "Sec-CH-UA-Mobile" or "Accept-Language" => hints,
            _ => null,
        });
        Services.Value.Factory.Build(input, signals);
    }
}

using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The dashboard's embedded files (<c>Dashboard/wwwroot</c>, read through <see cref="ManifestEmbeddedFileProvider"/>)
/// with one content hash over all of them, so every asset URL changes when any asset changes.
/// </summary>
internal sealed class BeaconDashboardAssets
{
    /// <summary>Self only, no inline script or style; uPlot sets styles through the CSSOM, which CSP allows.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'self'; form-action 'none'; frame-ancestors 'self'";

    private static readonly Lazy<BeaconDashboardAssets> Lazy = new(() => new BeaconDashboardAssets());

    private readonly Dictionary<string, (byte[] Content, string ContentType)> _files = new(StringComparer.Ordinal);
    private readonly string _shellTemplate;

    private BeaconDashboardAssets()
    {
        var provider = new ManifestEmbeddedFileProvider(typeof(BeaconDashboardAssets).Assembly, "Dashboard/wwwroot");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Collect(provider, string.Empty, hash);
        Hash = Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
        _shellTemplate = Encoding.UTF8.GetString(_files["index.html"].Content);
        _files.Remove("index.html");
    }

    public static BeaconDashboardAssets Instance => Lazy.Value;

    /// <summary>The content hash in every asset URL.</summary>
    public string Hash { get; }

    /// <summary>The HTML page: no-cache, strict CSP, <c>&lt;base href&gt;</c> from PathBase + pattern.</summary>
    public static IResult Shell(HttpContext context, string prefix) =>
        ShellAt(context, context.Request.PathBase.Add(new PathString(prefix)).ToUriComponent() + "/");

    /// <summary>The HTML page with <paramref name="baseHref"/> as its base (assets and API resolve against it).</summary>
    public static IResult ShellAt(HttpContext context, string baseHref)
    {
        var assets = Instance;
        var html = assets._shellTemplate
            .Replace("{{base}}", WebUtility.HtmlEncode(baseHref), StringComparison.Ordinal)
            .Replace("{{hash}}", assets.Hash, StringComparison.Ordinal);
        var headers = context.Response.Headers;
        headers.CacheControl = "no-cache";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        return Results.Content(html, "text/html; charset=utf-8");
    }

    /// <summary>One asset, immutable for a year when <paramref name="hash"/> is the current one.</summary>
    public IResult Serve(HttpContext context, string hash, string path)
    {
        if (!string.Equals(hash, Hash, StringComparison.Ordinal) || !_files.TryGetValue(path, out var file))
        {
            context.Response.Headers.CacheControl = "no-store";
            return Results.NotFound();
        }

        context.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return Results.Bytes(file.Content, file.ContentType);
    }

    private void Collect(IFileProvider provider, string directory, IncrementalHash hash)
    {
        foreach (var entry in provider.GetDirectoryContents("/" + directory).OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            var path = directory.Length == 0 ? entry.Name : directory + "/" + entry.Name;
            if (entry.IsDirectory)
            {
                Collect(provider, path, hash);
                continue;
            }

            using var stream = entry.CreateReadStream();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            hash.AppendData(Encoding.UTF8.GetBytes(path));
            hash.AppendData(content);
            _files[path] = (content, ContentTypeOf(path));
        }
    }

    private static string ContentTypeOf(string path) => Path.GetExtension(path) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".html" => "text/html; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "text/plain; charset=utf-8",
    };
}

/// <summary>Remembers where MapBeaconApi put the API, so MapBeaconDashboard maps it only when it is missing.</summary>
internal static class BeaconApiRegistry
{
    private static readonly ConditionalWeakTable<IEndpointRouteBuilder, HashSet<string>> Mapped = new();

    public static string Normalize(string pattern)
    {
        var trimmed = pattern.Trim().TrimEnd('/');
        return trimmed.Length == 0 || trimmed.StartsWith('/') ? trimmed : "/" + trimmed;
    }

    public static void Add(IEndpointRouteBuilder endpoints, string pattern)
    {
        var set = Mapped.GetOrCreateValue(endpoints);
        lock (set)
        {
            set.Add(Normalize(pattern));
        }
    }

    public static bool IsMapped(IEndpointRouteBuilder endpoints, string pattern)
    {
        if (!Mapped.TryGetValue(endpoints, out var set))
        {
            return false;
        }

        lock (set)
        {
            return set.Contains(Normalize(pattern));
        }
    }
}

/// <summary><c>GET {api}/sites</c>: the configured sites, for the dashboard's site picker.</summary>
internal static class SitesEndpoint
{
    public static IResult Handle(HttpContext context, SiteResolver sites, Microsoft.Extensions.Options.IOptions<BeaconOptions> options)
    {
        var scoped = sites.For(context.User);
        var list = scoped.Sites.Select(s => new SiteEntry(s.Id, s.TimeZone.Id)).ToList();
        if (options.Value.DefaultSiteId is { Length: > 0 } id && sites.ForId(id) is { } d && !list.Any(s => string.Equals(s.Id, d.Id, StringComparison.OrdinalIgnoreCase)) &&
            scoped.AllowedSiteIds?.Contains(d.Id) != false)
        {
            list.Add(new SiteEntry(d.Id, d.TimeZone.Id));
        }

        // A scoped caller (API key, share link) also sees its sites that are not configured, when any host is a site.
        foreach (var allowed in scoped.AllowedSiteIds?.Order(StringComparer.Ordinal) ?? Enumerable.Empty<string>())
        {
            if (!list.Any(s => string.Equals(s.Id, allowed, StringComparison.OrdinalIgnoreCase)) && sites.ForId(allowed) is { } site)
            {
                list.Add(new SiteEntry(site.Id, site.TimeZone.Id));
            }
        }

        // With no sites configured every page's host name is its own site: offer the one this request came to, so the
        // dashboard of the two-line quick start opens on the app's own site (it asked for ?site=… in the address).
        if (!sites.HasConfiguredSites && list.Count == 0 && scoped.AllowedSiteIds is null && RequestSite(context, sites) is { } own)
        {
            list.Add(new SiteEntry(own.Id, own.TimeZone.Id));
        }

        return Results.Json(new SitesResponse(list, sites.HasConfiguredSites), DashboardJsonContext.Default.SitesResponse);
    }

    /// <summary>The site the request's own host name would be as a page's host (its IDN form, lower case), or null.</summary>
    private static ResolvedSite? RequestSite(HttpContext context, SiteResolver sites)
    {
        var host = context.Request.Host;
        if (!host.HasValue || !Uri.TryCreate("http://" + host.Value, UriKind.Absolute, out var uri))
        {
            return null;
        }

        try
        {
            return uri.IdnHost is { Length: > 0 } name ? sites.ForHost(name.ToLowerInvariant()) : null;
        }
        catch (UriFormatException)
        {
            return null; // a host Uri parses but cannot give in IDN form (HitFactory skips such pages the same way)
        }
    }
}

internal sealed record SiteEntry(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("time_zone")] string TimeZone);

internal sealed record SitesResponse(
    [property: JsonPropertyName("sites")] IReadOnlyList<SiteEntry> Sites,
    [property: JsonPropertyName("configured")] bool Configured);

[JsonSerializable(typeof(SitesResponse))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;

internal static partial class DashboardLog
{
    [LoggerMessage(EventId = 7001, Level = LogLevel.Information,
        Message = "Beacon dashboard mapped at {Pattern} with the API at {Api} (mapped by the dashboard: {MappedApi}). Without .RequireAuthorization(...) it answers only loopback requests.")]
    public static partial void Mapped(ILogger logger, string pattern, string api, bool mappedApi);
}

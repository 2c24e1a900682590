using System.Text;

namespace FrancisBeacon.Enrichment;

/// <summary>Turns a page URL into the stored host name and path, following a site's URL settings.</summary>
public static class PageUrl
{
    /// <summary>
    /// The lower-case host, and the path: percent-decoded where that gives printable text, without fragment (unless
    /// <paramref name="hashRouting"/>), with only the allow-listed query parameters, trailing slash handled as asked,
    /// capped at <see cref="HitLimits.MaxUrlLength"/> characters.
    /// </summary>
    public static (string Hostname, string Path) Normalise(Uri page, IReadOnlyCollection<string> queryParameters, bool hashRouting, TrailingSlashMode trailingSlash)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(queryParameters);
        var hostname = page.IdnHost.ToLowerInvariant();
        var path = Decode(page.AbsolutePath);
        if (path.Length == 0 || path[0] != '/')
        {
            path = "/" + path;
        }

        if (trailingSlash == TrailingSlashMode.Remove && path.Length > 1)
        {
            path = path.TrimEnd('/');
            if (path.Length == 0)
            {
                path = "/";
            }
        }

        if (queryParameters.Count > 0 && page.Query.Length > 1)
        {
            var kept = new StringBuilder();
            foreach (var pair in page.Query[1..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                var name = Decode(pair.Split('=', 2)[0]);
                if (queryParameters.Contains(name, StringComparer.Ordinal))
                {
                    kept.Append(kept.Length == 0 ? '?' : '&').Append(pair);
                }
            }

            path += kept.ToString();
        }

        if (hashRouting && page.Fragment.Length > 1)
        {
            path += Decode(page.Fragment);
        }

        return (hostname, path.Length > HitLimits.MaxUrlLength ? path[..HitLimits.MaxUrlLength] : path);
    }

    private static string Decode(string raw)
    {
        try
        {
            var decoded = Uri.UnescapeDataString(raw);
            foreach (var c in decoded)
            {
                if (char.IsControl(c))
                {
                    return raw;
                }
            }

            return decoded;
        }
        catch (UriFormatException)
        {
            return raw;
        }
    }
}

/// <summary>Screen-width classes, as the dashboard shows them.</summary>
public static class ScreenSize
{
    /// <summary>The class of a width in CSS pixels: <c>Mobile</c> (&lt; 576), <c>Tablet</c> (&lt; 992), <c>Laptop</c> (&lt; 1440) or <c>Desktop</c>; null when unknown.</summary>
    public static string? Classify(int? width) => width switch
    {
        null or <= 0 => null,
        < 576 => "Mobile",
        < 992 => "Tablet",
        < 1440 => "Laptop",
        _ => "Desktop",
    };
}

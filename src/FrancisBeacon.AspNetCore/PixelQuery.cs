using Microsoft.AspNetCore.WebUtilities;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The pixel's three parameters (<c>u</c>, <c>r</c>, <c>w</c>) read straight from the raw query string, as
/// <c>HttpRequest.Query[name].ToString()</c> gives them — names case-insensitive, values decoded (<c>+</c> as a
/// space), a repeated name's non-empty values joined with commas, a missing one empty — without building the request's query
/// dictionary (every pair decoded into a dictionary: about a microsecond per hit under load).
/// </summary>
/// <remarks>
/// The decoded values of recent raw (still escaped) values are kept in a bounded <see cref="ParseCache{TValue}"/>
/// (docs/performance.md, round 11): a site's pixels send the same few hundred page and referrer URLs, so most hits skip
/// the unescaping and its string, and get the same string instance each time, which the hit factory's parse caches
/// then find at once. The keys are page and referrer URLs and screen widths, as the factory's caches hold: no IP address,
/// no user agent, never stored or logged.
/// </remarks>
internal static class PixelQuery
{
    private static readonly ParseCache<string> s_decoded = new();

    /// <summary>The cache of decoded values (for tests).</summary>
    internal static ParseCache<string> Decoded => s_decoded;

    public static (string Url, string Referrer, string Width) Read(string? query)
    {
        string? url = null, referrer = null, width = null;
        if (string.IsNullOrEmpty(query))
        {
            return (string.Empty, string.Empty, string.Empty);
        }

        foreach (var pair in new QueryStringEnumerable(query))
        {
            var encoded = pair.EncodedName.Span;
            var name = encoded.ContainsAny('%', '+') ? pair.DecodeName().Span : encoded;
            if (name.Length != 1)
            {
                continue;
            }

            switch (name[0])
            {
                case 'u' or 'U':
                    url = Append(url, pair);
                    break;
                case 'r' or 'R':
                    referrer = Append(referrer, pair);
                    break;
                case 'w' or 'W':
                    width = Append(width, pair);
                    break;
                default:
                    break;
            }
        }

        return (url ?? string.Empty, referrer ?? string.Empty, width ?? string.Empty);
    }

    private static string Append(string? first, QueryStringEnumerable.EncodedNameValuePair pair)
    {
        // StringValues.ToString() joins a repeated name's values with commas, leaving out empty ones.
        var value = Decode(pair);
        return string.IsNullOrEmpty(first) ? value : value.Length == 0 ? first : first + "," + value;
    }

    /// <summary>The decoded value, as <c>pair.DecodeValue().ToString()</c> gives it, from the cache when the raw value was seen lately.</summary>
    private static string Decode(QueryStringEnumerable.EncodedNameValuePair pair)
    {
        var raw = pair.EncodedValue.Span;
        if (raw.IsEmpty)
        {
            return string.Empty;
        }

        if (s_decoded.TryGet(raw, out var cached))
        {
            return cached;
        }

        var value = pair.DecodeValue().ToString();
        if (raw.Length <= s_decoded.MaxKeyLength)
        {
            s_decoded.Set(raw.ToString(), value);
        }

        return value;
    }
}

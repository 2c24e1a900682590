using Microsoft.AspNetCore.Http;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// Reads a request's headers for its <see cref="FrancisBeacon.Enrichment.HitRequestSignals"/>, as
/// <c>headers[name].ToString()</c> gives them. The non-standard headers the built-in steps ask for
/// (<c>Sec-Fetch-*</c>, <c>Sec-CH-UA*</c>, <c>Purpose</c>, <c>Sec-Purpose</c>, <c>Sec-GPC</c>, <c>DNT</c>) are not
/// among Kestrel's known headers, so each lookup by name is a case-insensitive search of its other headers; they are
/// collected instead in one pass over the request's headers, the first time one of them is asked for, and every other
/// name is looked up as before (docs/performance.md, round 11). Lives for one request, in memory only.
/// </summary>
internal sealed class RequestHeaderReader
{
    private const int SecFetchSite = 0;
    private const int SecFetchMode = 1;
    private const int SecFetchDest = 2;
    private const int SecChUa = 3;
    private const int SecChUaMobile = 4;
    private const int SecChUaPlatform = 5;
    private const int SecChUaPlatformVersion = 6;
    private const int Purpose = 7;
    private const int SecPurpose = 8;
    private const int SecGpc = 9;
    private const int Dnt = 10;

    private readonly IHeaderDictionary _headers;
    private Values _values;
    private bool _collected;

    public RequestHeaderReader(IHeaderDictionary headers) => _headers = headers;

    /// <summary>The header's values joined with commas, or an empty string when the request has none.</summary>
    public string Read(string name)
    {
        var slot = Slot(name);
        if (slot < 0)
        {
            return _headers[name].ToString();
        }

        if (!_collected)
        {
            Collect();
        }

        return _values[slot] ?? string.Empty;
    }

    private void Collect()
    {
        foreach (var (key, value) in _headers)
        {
            var slot = Slot(key);
            if (slot >= 0)
            {
                // Header names are unique in the dictionary (case-insensitively), so each slot is set at most once.
                _values[slot] = value.ToString();
            }
        }

        _collected = true;
    }

    /// <summary>The slot of a collected header name (case-insensitive), or -1.</summary>
    internal static int Slot(string name) => name.Length switch
    {
        3 => Is(name, "DNT", Dnt),
        7 => name.Equals("Sec-GPC", StringComparison.OrdinalIgnoreCase) ? SecGpc : Is(name, "Purpose", Purpose),
        9 => Is(name, "Sec-CH-UA", SecChUa),
        11 => Is(name, "Sec-Purpose", SecPurpose),
        14 => !name.StartsWith("Sec-Fetch-", StringComparison.OrdinalIgnoreCase) ? -1
            : name.EndsWith("Site", StringComparison.OrdinalIgnoreCase) ? SecFetchSite
            : name.EndsWith("Mode", StringComparison.OrdinalIgnoreCase) ? SecFetchMode
            : name.EndsWith("Dest", StringComparison.OrdinalIgnoreCase) ? SecFetchDest
            : -1,
        16 => Is(name, "Sec-CH-UA-Mobile", SecChUaMobile),
        18 => Is(name, "Sec-CH-UA-Platform", SecChUaPlatform),
        26 => Is(name, "Sec-CH-UA-Platform-Version", SecChUaPlatformVersion),
        _ => -1,
    };

    private static int Is(string name, string expected, int slot) =>
        name.Equals(expected, StringComparison.OrdinalIgnoreCase) ? slot : -1;

    [System.Runtime.CompilerServices.InlineArray(11)]
    private struct Values
    {
        private string? _element;
    }
}

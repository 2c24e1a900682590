// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Enrichment;

/// <summary>Host names of parsed URLs.</summary>
internal static class UriHosts
{
    /// <summary>
    /// The host in its IDN (punycode) form, or <see langword="null"/> when it breaks the IDN rules: <see cref="Uri"/>
    /// parses such hosts (a lone surrogate, U+FFFF, a zero-width joiner) but throws when asked for
    /// <see cref="Uri.IdnHost"/>.
    /// </summary>
    public static string? IdnHostOrNull(Uri uri)
    {
        try
        {
            return uri.IdnHost;
        }
        catch (UriFormatException)
        {
            return null;
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The imports of <c>POST {api}/import</c> running in this process: one per site at a time, and at most
/// <see cref="BeaconImportOptions.MaxConcurrentImports"/> in all. A refused import has read nothing of its body.
/// </summary>
internal sealed class ImportGate
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _sites = new(StringComparer.Ordinal);

    /// <summary>What <see cref="TryEnter"/> decided.</summary>
    internal enum Entry
    {
        /// <summary>The import may run; call <see cref="Leave"/> when it ends.</summary>
        Entered,

        /// <summary>Another import of the same site runs.</summary>
        SiteBusy,

        /// <summary>As many imports as allowed run already (of other sites).</summary>
        Full,
    }

    public Entry TryEnter(string siteId, int maxConcurrent)
    {
        lock (_gate)
        {
            if (_sites.Contains(siteId))
            {
                return Entry.SiteBusy;
            }

            if (_sites.Count >= maxConcurrent)
            {
                return Entry.Full;
            }

            _sites.Add(siteId);
            return Entry.Entered;
        }
    }

    public void Leave(string siteId)
    {
        lock (_gate)
        {
            _sites.Remove(siteId);
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Storage;

/// <summary>
/// The purges of stored hits running in this process (retention, erasure), by site. The rollup worker leaves a site
/// out of its passes while one runs — a purge marks the days it deletes from for a rebuild chunk by chunk, so a pass
/// during it rebuilds days the purge is still emptying, and on SQLite competes with it for the write lock — and takes
/// the site again at its first pass after, rebuilding every day the purge marked. Registered by <c>AddBeacon</c> and
/// <c>AddRollupWorker</c>.
/// </summary>
/// <remarks>
/// The beacon's own purges (<see cref="IBeaconDataEraser"/> and the retention service) enter it; code that calls
/// <see cref="IHitStore.PurgeAsync"/> itself can do the same (<c>using (registry.Enter(siteId)) { … }</c>). It only
/// saves work: answers are exact whether or not a purge is entered. Purges in other processes (other instances on the
/// same PostgreSQL database) are not seen.
/// </remarks>
public sealed class HitPurgeRegistry
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _sites = new(StringComparer.Ordinal);
    private int _everySite;
    private volatile int _running;

    /// <summary>Whether any purge is running (a cheap read: the worker looks at the sites only then).</summary>
    public bool Any => _running > 0;

    /// <summary>
    /// Records a purge of <paramref name="siteId"/>'s hits (<see langword="null"/>: of every site, as retention does) until
    /// the result is disposed. Dispose it in a <c>finally</c> (a <c>using</c>), so that a purge that fails or is
    /// cancelled leaves too; disposing it twice leaves once.
    /// </summary>
    public IDisposable Enter(string? siteId)
    {
        lock (_gate)
        {
            if (siteId is null)
            {
                _everySite++;
            }
            else
            {
                _sites[siteId] = _sites.GetValueOrDefault(siteId) + 1;
            }

            _running++;
        }

        return new Entry(this, siteId);
    }

    /// <summary>Whether a purge of <paramref name="siteId"/>'s hits (or of every site's) is running.</summary>
    public bool IsPurging(string siteId)
    {
        ArgumentNullException.ThrowIfNull(siteId);
        if (!Any)
        {
            return false;
        }

        lock (_gate)
        {
            return _everySite > 0 || _sites.ContainsKey(siteId);
        }
    }

    private void Leave(string? siteId)
    {
        lock (_gate)
        {
            if (siteId is null)
            {
                _everySite--;
            }
            else if (_sites[siteId] == 1)
            {
                _sites.Remove(siteId);
            }
            else
            {
                _sites[siteId]--;
            }

            _running--;
        }
    }

    private sealed class Entry(HitPurgeRegistry registry, string? siteId) : IDisposable
    {
        private int _left;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _left, 1) == 0)
            {
                registry.Leave(siteId);
            }
        }
    }
}

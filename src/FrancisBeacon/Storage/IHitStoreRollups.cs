// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Storage;

/// <summary>
/// A store capability: pre-aggregated rollups that the store maintains incrementally and uses to answer queries
/// faster. Probe with <c>store is IHitStoreRollups</c>; the beacon's background worker calls
/// <see cref="RefreshRollupsAsync"/> every few seconds for the configured sites.
/// </summary>
/// <remarks>
/// Answers never change because of rollups: a store answers from them only what they answer exactly, combines them
/// with hits not yet rolled up, and sends every other query to its raw path.
/// </remarks>
public interface IHitStoreRollups
{
    /// <summary>
    /// Brings the rollups of the given sites (site id → the site's time zone, whose midnight rotates the visitor-id
    /// salt) up to date. Returns the number of site-local days rebuilt; 0 when nothing was to do or another instance
    /// is the maintainer right now.
    /// </summary>
    ValueTask<int> RefreshRollupsAsync(IReadOnlyDictionary<string, TimeZoneInfo> siteTimeZones, CancellationToken cancellationToken);
}

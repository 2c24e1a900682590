// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Storage;

/// <summary>How <see cref="HitTransfer"/> imports or copies hits.</summary>
public sealed class HitTransferOptions
{
    /// <summary>
    /// How many hits go to <see cref="IHitStore.AppendAsync"/> at once (each batch is one transaction of the target
    /// store). Default: 1,000. At least 1.
    /// </summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>
    /// Import only: the site every hit must belong to; a hit of another site fails the import at its line. Default:
    /// <see langword="null"/> (any site).
    /// </summary>
    public string? SiteId { get; set; }

    /// <summary>
    /// Import only: the latest time a hit may have; a later one fails the import at its line (a file from a server whose
    /// clock was wrong). Default: <see langword="null"/> (no bound).
    /// </summary>
    public DateTimeOffset? NotAfter { get; set; }
}

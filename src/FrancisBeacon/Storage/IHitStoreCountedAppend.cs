// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Storage;

/// <summary>
/// A store capability: an append that says how many of the batch's hits the store added, for imports and copies
/// (<see cref="HitTransfer"/>), which tell new hits from hits already present. Probe with
/// <c>store is IHitStoreCountedAppend</c>.
/// </summary>
/// <remarks>
/// The count comes from the append itself (the rows its transaction inserted), not from counting hits before and after,
/// which the beacon's own writes to the same site would skew. The SQL stores and <see cref="InMemoryHitStore"/>
/// implement it at no cost to <see cref="IHitStore.AppendAsync"/>, which the beacon keeps using.
/// </remarks>
public interface IHitStoreCountedAppend
{
    /// <summary>
    /// Stores a batch exactly as <see cref="IHitStore.AppendAsync"/> does, and returns how many of its hits were added:
    /// those whose <see cref="Hit.Id"/> the store did not hold before (an id repeated within the batch counts once).
    /// </summary>
    /// <param name="hits">The batch.</param>
    /// <param name="cancellationToken">Cancels the append (nothing of the batch is stored then).</param>
    /// <returns>The hits added; the rest of the batch were ids the store already held.</returns>
    ValueTask<int> AppendCountedAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken);
}

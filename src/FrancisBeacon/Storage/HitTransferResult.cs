// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Storage;

/// <summary>How far an import or a copy (<see cref="HitTransfer"/>) got.</summary>
/// <param name="Read">The hits read from the file or the source store.</param>
/// <param name="Appended">
/// The hits handed to the target's <see cref="IHitStore.AppendAsync"/>. Hits whose id the target already held are
/// counted too: the store skips them (re-appending a stored id is a no-op) and does not say how many it skipped.
/// </param>
public sealed record HitTransferResult(long Read, long Appended);

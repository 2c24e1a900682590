// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Storage;

/// <summary>How far an import or a copy (<see cref="HitTransfer"/>) got.</summary>
/// <param name="Read">The hits read from the file or the source store.</param>
/// <param name="Appended">
/// The hits handed to the target's <see cref="IHitStore.AppendAsync"/>: new ones and ones it already held (which it
/// skips: re-appending a stored id is a no-op). <see cref="Added"/> and <see cref="AlreadyPresent"/> tell them apart.
/// </param>
public sealed record HitTransferResult(long Read, long Appended)
{
    /// <summary>
    /// Of <see cref="Appended"/>, the hits the target did not hold before (their ids were new to it), as its append
    /// reported them (<see cref="IHitStoreCountedAppend"/>); <see langword="null"/> when the target cannot tell.
    /// </summary>
    public long? Added { get; init; }

    /// <summary>
    /// Of <see cref="Appended"/>, the hits whose ids the target already held (stored by an earlier run of the same import
    /// or copy, or repeated in the file): <see cref="Appended"/> less <see cref="Added"/>; <see langword="null"/> when the
    /// target cannot tell.
    /// </summary>
    public long? AlreadyPresent => Appended - Added;
}

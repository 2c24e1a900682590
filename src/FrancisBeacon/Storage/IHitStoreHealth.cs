// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Storage;

/// <summary>
/// A store capability: problems a store can see in its own state that its calls may not show, for the beacon's health
/// check (<c>AddHealthChecks().AddBeacon()</c>), which reports <c>Unhealthy</c> with the description. Probe with
/// <c>store is IHitStoreHealth</c>.
/// </summary>
/// <remarks>
/// The SQLite store implements it: its database file deleted, moved away or replaced while the store has it open
/// (docs/deployment.md, "The SQLite file deleted or replaced").
/// </remarks>
public interface IHitStoreHealth
{
    /// <summary>
    /// Returns a one-line description of a problem that makes the store unfit to keep what it is given, or
    /// <see langword="null"/> when it sees none. Called for every health probe: cheap (no query), and the description
    /// holds no stored data.
    /// </summary>
    ValueTask<string?> GetProblemAsync(CancellationToken cancellationToken);
}

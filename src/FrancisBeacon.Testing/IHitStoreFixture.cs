// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <summary>
/// Makes stores for <see cref="HitStoreConformanceTests{TFixture}"/>: one fresh, isolated database per isolation key.
/// A store author implements it once for their backend and passes it to the kit as the class fixture.
/// </summary>
/// <remarks>
/// <para>xUnit creates one fixture per test class and disposes it after the last test of the class, so a fixture
/// that creates databases, schemas or files implements <see cref="IAsyncDisposable"/> (or
/// <c>Xunit.IAsyncLifetime</c>) and removes everything it created there, even for tests that failed.</para>
/// <para>The kit disposes every store it received (when the store is <see cref="IAsyncDisposable"/> or
/// <see cref="IDisposable"/>) at the end of the test that asked for it, before the fixture is disposed.</para>
/// </remarks>
public interface IHitStoreFixture
{
    /// <summary>
    /// Returns a store over the database that belongs to <paramref name="isolationKey"/>. The first call for a key
    /// creates that database fresh and empty, and does <em>not</em> migrate it: the kit calls
    /// <see cref="IHitStoreSchema.MigrateAsync"/> itself (and tests migration that way). A later call with the same
    /// key returns another store instance over the <em>same</em> database, as a second app instance would see it.
    /// </summary>
    /// <param name="isolationKey">
    /// A key unique to one test: 1 to 32 characters, lower-case ASCII letters and digits, starting with a letter, so
    /// it can be used as it is in a schema name, a table prefix or a file name.
    /// </param>
    /// <param name="cancellationToken">Cancels creating the database.</param>
    ValueTask<IHitStore> CreateStoreAsync(string isolationKey, CancellationToken cancellationToken);
}

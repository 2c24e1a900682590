// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Collections.Concurrent;
using FrancisBeacon.Storage;
using FrancisBeacon.Testing;

namespace FrancisBeacon.Tests.Storage;

/// <summary>Makes one <see cref="InMemoryHitStore"/> per isolation key; the store is its own database.</summary>
public sealed class InMemoryHitStoreFixture : IHitStoreFixture
{
    private readonly ConcurrentDictionary<string, InMemoryHitStore> _databases = new(StringComparer.Ordinal);

    public ValueTask<IHitStore> CreateStoreAsync(string isolationKey, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult<IHitStore>(_databases.GetOrAdd(isolationKey, _ => new InMemoryHitStore()));
    }
}

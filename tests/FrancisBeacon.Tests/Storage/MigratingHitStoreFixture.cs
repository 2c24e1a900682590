// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Collections.Concurrent;
using FrancisBeacon.Storage;
using FrancisBeacon.Testing;

namespace FrancisBeacon.Tests.Storage;

/// <summary>
/// Makes <see cref="MigratingHitStore"/> instances, a new one per call over one shared database per isolation key,
/// and checks at dispose that the kit disposed every store it was given.
/// </summary>
public sealed class MigratingHitStoreFixture : IHitStoreFixture, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, MigratingHitStore.Database> _databases = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<MigratingHitStore> _stores = [];

    public ValueTask<IHitStore> CreateStoreAsync(string isolationKey, CancellationToken cancellationToken)
    {
        Assert.Matches("^[a-z][a-z0-9]{0,31}$", isolationKey);
        var store = new MigratingHitStore(_databases.GetOrAdd(isolationKey, _ => new MigratingHitStore.Database()));
        _stores.Add(store);
        return ValueTask.FromResult<IHitStore>(store);
    }

    public ValueTask DisposeAsync()
    {
        var leaked = _stores.Count(s => !s.Disposed);
        foreach (var database in _databases.Values)
        {
            database.Lock.Dispose();
        }

        _databases.Clear();
        return leaked == 0
            ? ValueTask.CompletedTask
            : throw new InvalidOperationException($"The kit left {leaked} stores undisposed.");
    }
}

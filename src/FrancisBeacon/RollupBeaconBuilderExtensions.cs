// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon;
using FrancisBeacon.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the rollup maintenance worker for stores that implement <see cref="IHitStoreRollups"/>.</summary>
public static class RollupBeaconBuilderExtensions
{
    /// <summary>
    /// Adds the background service that keeps the store's rollups current (every 5 seconds, for the configured sites).
    /// Store packages with rollups call this; calling it twice registers one worker.
    /// </summary>
    public static IBeaconBuilder AddRollupWorker(this IBeaconBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<HitPurgeRegistry>();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<Hosting.IHostedService, HitStoreRollupWorker>());
        return builder;
    }
}

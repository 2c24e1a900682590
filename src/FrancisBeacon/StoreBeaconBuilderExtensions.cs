using FrancisBeacon;
using FrancisBeacon.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the hit store on an <see cref="IBeaconBuilder"/>. Exactly one store may be chosen.</summary>
public static class StoreBeaconBuilderExtensions
{
    /// <summary>Keeps hits in memory (<see cref="InMemoryHitStore"/>): for tests and demos; data is lost on restart.</summary>
    public static IBeaconBuilder UseInMemory(this IBeaconBuilder builder) =>
        builder.UseStore(_ => new InMemoryHitStore());

    /// <summary>Uses a store type resolved from the container as a singleton.</summary>
    public static IBeaconBuilder UseStore<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] TStore>(this IBeaconBuilder builder)
        where TStore : class, IHitStore
    {
        ArgumentNullException.ThrowIfNull(builder);
        EnsureNoStore(builder.Services);
        builder.Services.TryAddSingleton<TStore>();
        builder.Services.AddSingleton<IHitStore>(sp => sp.GetRequiredService<TStore>());
        return builder;
    }

    /// <summary>Uses a store made by a factory, once, as a singleton.</summary>
    public static IBeaconBuilder UseStore(this IBeaconBuilder builder, Func<IServiceProvider, IHitStore> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        EnsureNoStore(builder.Services);
        builder.Services.AddSingleton(factory);
        return builder;
    }

    /// <summary>
    /// Registers the hosted service that migrates or validates a store's schema at start-up (for stores that
    /// implement <see cref="IHitStoreSchema"/>). Store packages call this after registering their store.
    /// </summary>
    public static IBeaconBuilder AddSchemaInitializer(this IBeaconBuilder builder, Func<IServiceProvider, SchemaMode> mode)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(mode);
        // First among the hosted services: the schema must be ready before anything else (salts, writer) uses it.
        builder.Services.Insert(0, ServiceDescriptor.Singleton<Hosting.IHostedService>(sp => new HitStoreSchemaInitializer(
            sp.GetRequiredService<IHitStore>(),
            mode(sp),
            sp.GetRequiredService<Logging.ILogger<HitStoreSchemaInitializer>>())));
        return builder;
    }

    private static void EnsureNoStore(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(IHitStore)))
        {
            throw new InvalidOperationException(
                "An IHitStore is already registered. Call exactly one of UseSqlite, UsePostgreSql, UseInMemory or UseStore on AddBeacon().");
        }
    }
}

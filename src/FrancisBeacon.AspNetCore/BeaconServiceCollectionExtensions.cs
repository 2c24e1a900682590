using FrancisBeacon;
using FrancisBeacon.AspNetCore;
using FrancisBeacon.Enrichment;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers FrancisBeacon: <c>services.AddBeacon(...).UseSqlite(...)</c>.</summary>
public static class BeaconServiceCollectionExtensions
{
    /// <summary>Registers the beacon pipeline with default options. Choose a store on the returned builder.</summary>
    public static IBeaconBuilder AddBeacon(this IServiceCollection services) => services.AddBeacon(static _ => { });

    /// <summary>Registers the beacon pipeline. Choose a store on the returned builder.</summary>
    public static IBeaconBuilder AddBeacon(this IServiceCollection services, Action<BeaconOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<BeaconOptions>().Configure(configure).ValidateOnStart();
        return AddCore(services);
    }

    /// <summary>Registers the beacon pipeline with options bound from a configuration section (e.g. <c>FrancisBeacon</c>).</summary>
    public static IBeaconBuilder AddBeacon(this IServiceCollection services, IConfigurationSection configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<BeaconOptions>().Bind(configuration).ValidateOnStart();
        return AddCore(services);
    }

    private static BeaconBuilder AddCore(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(BeaconMarkerService)))
        {
            throw new InvalidOperationException("AddBeacon was called twice; configure everything in one call.");
        }

        services.AddSingleton<BeaconMarkerService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BeaconOptions>, BeaconOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<BeaconMetrics>();
        services.TryAddSingleton<HitSpool>();
        services.TryAddSingleton<BeaconQueryMetrics>();
        services.TryAddSingleton<QueryConcurrencyGate>();
        services.TryAddSingleton<HitQueue>();
        services.TryAddSingleton<SiteResolver>();
        services.TryAddSingleton<VisitorIdHasher>();
        services.TryAddSingleton<HitFactory>();
        services.TryAddSingleton<BeaconRateLimiter>();
        services.TryAddSingleton<IBeaconDataEraser, BeaconDataEraser>();
        services.TryAddSingleton<FrancisBeacon.Storage.HitPurgeRegistry>();
        services.TryAddSingleton<HitPipeline>();
        services.TryAddSingleton<BotLog>();
        services.AddSingleton<IHitEnricher, BotEnricher>();
        services.AddSingleton<IHitEnricher, ReferrerEnricher>();
        services.AddSingleton<IHitEnricher, UserAgentEnricher>();
        services.AddSingleton<IHitEnricher, GeoEnricher>();
        services.AddSingleton<IHitEnricher, VisitorIdEnricher>();
        services.AddHostedService<VisitorSaltRotator>();
        services.AddSingleton<RetentionService>();
        services.AddHostedService(sp => sp.GetRequiredService<RetentionService>());
        services.TryAddSingleton<ServerSideTracker>();
        services.AddHttpContextAccessor();
        services.TryAddSingleton<IBeaconTracker, BeaconTracker>();
        services.AddSingleton<HitWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<HitWriter>());
        // After the writer, so that it stops first: the erasures of DELETE {api}/hits end before the final drain.
        services.AddSingleton<ErasureRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<ErasureRunner>());
        services.TryAddSingleton<ImportGate>();
        return new BeaconBuilder(services);
    }
}

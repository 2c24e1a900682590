using FrancisBeacon;
using FrancisBeacon.Enrichment;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds steps to the hit pipeline.</summary>
public static class EnricherBeaconBuilderExtensions
{
    /// <summary>Adds a pipeline step, resolved from the container as a singleton. See <see cref="IHitEnricher"/>.</summary>
    public static IBeaconBuilder AddEnricher<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] TEnricher>(this IBeaconBuilder builder)
        where TEnricher : class, IHitEnricher
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IHitEnricher, TEnricher>();
        return builder;
    }

    /// <summary>Adds a pipeline step instance.</summary>
    public static IBeaconBuilder AddEnricher(this IBeaconBuilder builder, IHitEnricher enricher)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(enricher);
        builder.Services.AddSingleton(enricher);
        return builder;
    }
}

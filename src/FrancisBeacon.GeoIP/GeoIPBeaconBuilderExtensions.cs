using FrancisBeacon;
using FrancisBeacon.Enrichment;
using FrancisBeacon.GeoIP;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds country, region and city lookup from a MaxMind-format database on <c>AddBeacon()</c>.</summary>
public static class GeoIPBeaconBuilderExtensions
{
    /// <summary>
    /// Locates hits with the MaxMind-format database at <paramref name="databasePath"/> (GeoLite2 or GeoIP2 City or
    /// Country, or DB-IP Lite in MMDB format). The file is checked when the host starts.
    /// </summary>
    /// <param name="builder">The beacon builder returned by <c>AddBeacon</c>.</param>
    /// <param name="databasePath">The path of the <c>.mmdb</c> file.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="InvalidOperationException">An <see cref="IGeoLocator"/> is already registered.</exception>
    public static IBeaconBuilder AddGeoIP(this IBeaconBuilder builder, string databasePath)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        return builder.AddGeoIP(o => o.DatabasePath = databasePath);
    }

    /// <summary>
    /// Locates hits with a MaxMind-format database configured by <paramref name="configure"/>. Registers
    /// <see cref="IGeoLocator"/> as a singleton <see cref="MaxMindGeoLocator"/>, and a hosted service that reloads
    /// the file when it is replaced (every <see cref="GeoIPOptions.ReloadCheckInterval"/>). The options are
    /// validated when the host starts, which fails with every problem listed.
    /// </summary>
    /// <param name="builder">The beacon builder returned by <c>AddBeacon</c>.</param>
    /// <param name="configure">Sets <see cref="GeoIPOptions.DatabasePath"/>. Runs after any configuration binding
    /// registered earlier with <c>AddOptions&lt;GeoIPOptions&gt;()</c>.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="InvalidOperationException">An <see cref="IGeoLocator"/> is already registered.</exception>
    public static IBeaconBuilder AddGeoIP(this IBeaconBuilder builder, Action<GeoIPOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(IGeoLocator)))
        {
            throw new InvalidOperationException(
                "An IGeoLocator is already registered. Call AddGeoIP once, or register your own IGeoLocator instead of it.");
        }

        services.AddOptions<GeoIPOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GeoIPOptions>, GeoIPOptionsValidator>());
        services.AddSingleton<IGeoLocator>(sp => new MaxMindGeoLocator(
            sp.GetRequiredService<IOptions<GeoIPOptions>>().Value.DatabasePath,
            sp.GetService<ILogger<MaxMindGeoLocator>>() ?? NullLogger<MaxMindGeoLocator>.Instance));
        services.AddHostedService<GeoIPDatabaseReloader>();
        return builder;
    }
}

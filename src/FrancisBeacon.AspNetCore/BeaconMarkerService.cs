namespace FrancisBeacon.AspNetCore;

/// <summary>Registered by AddBeacon so that UseBeacon and Map* can tell it was called.</summary>
internal sealed class BeaconMarkerService;

internal sealed class BeaconBuilder(Microsoft.Extensions.DependencyInjection.IServiceCollection services) : IBeaconBuilder
{
    public Microsoft.Extensions.DependencyInjection.IServiceCollection Services { get; } = services;
}

internal static class BeaconServiceChecks
{
    public const string MissingAddBeacon =
        "Unable to find the required services. Please add all the required services by calling 'IServiceCollection.AddBeacon' in the application startup code.";

    public const string MissingStore =
        "No IHitStore registered; call UseSqlite, UsePostgreSql or UseInMemory on AddBeacon().";

    public static void EnsureServices(IServiceProvider services)
    {
        if (services.GetService(typeof(BeaconMarkerService)) is null)
        {
            throw new InvalidOperationException(MissingAddBeacon);
        }

        var isService = (Microsoft.Extensions.DependencyInjection.IServiceProviderIsService?)services.GetService(
            typeof(Microsoft.Extensions.DependencyInjection.IServiceProviderIsService));
        if (isService is not null && !isService.IsService(typeof(Storage.IHitStore)))
        {
            throw new InvalidOperationException(MissingStore);
        }
    }
}

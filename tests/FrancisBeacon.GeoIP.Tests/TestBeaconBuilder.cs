using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.GeoIP.Tests;

/// <summary>What <c>AddBeacon</c> returns, without the web pipeline: GeoIP needs only the service collection.</summary>
internal sealed class TestBeaconBuilder(IServiceCollection services) : IBeaconBuilder
{
    public IServiceCollection Services { get; } = services;
}

using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon;

/// <summary>Returned by <c>AddBeacon</c>: chooses the store (<c>UseSqlite</c>, <c>UsePostgreSql</c>, <c>UseInMemory</c>, <c>UseStore</c>).</summary>
public interface IBeaconBuilder
{
    /// <summary>The service collection the beacon is registered in.</summary>
    IServiceCollection Services { get; }
}

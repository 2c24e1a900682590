using System.Net;

namespace FrancisBeacon.Enrichment;

/// <summary>
/// Finds where a client address is: country, region and city. The ingestion pipeline calls it once per hit, with
/// the client address it has already resolved (forwarded headers applied), and copies the answer onto
/// <see cref="Hit.Country"/>, <see cref="Hit.Region"/> and <see cref="Hit.City"/>.
/// </summary>
/// <remarks>
/// <para>Implementations must:</para>
/// <list type="bullet">
/// <item><description>be thread-safe: they are registered as singletons and called from many requests at once;</description></item>
/// <item><description>never throw for an address they cannot place, whether private, loopback, unspecified,
/// malformed in their database or simply unknown: they return <see langword="null"/>, so that geography can never
/// take tracking down;</description></item>
/// <item><description>never log, store, cache or otherwise keep the address: it is used in memory for the lookup
/// and then dropped. Only the returned <see cref="GeoLocation"/> is stored.</description></item>
/// </list>
/// <para>They should answer quickly and synchronously (an in-process database lookup, not a network call), since
/// they run on the request thread.</para>
/// </remarks>
public interface IGeoLocator
{
    /// <summary>Locates <paramref name="address"/>.</summary>
    /// <param name="address">The client address, IPv4 or IPv6 (IPv4-mapped IPv6 addresses included).</param>
    /// <returns>The location, or <see langword="null"/> when the address cannot be placed.</returns>
    GeoLocation? Locate(IPAddress address);
}

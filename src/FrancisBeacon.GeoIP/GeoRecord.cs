using MaxMind.Db;

namespace FrancisBeacon.GeoIP;

/// <summary>
/// The parts of a database record the locator reads; every other key (names in other languages, location,
/// postal code, ...) is skipped without being decoded.
/// </summary>
/// <remarks>
/// Two record shapes are understood: the GeoIP2 one (GeoLite2, GeoIP2, DB-IP), with <c>country.iso_code</c>,
/// <c>subdivisions[].iso_code</c> and <c>city.names.en</c>, and the flat one of some redistributed copies, with
/// <c>country_code</c> and <c>city</c> as plain strings. <see cref="City"/> is therefore either a map or a string.
/// </remarks>
internal sealed class GeoRecord
{
    [MapKey("country")]
    public GeoRecordPlace? Country { get; init; }

    [MapKey("subdivisions")]
    public List<GeoRecordPlace>? Subdivisions { get; init; }

    [MapKey("city")]
    public object? City { get; init; }

    [MapKey("country_code")]
    public string? CountryCode { get; init; }
}

/// <summary>A country or subdivision of a GeoIP2-shaped record: only its ISO code is read.</summary>
internal sealed class GeoRecordPlace
{
    [MapKey("iso_code")]
    public string? IsoCode { get; init; }
}

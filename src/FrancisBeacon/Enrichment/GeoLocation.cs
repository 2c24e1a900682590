namespace FrancisBeacon.Enrichment;

/// <summary>Where a client is, as far as an <see cref="IGeoLocator"/> can tell. Any part may be unknown.</summary>
/// <param name="Country">The ISO 3166-1 alpha-2 country code in upper case, for example <c>DE</c>.</param>
/// <param name="Region">
/// The ISO 3166-2 code of the first-level subdivision, country code included, for example <c>DE-BY</c>.
/// </param>
/// <param name="City">The city name, in English where the source has several languages, for example <c>Munich</c>.</param>
public sealed record GeoLocation(string? Country, string? Region, string? City);

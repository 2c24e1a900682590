namespace FrancisBeacon.GeoIP;

/// <summary>
/// Options of <see cref="MaxMindGeoLocator"/> as registered by <c>AddGeoIP</c>. Bindable from configuration
/// (section shape in <c>docs/geoip.md</c>); checked at host start.
/// </summary>
public sealed class GeoIPOptions
{
    /// <summary>
    /// The path of a MaxMind-format database file (<c>.mmdb</c>) with country or city data: GeoLite2 or GeoIP2
    /// City or Country, or DB-IP's City or Country Lite in MMDB format. A relative path is resolved against the
    /// current directory. Required; the file must exist and open as a MaxMind DB when the host starts.
    /// </summary>
    public string DatabasePath { get; set; } = string.Empty;

    /// <summary>
    /// How often the file at <see cref="DatabasePath"/> is checked for a new version (a changed size or
    /// modification time). A new version that opens as a MaxMind DB replaces the old one without a restart;
    /// lookups in flight finish on the old one. <see cref="TimeSpan.Zero"/> turns this off, so that the file
    /// opened at start is used until the app stops. Default: 10 minutes.
    /// </summary>
    public TimeSpan ReloadCheckInterval { get; set; } = TimeSpan.FromMinutes(10);
}

using Microsoft.Extensions.Options;

namespace FrancisBeacon.GeoIP;

/// <summary>
/// Checks <see cref="GeoIPOptions"/> at host start: the path is set, the file exists and opens as a MaxMind DB with
/// location data, and the reload interval is not negative. Lists every problem found.
/// </summary>
internal sealed class GeoIPOptionsValidator : IValidateOptions<GeoIPOptions>
{
    // Database types (metadata "database_type") of MaxMind's and DB-IP's products that hold no location.
    private static readonly string[] NonLocationTypes = ["ASN", "ISP", "Connection-Type", "Anonymous", "Domain"];

    public ValidateOptionsResult Validate(string? name, GeoIPOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        CheckPath(options.DatabasePath, errors);
        if (options.ReloadCheckInterval < TimeSpan.Zero)
        {
            errors.Add($"GeoIPOptions.ReloadCheckInterval must be zero (no reloading) or positive (was {options.ReloadCheckInterval}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckPath(string? path, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            errors.Add("GeoIPOptions.DatabasePath is required: the path of a MaxMind-format database such as GeoLite2-City.mmdb (see docs/geoip.md).");
            return;
        }

        string fullPath;
        try
        {
            fullPath = Path.GetFullPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            errors.Add($"GeoIPOptions.DatabasePath '{path}' is not a valid path: {ex.Message}");
            return;
        }

        if (Directory.Exists(fullPath))
        {
            errors.Add($"GeoIPOptions.DatabasePath '{path}' is a directory ('{fullPath}'); it must name the .mmdb file itself.");
        }
        else if (!File.Exists(fullPath))
        {
            errors.Add($"GeoIPOptions.DatabasePath '{path}' does not exist (looked for '{fullPath}').");
        }
        else
        {
            CheckDatabase(path, fullPath, errors);
        }
    }

    private static void CheckDatabase(string path, string fullPath, List<string> errors)
    {
        try
        {
            using var reader = MaxMindGeoLocator.OpenReader(fullPath);
            var type = reader.Metadata.DatabaseType ?? string.Empty;
            foreach (var nonLocation in NonLocationTypes)
            {
                if (type.Contains(nonLocation, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"GeoIPOptions.DatabasePath '{path}' is a '{type}' database, which holds no country or city; use a City or Country database.");
                    break;
                }
            }
        }
#pragma warning disable CA1031 // Whatever the reader throws, the message must name the file and the cause.
        catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            errors.Add($"GeoIPOptions.DatabasePath '{path}' ('{fullPath}') cannot be opened as a MaxMind DB (.mmdb) file: {ex.Message}");
        }
    }
}

namespace FrancisBeacon.GeoIP.Tests;

/// <summary>
/// Finds the MaxMind test databases in <c>shared/data/geoip</c>, beside the repository (the folder holding
/// <c>FrancisBeacon.sln</c>). They are never copied into the repository.
/// </summary>
internal static class GeoIPTestData
{
    private static readonly Lazy<string> Folder = new(FindFolder);

    /// <summary>GeoLite2 City test database: country, subdivisions and city.</summary>
    public static string City => File("GeoLite2-City-Test.mmdb");

    /// <summary>GeoLite2 Country test database: country only.</summary>
    public static string Country => File("GeoLite2-Country-Test.mmdb");

    /// <summary>A City database whose doubles are deliberately corrupt.</summary>
    public static string BrokenDoubleFormat => File("GeoIP2-City-Test-Broken-Double-Format.mmdb");

    /// <summary>The JSON the City database was written from: a file that is not a MaxMind DB.</summary>
    public static string CitySourceJson => File("GeoLite2-City-Test.json");

    private static string File(string name)
    {
        var path = Path.Combine(Folder.Value, name);
        if (!System.IO.File.Exists(path))
        {
            throw new InvalidOperationException($"The GeoIP test database '{path}' is missing from {Folder.Value}.");
        }

        return path;
    }

    private static string FindFolder()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !System.IO.File.Exists(Path.Combine(directory.FullName, "FrancisBeacon.sln")))
        {
            directory = directory.Parent;
        }

        if (directory is null)
        {
            throw new InvalidOperationException(
                $"Cannot find the repository root (the folder holding FrancisBeacon.sln) above '{AppContext.BaseDirectory}'; " +
                "the GeoIP tests read their databases from shared/data/geoip beside it.");
        }

        var folder = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "data", "geoip"));
        if (!Directory.Exists(folder))
        {
            throw new InvalidOperationException(
                $"The GeoIP test databases are missing: expected the folder '{folder}' (shared/data/geoip beside the " +
                $"repository root '{directory.FullName}'). CI always provides it; locally, put a copy of the project's " +
                "shared/ folder next to the repository.");
        }

        return folder;
    }
}

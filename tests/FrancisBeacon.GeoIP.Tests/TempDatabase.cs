namespace FrancisBeacon.GeoIP.Tests;

/// <summary>A database file written by <see cref="MmdbWriter"/> into a fresh temporary folder, deleted at dispose.</summary>
internal sealed class TempDatabase : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("francisbeacon-geoip-").FullName;

    public TempDatabase(MmdbWriter writer)
    {
        Path = System.IO.Path.Combine(_folder, "test.mmdb");
        writer.WriteTo(Path);
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

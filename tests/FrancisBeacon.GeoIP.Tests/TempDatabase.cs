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

    /// <summary>Replaces the file atomically, as <c>geoipupdate</c> does: writes a sibling, then renames it over.</summary>
    public void Replace(MmdbWriter writer) => Replace(writer.WriteTo);

    /// <summary>Replaces the file atomically with whatever <paramref name="write"/> puts in a sibling file.</summary>
    public void Replace(Action<string> write)
    {
        var next = System.IO.Path.Combine(_folder, $"next-{Guid.NewGuid():N}.mmdb");
        write(next);
        File.SetLastWriteTimeUtc(next, File.GetLastWriteTimeUtc(Path).AddMinutes(1));
        File.Move(next, Path, overwrite: true);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}

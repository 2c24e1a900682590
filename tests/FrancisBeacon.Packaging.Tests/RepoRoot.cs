namespace FrancisBeacon.Packaging.Tests;

internal static class RepoRoot
{
    /// <summary>The repository root: the nearest directory above the test binaries that holds FrancisBeacon.sln.</summary>
    public static string Path { get; } = Find();

    private static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "FrancisBeacon.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("FrancisBeacon.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Every src/ project's name, from the file system (a new package is covered without editing a test).</summary>
    public static IReadOnlyList<string> SourceProjects { get; } =
        Directory.GetDirectories(System.IO.Path.Combine(Path, "src"))
            .Where(d => File.Exists(System.IO.Path.Combine(d, System.IO.Path.GetFileName(d) + ".csproj")))
            .Select(System.IO.Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();
}

using System.Diagnostics;
using System.Xml.Linq;

namespace FrancisBeacon.Packaging.Tests;

/// <summary>
/// Packs every src/ project once (no build: the test project's references built them) into a temporary folder, with
/// one MSBuild invocation, and deletes the folder afterwards.
/// </summary>
public sealed class PackedPackages : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "francisbeacon-pack-" + Guid.NewGuid().ToString("N"));

    public string Directory => _directory;

    public string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The family's lockstep version, <c>VersionPrefix</c> in the root Directory.Build.props.</summary>
    public string Version { get; } =
        XDocument.Load(Path.Combine(RepoRoot.Path, "Directory.Build.props")).Descendants("VersionPrefix").Single().Value;

    /// <summary>The git remote <c>origin</c> of the repository, when it has one.</summary>
    public string? RemoteUrl { get; private set; }

    public async ValueTask InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(_directory);
        var remote = await RunAsync("git", ["-C", RepoRoot.Path, "remote", "get-url", "origin"], throwOnError: false);
        RemoteUrl = remote.ExitCode == 0 ? remote.Output.Trim() : null;

        var traversal = new XDocument(new XElement("Project",
            new XElement("ItemGroup", RepoRoot.SourceProjects.Select(p =>
                new XElement("PackProject", new XAttribute("Include", Path.Combine(RepoRoot.Path, "src", p, p + ".csproj"))))),
            new XElement("Target", new XAttribute("Name", "PackAll"),
                new XElement("MSBuild",
                    new XAttribute("Projects", "@(PackProject)"),
                    new XAttribute("Targets", "Pack"),
                    new XAttribute("Properties", $"NoBuild=true;Configuration={Configuration};PackageOutputPath={_directory}")))));
        var proj = Path.Combine(_directory, "pack.proj");
        traversal.Save(proj);

        await RunAsync("dotnet", ["msbuild", proj, "-t:PackAll", "-nologo", "-v:m", "-nodeReuse:false"], throwOnError: true);
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string fileName, string[] arguments, bool throwOnError)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var arg in arguments)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start " + fileName);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0 && throwOnError)
        {
            throw new InvalidOperationException($"{fileName} failed ({process.ExitCode}):\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout);
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }
}

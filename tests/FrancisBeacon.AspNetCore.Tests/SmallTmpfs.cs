using System.Diagnostics;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// A tmpfs of a few kilobytes mounted on a fresh directory, for tests of a full or read-only disk. Mounting needs
/// Linux and root: elsewhere the test is skipped (with this reason), never passed; with CI=true (.ci/run runs as root
/// on Linux) it fails instead, so that a green CI never hides it.
/// </summary>
internal sealed class SmallTmpfs : IDisposable
{
    private SmallTmpfs(string directory) => Directory = directory;

    public string Directory { get; }

    private string FillerPath => Path.Combine(Directory, "filler");

    public static SmallTmpfs Mount(int bytes, bool readOnly = false)
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            const string reason = "Needs Linux and root to mount a small tmpfs (a full or read-only disk).";
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "CI=true but the test cannot run: " + reason);
            Assert.Skip(reason);
        }

        var directory = Path.Combine(Path.GetTempPath(), "francisbeacon-tests", $"tmpfs-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        Run("mount", "-t", "tmpfs", "-o", $"size={bytes}{(readOnly ? ",ro" : string.Empty)}", "tmpfs", directory);
        return new SmallTmpfs(directory);
    }

    /// <summary>Takes every free byte: later writes fail with ENOSPC (creating an empty file still works).</summary>
    public void Fill()
    {
        using var filler = File.OpenHandle(FillerPath, FileMode.CreateNew, FileAccess.Write);
        var block = new byte[4096];
        long offset = 0;
        try
        {
            while (true)
            {
                RandomAccess.Write(filler, block, offset);
                offset += block.Length;
            }
        }
        catch (IOException)
        {
            // full
        }
    }

    public void Free() => File.Delete(FillerPath);

    public void Dispose()
    {
        Run("umount", "-l", Directory); // lazy: a handle the code under test leaked must not fail the clean-up
        System.IO.Directory.Delete(Directory, recursive: true);
    }

    private static void Run(string file, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', arguments)}: {error}");
    }
}

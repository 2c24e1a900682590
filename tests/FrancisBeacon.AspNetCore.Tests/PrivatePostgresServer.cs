using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// A PostgreSQL cluster of the test's own (initdb into a temp directory, like tests/postgres.sh), which the test may
/// stop and start to play an outage without disturbing the server other tests share. Skips when no server binaries
/// are installed, and fails instead when <c>CI=true</c>.
/// </summary>
internal sealed class PrivatePostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _home;
    private readonly int _port;

    private PrivatePostgresServer(string bin, string home, int port)
    {
        _bin = bin;
        _home = home;
        _port = port;
    }

    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres;Timeout=5;Include Error Detail=true";

    public static async Task<PrivatePostgresServer> CreateAsync(CancellationToken cancellationToken)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v : -1))
                .Where(d => d.Version > 0 && File.Exists(Path.Combine(d.Dir, "pg_ctl")) && File.Exists(Path.Combine(d.Dir, "initdb")))
                .OrderByDescending(d => d.Version)
                .Select(d => d.Dir)
                .FirstOrDefault()
            : null;
        if (bin is null)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail("No PostgreSQL server binaries in /usr/lib/postgresql/*/bin, and CI=true: the outage test must run in CI.");
            }

            Assert.Skip("No PostgreSQL server binaries in /usr/lib/postgresql/*/bin; install postgresql to run the outage test.");
        }

        var home = Path.Combine(Path.GetTempPath(), $"francisbeacon-pg-outage-{Guid.NewGuid():N}");
        Directory.CreateDirectory(home);
        if (IsRoot)
        {
            await RunAsync("chown", ["postgres:", home], asOwner: false, cancellationToken);
        }

        var server = new PrivatePostgresServer(bin, home, FreePort());
        await RunAsync(Path.Combine(bin, "initdb"), ["-D", Path.Combine(home, "data"), "-U", "postgres", "-A", "trust", "--encoding=UTF8", "--no-locale", "--no-sync"], asOwner: true, cancellationToken);
        await server.StartAsync(cancellationToken);
        return server;
    }

    /// <summary>Starts (or restarts) the server and waits until it accepts connections.</summary>
    public Task StartAsync(CancellationToken cancellationToken) => RunAsync(
        Path.Combine(_bin, "pg_ctl"),
        ["-D", Path.Combine(_home, "data"), "-l", Path.Combine(_home, "server.log"), "-w", "-t", "60",
         "-o", $"-k {_home} -p {_port} -h 127.0.0.1 -c fsync=off -c synchronous_commit=off", "start"],
        asOwner: true,
        cancellationToken);

    /// <summary>Stops the server the way an administrator or a failover does: fast shutdown, connections cut.</summary>
    public Task StopAsync(CancellationToken cancellationToken) =>
        RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_home, "data"), "-m", "fast", "-w", "-t", "60", "stop"], asOwner: true, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_home, "data"), "-m", "immediate", "-w", "stop"], asOwner: true, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_home, recursive: true);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string[] args, bool asOwner, CancellationToken cancellationToken)
    {
        // PostgreSQL refuses to run as root: run its tools as the postgres user then, as tests/postgres.sh does.
        var info = asOwner && IsRoot ? new ProcessStartInfo("runuser") { ArgumentList = { "-u", "postgres", "--", file } } : new ProcessStartInfo(file);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({process.ExitCode}): {await output}{await error}");
        }
    }
}

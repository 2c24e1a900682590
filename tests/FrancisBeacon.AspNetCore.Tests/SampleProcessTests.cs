using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using FrancisBeacon.Sqlite;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>Starts the real sample as its own process: the path a user takes, signals and all.</summary>
public sealed partial class SampleProcessTests
{
    private const int SigTerm = 15;

    [Fact]
    public async Task Sample_BurstThenGracefulStop_LosesNoHit()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = BeaconTestHost.NewDatabasePath();
        using var process = StartSample(database, "--FrancisBeacon:FlushInterval=00:00:30");
        try
        {
            var baseUrl = await WaitForAddressAsync(process, ct);
            using var client = new HttpClient { BaseAddress = new Uri(baseUrl) };
            for (var i = 0; i < 300; i++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif");
                request.Headers.Referrer = new Uri(i % 3 == 0 ? "http://localhost/page_a" : "http://localhost/page_b");
                using var response = await client.SendAsync(request, ct);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            // The flush interval is 30 s, so everything is still queued: only the shutdown drain can write it.
            Assert.Equal(0, kill(process.Id, SigTerm));
            await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
            Assert.Equal(0, process.ExitCode);

            var store = new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = BeaconTestHost.ConnectionString(database) });
            var hits = await BeaconTestHost.ReadAllAsync(store);
            Assert.Equal(300, hits.Count);
            Assert.Equal(100, hits.Count(h => h.Path == "/page_a"));
            Assert.All(hits, h => Assert.Equal("localhost", h.SiteId));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Sample_HitsThroughPixel_AppearInStats()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = BeaconTestHost.NewDatabasePath();
        using var process = StartSample(database);
        try
        {
            var baseUrl = await WaitForAddressAsync(process, ct);
            using var client = new HttpClient { BaseAddress = new Uri(baseUrl) };
            for (var i = 0; i < 200; i++)
            {
                foreach (var page in new[] { "http://localhost/page_a", "http://localhost/page_b" })
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif");
                    request.Headers.Referrer = new Uri(page);
                    using var response = await client.SendAsync(request, ct);
                }
            }

            // Answers may lag new hits by the store's MaxRollupLag (10 s by default; docs/storage.md): polled, with room
            // for a slow machine, until both pages show every hit.
            Dictionary<string, long> pages = [];
            for (var attempt = 0; attempt < 120 && !(pages.GetValueOrDefault("/page_a") == 200 && pages.GetValueOrDefault("/page_b") == 200); attempt++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
                var json = await client.GetStringAsync("/beacon/api/stats?site_id=localhost&period=day", ct);
                using var doc = System.Text.Json.JsonDocument.Parse(json);
                pages = doc.RootElement.GetProperty("pages").EnumerateArray()
                    .ToDictionary(p => p.GetProperty("page").GetString()!, p => p.GetProperty("pageviews").GetInt64());
            }

            Assert.Equal(200, pages.GetValueOrDefault("/page_a"));
            Assert.Equal(200, pages.GetValueOrDefault("/page_b"));
        }
        finally
        {
            if (!process.HasExited)
            {
                kill(process.Id, SigTerm);
                if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
    }

    [Fact]
    public async Task Sample_TwoInstancesStartedTogetherOnOneFreshPostgreSqlDatabase_OneSchemaBothRecord()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = PostgreSqlServerOrSkip();
        var schema = "beacon_t_" + Guid.NewGuid().ToString("N");
        string[] args = [$"--ConnectionStrings:BeaconPostgreSql={server}", $"--FrancisBeacon:PostgreSql:Schema={schema}"];
        using var first = StartSample(BeaconTestHost.NewDatabasePath(), args);
        using var second = StartSample(BeaconTestHost.NewDatabasePath(), args);
        try
        {
            var urls = await Task.WhenAll(WaitForAddressAsync(first, ct), WaitForAddressAsync(second, ct));
            for (var i = 0; i < urls.Length; i++)
            {
                using var client = new HttpClient { BaseAddress = new Uri(urls[i]) };
                for (var n = 0; n < 25; n++)
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif");
                    request.Headers.Referrer = new Uri($"http://localhost/instance_{i}");
                    using var response = await client.SendAsync(request, ct);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }
            }

            foreach (var process in new[] { first, second })
            {
                Assert.Equal(0, kill(process.Id, SigTerm));
                await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
                Assert.Equal(0, process.ExitCode);
            }

            await using var store = new FrancisBeacon.PostgreSql.PostgreSqlHitStore(new FrancisBeacon.PostgreSql.PostgreSqlHitStoreOptions { ConnectionString = server, Schema = schema });
            Assert.Equal(store.LatestVersion, await store.GetVersionAsync(ct));
            var hits = await BeaconTestHost.ReadAllAsync(store);
            Assert.Equal(25, hits.Count(h => h.Path == "/instance_0"));
            Assert.Equal(25, hits.Count(h => h.Path == "/instance_1"));
        }
        finally
        {
            foreach (var process in new[] { first, second })
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }

            await DropSchemaAsync(server, schema);
        }
    }

    /// <summary>The test server's connection string; a skip without one, a failure when <c>CI=true</c>.</summary>
    private static string PostgreSqlServerOrSkip()
    {
        var server = Environment.GetEnvironmentVariable("FRANCISBEACON_TEST_POSTGRES");
        if (string.IsNullOrEmpty(server))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail("FRANCISBEACON_TEST_POSTGRES is not set, and CI=true: PostgreSQL tests must run in CI (tests/run.sh starts a server).");
            }

            Assert.Skip("FRANCISBEACON_TEST_POSTGRES is not set and no PostgreSQL server could be started; run tests/run.sh.");
        }

        return server;
    }

    private static async Task DropSchemaAsync(string server, string schema)
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(server);
        await using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE");
        await drop.ExecuteNonQueryAsync(CancellationToken.None);
    }

    private static Process StartSample(string database, params string[] extraArgs)
    {
        var root = RepositoryRoot();
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var sampleDir = Path.Combine(root, "samples", "FrancisBeacon.Sample");
        var dll = Path.Combine(sampleDir, "bin", configuration, "net10.0", "FrancisBeacon.Sample.dll");
        Assert.True(File.Exists(dll), $"The sample is not built at {dll}; build the solution first.");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = sampleDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls=http://127.0.0.1:0");
        info.ArgumentList.Add($"--ConnectionStrings:Beacon=Data Source={database};Pooling=False");
        foreach (var arg in extraArgs)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        // Like a developer trying the sample with curl or a script: count every request (appsettings.Development.json
        // does the same when the sample runs with `dotnet run`).
        info.ArgumentList.Add("--FrancisBeacon:IncludeBots=true");
        return Process.Start(info) ?? throw new InvalidOperationException("Could not start the sample.");
    }

    private static async Task<string> WaitForAddressAsync(Process process, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            var match = SiteLine().Match(line);
            if (match.Success)
            {
                // Keep draining stdout so the child never blocks on a full pipe.
                _ = Task.Run(async () =>
                {
                    while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is not null)
                    {
                    }
                }, CancellationToken.None);
                return match.Groups[1].Value;
            }
        }

        throw new InvalidOperationException($"The sample exited (code {(process.HasExited ? process.ExitCode : -1)}) before printing its address.");
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "FrancisBeacon.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("FrancisBeacon.sln not found above the test directory.");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [GeneratedRegex(@"^Sample site:\s+(http://[^/\s]+)/?$")]
    private static partial Regex SiteLine();
}

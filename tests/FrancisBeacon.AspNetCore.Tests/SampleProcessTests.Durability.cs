using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using FrancisBeacon.Sqlite;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>The real sample under a flood of concurrent hits, stopped gracefully or killed hard.</summary>
public sealed partial class SampleProcessTests
{
    private const int SigKill = 9;

    [Fact]
    public async Task Sample_ConcurrentFloodThenSigterm_StoresEveryAcknowledgedHit()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = BeaconTestHost.NewDatabasePath();
        using var process = StartSample(database);
        try
        {
            var baseUrl = await WaitForAddressAsync(process, ct);
            // SIGTERM in the middle of the flood: requests still in flight are answered or refused, never half-stored.
            var flood = await FloodUntilAsync(baseUrl, "t", acknowledged: 1_500, () => kill(process.Id, SigTerm), ct);
            await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
            Assert.Equal(0, process.ExitCode);

            var paths = await StoredPathsAsync(database);
            Assert.Empty(flood.Acknowledged.Except(paths));
            Assert.InRange(paths.Count, flood.Acknowledged.Count, flood.Sent);
            Assert.Equal("ok", await IntegrityCheckAsync(database));
        }
        finally
        {
            KillIfRunning(process);
        }
    }

    [Fact]
    public async Task Sample_ConcurrentFloodThenSigtermOnPostgreSql_StoresEveryAcknowledgedHit()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = PostgreSqlServerOrSkip();
        var schema = "beacon_t_" + Guid.NewGuid().ToString("N");
        using var process = StartSample(BeaconTestHost.NewDatabasePath(), $"--ConnectionStrings:BeaconPostgreSql={server}", $"--FrancisBeacon:PostgreSql:Schema={schema}");
        try
        {
            var baseUrl = await WaitForAddressAsync(process, ct);
            var flood = await FloodUntilAsync(baseUrl, "p", acknowledged: 1_500, () => kill(process.Id, SigTerm), ct);
            await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
            Assert.Equal(0, process.ExitCode);

            await using var store = new FrancisBeacon.PostgreSql.PostgreSqlHitStore(new FrancisBeacon.PostgreSql.PostgreSqlHitStoreOptions { ConnectionString = server, Schema = schema });
            var paths = await StoredPathsAsync(store);
            Assert.Empty(flood.Acknowledged.Except(paths));
            Assert.InRange(paths.Count, flood.Acknowledged.Count, flood.Sent);
        }
        finally
        {
            KillIfRunning(process);
            await DropSchemaAsync(server, schema);
        }
    }

    [Fact]
    public async Task Sample_DurableModeHardKilledTwiceDuringWrites_KeepsEveryAcknowledgedHitAndSqliteIntact()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = BeaconTestHost.NewDatabasePath();
        var spool = Path.Combine(Path.GetDirectoryName(database)!, "spool-" + Path.GetFileNameWithoutExtension(database));
        var acknowledged = new HashSet<string>(StringComparer.Ordinal);
        var sent = 0;
        for (var round = 0; round < 2; round++)
        {
            // A short flush interval keeps SQLite busy writing when the kill lands.
            using var process = StartSample(database, $"--FrancisBeacon:Spool:Directory={spool}", "--FrancisBeacon:FlushInterval=00:00:00.100");
            try
            {
                var baseUrl = await WaitForAddressAsync(process, ct);
                var flood = await FloodUntilAsync(baseUrl, $"k{round}", acknowledged: 1_500, () => kill(process.Id, SigKill), ct);
                await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
                acknowledged.UnionWith(flood.Acknowledged);
                sent += flood.Sent;
            }
            finally
            {
                KillIfRunning(process);
            }
        }

        Assert.Equal("ok", await IntegrityCheckAsync(database));
        // The next start replays what the kills left in the spool; a graceful stop then waits for it.
        using (var last = StartSample(database, $"--FrancisBeacon:Spool:Directory={spool}"))
        {
            try
            {
                await WaitForAddressAsync(last, ct);
                Assert.Equal(0, kill(last.Id, SigTerm));
                await last.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(60), ct);
                Assert.Equal(0, last.ExitCode);
            }
            finally
            {
                KillIfRunning(last);
            }
        }

        var paths = await StoredPathsAsync(database);
        Assert.Empty(acknowledged.Except(paths));
        Assert.InRange(paths.Count, acknowledged.Count, sent);
        Assert.Equal("ok", await IntegrityCheckAsync(database));
        Assert.All(Directory.GetFiles(spool, "spool-*.fbs"), f => Assert.True(new FileInfo(f).Length <= HitSpoolFormat.HeaderBytes, f));
        Directory.Delete(spool, recursive: true);
    }

    [Fact]
    public async Task Sample_HardKilledRepeatedlyDuringSqliteWrites_IntegrityCheckStaysOk()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = BeaconTestHost.NewDatabasePath();
        for (var round = 0; round < 3; round++)
        {
            using var process = StartSample(database, "--FrancisBeacon:FlushInterval=00:00:00.050", "--FrancisBeacon:MaxBatchSize=200");
            try
            {
                var baseUrl = await WaitForAddressAsync(process, ct);
                await FloodUntilAsync(baseUrl, $"i{round}", acknowledged: 1_000, () => kill(process.Id, SigKill), ct);
                await process.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(30), ct);
            }
            finally
            {
                KillIfRunning(process);
            }

            Assert.Equal("ok", await IntegrityCheckAsync(database));
        }

        Assert.NotEmpty(await StoredPathsAsync(database));
    }

    private sealed record FloodResult(IReadOnlyCollection<string> Acknowledged, int Sent);

    /// <summary>
    /// Sends pixel hits with unique paths from 8 concurrent connections; once <paramref name="acknowledged"/> were
    /// answered 200, calls <paramref name="stop"/> and keeps sending until the server is gone.
    /// </summary>
    private static async Task<FloodResult> FloodUntilAsync(string baseUrl, string tag, int acknowledged, Func<int> stop, CancellationToken cancellationToken)
    {
        using var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(20) };
        var ok = new ConcurrentBag<string>();
        var next = 0;
        var stopped = 0;
        var clock = Stopwatch.StartNew();
        async Task WorkerAsync()
        {
            while (clock.Elapsed < TimeSpan.FromSeconds(90))
            {
                var path = $"/{tag}/{Interlocked.Increment(ref next)}";
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif");
                    request.Headers.Referrer = new Uri("http://localhost" + path);
                    using var response = await client.SendAsync(request, cancellationToken);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        return;
                    }

                    ok.Add(path);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    return; // the server is gone: an unanswered hit was never acknowledged
                }

                if (ok.Count >= acknowledged && Interlocked.Exchange(ref stopped, 1) == 0)
                {
                    Assert.Equal(0, stop());
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(WorkerAsync, cancellationToken)));
        Assert.Equal(1, stopped);
        return new FloodResult([.. ok], Volatile.Read(ref next));
    }

    private static Task<HashSet<string>> StoredPathsAsync(string database) =>
        StoredPathsAsync(new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = BeaconTestHost.ConnectionString(database) }));

    private static async Task<HashSet<string>> StoredPathsAsync(Storage.IHitStore store)
    {
        var hits = await BeaconTestHost.ReadAllAsync(store);
        Assert.Equal(hits.Count, hits.Select(h => h.Id).Distinct().Count());
        Assert.Equal(hits.Count, hits.Select(h => h.Path).Distinct(StringComparer.Ordinal).Count());
        return hits.Select(h => h.Path).ToHashSet(StringComparer.Ordinal);
    }

    private static async Task<string> IntegrityCheckAsync(string database)
    {
        await using var connection = new SqliteConnection(BeaconTestHost.ConnectionString(database));
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    private static void KillIfRunning(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }
    }
}

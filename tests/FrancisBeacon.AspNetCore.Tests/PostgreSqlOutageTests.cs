using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>A real PostgreSQL server stopping and coming back while hits keep arriving.</summary>
public sealed class PostgreSqlOutageTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Outage_PostgreSqlStopsAndReturns_QueueHoldsAndDrainsHealthReportsItLogsOnce()
    {
        await using var server = await PrivatePostgresServer.CreateAsync(Ct);
        var logs = new LogCapture();
        await using var host = await BeaconTestHost.StartAsync(
            store: b => b.UsePostgreSql(o =>
            {
                o.ConnectionString = server.ConnectionString;
                o.Schema = "beacon_outage";
            }),
            services: s =>
            {
                s.AddSingleton<ILoggerProvider>(logs);
                s.Configure<LoggerFilterOptions>(o => o.MinLevel = LogLevel.Information);
                s.AddHealthChecks().AddBeacon();
            },
            map: app => { app.UseBeacon(); app.MapHealthChecks("/healthz"); });
        var health = host.Services.GetRequiredService<HealthCheckService>();
        await SendAsync(host, "before", 20);
        await WaitForStoredAsync(host, 20);
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(Ct)).Status);

        await server.StopAsync(Ct);
        await SendAsync(host, "during", 30); // answered at once: the request thread never waits for the database
        HealthReport outage;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            await Task.Delay(100, Ct);
            outage = await health.CheckHealthAsync(Ct);
        }
        while (outage.Entries["francisbeacon"].Description?.Contains("hits are queued", StringComparison.Ordinal) != true && clock.Elapsed < TimeSpan.FromSeconds(20));

        var entry = outage.Entries["francisbeacon"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("hits are queued", entry.Description, StringComparison.Ordinal);
        Assert.NotNull(entry.Exception); // the store's own error, for the operator
        Assert.True(entry.Data.ContainsKey("failing_since"));
        using (var probe = await host.Client.GetAsync("/healthz", Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, probe.StatusCode);
        }

        // A few seconds of outage with the writer retrying; FRANCISBEACON_OUTAGE_SECONDS=30 gives the long manual run
        // that docs/deployment.md describes.
        await Task.Delay(TimeSpan.FromSeconds(OutageSeconds), Ct);
        await SendAsync(host, "late", 10);
        Assert.Equal(40, host.Services.GetRequiredService<HitQueue>().Count); // held, not dropped

        await server.StartAsync(Ct);
        await WaitForStoredAsync(host, 60);
        clock.Restart();
        while ((await health.CheckHealthAsync(Ct)).Status != HealthStatus.Healthy && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100, Ct);
        }

        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(Ct)).Status);
        var hits = await BeaconTestHost.ReadAllAsync(host.Store);
        Assert.Equal(60, hits.Count);
        Assert.Equal(30, hits.Count(h => h.Path.StartsWith("/during/", StringComparison.Ordinal)));
        Assert.Equal(0, host.Services.GetRequiredService<BeaconMetrics>().DroppedStoreFailure);
        var writerLogs = logs.Entries.Where(e => e.Category == typeof(HitWriter).FullName).ToList();
        Assert.Single(writerLogs, e => e.EventId.Id == 200); // the outage, once
        Assert.Single(writerLogs, e => e.EventId.Id == 201); // the recovery, once
        // Nothing of ours logs per hit or per retry: 40 hits arrived during the outage.
        Assert.InRange(logs.Entries.Count(e => e.Category.StartsWith("FrancisBeacon", StringComparison.Ordinal) && e.Level >= LogLevel.Warning), 1, 3);
    }

    private static int OutageSeconds =>
        int.TryParse(Environment.GetEnvironmentVariable("FRANCISBEACON_OUTAGE_SECONDS"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : 2;

    private static async Task SendAsync(BeaconTestHost host, string tag, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var response = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString($"https://example.com/{tag}/{i}"), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private static async Task WaitForStoredAsync(BeaconTestHost host, int count)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            try
            {
                if ((await BeaconTestHost.ReadAllAsync(host.Store)).Count >= count)
                {
                    return;
                }
            }
            catch (Npgsql.NpgsqlException)
            {
                // The server is still coming back.
            }

            await Task.Delay(100, Ct);
        }
    }
}

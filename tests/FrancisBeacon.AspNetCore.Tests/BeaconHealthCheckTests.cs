using System.Net;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class BeaconHealthCheckTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Health_StoreWritable_IsHealthy()
    {
        await using var host = await BeaconTestHost.StartAsync(
            store: b => b.UseInMemory(),
            services: s => s.AddHealthChecks().AddBeacon(),
            map: app => { app.UseBeacon(); app.MapHealthChecks("/healthz"); });

        using var response = await host.Client.GetAsync("/healthz", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Health_StoreFailing_IsUnhealthyUntilItRecovers()
    {
        var flaky = new FlakyHitStore(failures: 1_000_000);
        await using var host = await BeaconTestHost.StartAsync(
            store: b => b.UseStore(_ => flaky),
            services: s =>
            {
                s.AddHealthChecks().AddBeacon();
                // The store never recovers: let the final drain give up quickly (the hit is counted as dropped).
                s.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
            },
            map: app => { app.UseBeacon(); app.MapHealthChecks("/healthz"); });

        using var hit = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://example.com/"), Ct);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        HttpStatusCode status;
        do
        {
            using var response = await host.Client.GetAsync("/healthz", Ct);
            status = response.StatusCode;
            await Task.Delay(50, Ct);
        }
        while (status == HttpStatusCode.OK && clock.Elapsed < TimeSpan.FromSeconds(10));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
    }

    [Fact]
    public async Task Health_SqliteFileDeleted_IsUnhealthySayingSo_AndLaterHitsStayQueued()
    {
        // https://www.sqlite.org/howtocorrupt.html, 2.4: the open connections kept writing into the deleted file (gone at the
        // next start) and /healthz stayed Healthy.
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Windows does not delete a file SQLite holds open.");
        await using var host = await BeaconTestHost.StartAsync(
            services: s =>
            {
                s.AddHealthChecks().AddBeacon();
                // The file stays gone: let the final drain give up quickly (the queued hit is counted as dropped).
                s.Configure<Microsoft.Extensions.Hosting.HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
            },
            map: app => { app.UseBeacon(); app.MapHealthChecks("/healthz"); app.MapBeaconApi("/beacon/api"); });
        var health = host.Services.GetRequiredService<HealthCheckService>();
        var writer = host.Services.GetRequiredService<HitWriter>();
        using (await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://example.com/before"), Ct))
        {
        }

        Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync(Ct)).Status);

        File.Delete(host.DatabasePath!);

        var entry = (await health.CheckHealthAsync(Ct)).Entries["francisbeacon"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Contains("was deleted or moved away while the beacon store had it open", entry.Description, StringComparison.Ordinal);
        Assert.True(entry.Data.ContainsKey("store_problem"));
        using (var response = await host.Client.GetAsync("/healthz", Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }

        // The query API says the store is unavailable (503 with Retry-After, as for a database that does not answer), not 500.
        using (var response = await host.Client.GetAsync("/beacon/api/stats?site_id=localhost&period=day", Ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.NotNull(response.Headers.RetryAfter);
        }

        // A later hit is not written into the deleted file: it waits in the queue.
        using (await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString("https://example.com/after"), Ct))
        {
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (writer.ConsecutiveFailures == 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20, Ct);
        }

        Assert.True(writer.ConsecutiveFailures > 0);
        Assert.Equal(1, host.Services.GetRequiredService<HitQueue>().Count);
        entry = (await health.CheckHealthAsync(Ct)).Entries["francisbeacon"];
        Assert.Contains("1 hits are queued", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_StoreReportsAProblem_IsUnhealthyWithItsDescription()
    {
        var store = new ProblemHitStore { Problem = "The store's disk is read-only." };
        await using var host = await BeaconTestHost.StartAsync(
            store: b => b.UseStore(_ => store),
            services: s => s.AddHealthChecks().AddBeacon(),
            map: app => { app.UseBeacon(); app.MapHealthChecks("/healthz"); });
        var health = host.Services.GetRequiredService<HealthCheckService>();

        var entry = (await health.CheckHealthAsync(Ct)).Entries["francisbeacon"];
        store.Problem = null;
        var after = (await health.CheckHealthAsync(Ct)).Entries["francisbeacon"];

        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.StartsWith("The store's disk is read-only. 0 hits are queued", entry.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Healthy, after.Status);
    }

    private sealed class ProblemHitStore : IHitStore, IHitStoreHealth
    {
        public InMemoryHitStore Inner { get; } = new();

        public string? Problem { get; set; }

        public ValueTask<string?> GetProblemAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Problem);

        public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) => Inner.AppendAsync(hits, cancellationToken);

        public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken) => Inner.QueryAsync(query, cancellationToken);

        public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => Inner.ReadAsync(range, cancellationToken);

        public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => Inner.PurgeAsync(range, cancellationToken);
    }
}

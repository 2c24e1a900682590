using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

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
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>A graceful stop while the store is down: what is given up, and how it is told.</summary>
public sealed class HitWriterShutdownTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stop_StoreDown_LogsTheHitsGivenUpOnceWithTheirTotal()
    {
        var gate = new BlockingHitStore(); // never released: the store is down until the end
        var logs = new LogCapture();
        var host = await BeaconTestHost.StartAsync(
            store: b => b.UseStore(_ => gate),
            services: s =>
            {
                s.AddSingleton<ILoggerProvider>(logs);
                s.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
            });
        var metrics = host.Services.GetRequiredService<BeaconMetrics>();
        await GetPixelAsync(host, 0);
        await gate.Entered.WaitAsync(TimeSpan.FromSeconds(10), Ct); // the writer holds it in a batch it cannot write
        for (var i = 1; i < 10; i++)
        {
            await GetPixelAsync(host, i);
        }

        await host.DisposeAsync();

        var line = Assert.Single(logs.Entries, e => e.EventId.Id == 202);
        Assert.Contains("10 queued hits", line.Message, StringComparison.Ordinal);
        Assert.Equal(10, metrics.DroppedStoreFailure);
    }

    private static async Task GetPixelAsync(BeaconTestHost host, int i)
    {
        using var response = await host.Client.GetAsync("/beacon/hit.gif?u=" + Uri.EscapeDataString($"https://example.com/down-{i}"), Ct);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }
}

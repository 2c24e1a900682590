using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class QueryMetricsTests
{
    [Fact]
    public async Task QueryApi_RecordsQueryDuration_TaggedWithTheEndpoint()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        var measurements = new List<(string Endpoint, double Seconds)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            // Only this host's meter: other tests run hosts in parallel with the same meter name.
            if (instrument.Meter.Name == "FrancisBeacon" && instrument.Meter.Scope == factory && instrument.Name == "beacon.query.duration")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "endpoint")
                {
                    lock (measurements)
                    {
                        measurements.Add(((string)tag.Value!, value));
                    }
                }
            }
        });
        listener.Start();
        var ct = TestContext.Current.CancellationToken;

        var stats = await host.Client.GetAsync(new Uri("/beacon/api/stats?site_id=localhost&period=day", UriKind.Relative), ct);
        using var body = new StringContent("""{"site_id":"localhost","metrics":["visitors"],"date_range":["2026-03-01","2026-03-31"]}""");
        var query = await host.Client.PostAsync(new Uri("/beacon/api/v2/query", UriKind.Relative), body, ct);

        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        Assert.Equal(HttpStatusCode.OK, query.StatusCode);
        lock (measurements)
        {
            Assert.Contains(measurements, m => m.Endpoint == "stats" && m.Seconds >= 0);
            Assert.Contains(measurements, m => m.Endpoint == "v2/query" && m.Seconds >= 0);
        }
    }
}

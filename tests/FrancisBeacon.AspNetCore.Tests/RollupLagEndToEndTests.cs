using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FrancisBeacon.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// With the SQLite store's default <see cref="SqliteHitStoreOptions.MaxRollupLag"/> and the rollup worker running, a
/// hit stored after the rollups were built shows in the query API's answers within seconds (issue #5: within 10 s).
/// </summary>
public sealed class RollupLagEndToEndTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Query_HitStoredAfterTheRollups_ShowsWithinTheDefaultLag()
    {
        var path = BeaconTestHost.NewDatabasePath();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await using var host = await BeaconTestHost.StartAsync(
            o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", TimeZone = "UTC" }),
            store: b => b.UseSqlite(BeaconTestHost.ConnectionString(path)),
            databasePath: path);
        Assert.Equal(TimeSpan.FromSeconds(10), new SqliteHitStoreOptions().MaxRollupLag);
        var t0 = DateTimeOffset.Parse("2026-03-02T10:00:00Z", CultureInfo.InvariantCulture);
        await host.Store.AppendAsync([new Hit { SiteId = "example.com", Path = "/", Timestamp = t0, VisitorId = 1 }], Ct);
        Assert.Equal(1, await WaitForVisitorsAsync(host, 1)); // the worker's pass (or the lag) brings it in

        await host.Store.AppendAsync([new Hit { SiteId = "example.com", Path = "/", Timestamp = t0.AddHours(1), VisitorId = 2 }], Ct);
        var watch = Stopwatch.StartNew();

        Assert.Equal(2, await WaitForVisitorsAsync(host, 2));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60), $"took {watch.Elapsed}");
    }

    private static async Task<long> WaitForVisitorsAsync(BeaconTestHost host, long expected)
    {
        long visitors = -1;
        for (var attempt = 0; attempt < 300 && visitors != expected; attempt++)
        {
            using var content = new StringContent(
                """{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-01","2026-03-03"]}""", Encoding.UTF8, "application/json");
            using var response = await host.Client.PostAsync("/beacon/api/v2/query", content, Ct);
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
            visitors = doc.RootElement.GetProperty("results")[0].GetProperty("metrics")[0].GetInt64();
            if (visitors != expected)
            {
                await Task.Delay(100, Ct);
            }
        }

        return visitors;
    }
}

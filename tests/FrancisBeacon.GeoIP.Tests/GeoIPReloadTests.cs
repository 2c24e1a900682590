using System.Net;
using FrancisBeacon.Enrichment;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace FrancisBeacon.GeoIP.Tests;

public sealed class GeoIPReloadTests
{
    private static readonly IPAddress Address = IPAddress.Parse("5.6.7.8");

    private static MmdbWriter CityDatabase(string city) =>
        new MmdbWriter("GeoIP2-City").Add("5.6.7.0/24", new Dictionary<string, object>
        {
            ["country"] = new Dictionary<string, object> { ["iso_code"] = "DE" },
            ["city"] = new Dictionary<string, object> { ["names"] = new Dictionary<string, object> { ["en"] = city } },
        });

    [Fact]
    public void ReloadIfChanged_FileUnchanged_KeepsTheOpenDatabase()
    {
        using var database = new TempDatabase(CityDatabase("Munich"));
        using var locator = new MaxMindGeoLocator(database.Path);

        Assert.False(locator.ReloadIfChanged());
        Assert.Equal("Munich", locator.Locate(Address)?.City);
    }

    [Fact]
    public void ReloadIfChanged_FileReplacedAtomically_AnswersFromTheNewFile()
    {
        using var database = new TempDatabase(CityDatabase("Munich"));
        var logger = new CapturingLogger<MaxMindGeoLocator>();
        using var locator = new MaxMindGeoLocator(database.Path, logger);

        database.Replace(CityDatabase("Hamburg"));

        Assert.True(locator.ReloadIfChanged());
        Assert.Equal("Hamburg", locator.Locate(Address)?.City);
        Assert.False(locator.ReloadIfChanged());
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Information, entry.Level);
    }

    [Fact]
    public void ReloadIfChanged_NewFileIsNotAMaxMindDatabase_KeepsTheOldOneAndWarnsOnce()
    {
        using var database = new TempDatabase(CityDatabase("Munich"));
        var logger = new CapturingLogger<MaxMindGeoLocator>();
        using var locator = new MaxMindGeoLocator(database.Path, logger);

        database.Replace(path => File.WriteAllText(path, "not a database"));

        Assert.False(locator.ReloadIfChanged());
        Assert.False(locator.ReloadIfChanged());
        Assert.Equal("Munich", locator.Locate(Address)?.City);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("previous version stays in use", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReloadIfChanged_FileDeleted_KeepsTheOldOne()
    {
        using var database = new TempDatabase(CityDatabase("Munich"));
        using var locator = new MaxMindGeoLocator(database.Path);

        File.Delete(database.Path);

        Assert.False(locator.ReloadIfChanged());
        Assert.Equal("Munich", locator.Locate(Address)?.City);
    }

    [Fact]
    public void ReloadIfChanged_AfterDispose_DoesNothing()
    {
        using var database = new TempDatabase(CityDatabase("Munich"));
        var locator = new MaxMindGeoLocator(database.Path);
        locator.Dispose();

        database.Replace(CityDatabase("Hamburg"));

        Assert.False(locator.ReloadIfChanged());
        Assert.Null(locator.Locate(Address));
    }

    [Fact]
    public async Task Locate_WhileReloading_AlwaysAnswersFromAnOpenFile()
    {
        using var database = new TempDatabase(CityDatabase("Munich"));
        using var locator = new MaxMindGeoLocator(database.Path);
        using var stop = new CancellationTokenSource();
        var lookups = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            var count = 0;
            while (!stop.IsCancellationRequested || count == 0)
            {
                var city = locator.Locate(Address)?.City;
                Assert.True(city is "Munich" or "Hamburg", city);
                count++;
            }

            return count;
        })).ToArray();

        for (var i = 0; i < 20; i++)
        {
            database.Replace(CityDatabase(i % 2 == 0 ? "Hamburg" : "Munich"));
            Assert.True(locator.ReloadIfChanged());
            await Task.Delay(1, TestContext.Current.CancellationToken);
        }

        await stop.CancelAsync();
        var counts = await Task.WhenAll(lookups);
        Assert.All(counts, count => Assert.True(count > 0));
        Assert.Equal("Munich", locator.Locate(Address)?.City);
    }

    [Fact]
    public async Task Host_FileReplaced_IsReloadedAfterTheCheckInterval()
    {
        using var database = new TempDatabase(CityDatabase("Munich"));
        var time = new FakeTimeProvider();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<TimeProvider>(time);
        new TestBeaconBuilder(builder.Services).AddGeoIP(o =>
        {
            o.DatabasePath = database.Path;
            o.ReloadCheckInterval = TimeSpan.FromMinutes(5);
        });
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        var locator = host.Services.GetRequiredService<IGeoLocator>();
        Assert.Equal("Munich", locator.Locate(Address)?.City);

        database.Replace(CityDatabase("Hamburg"));

        // The reloader starts its timer on the thread pool, and its ticks continue there: step the clock by whole
        // intervals until the new file answers.
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (locator.Locate(Address)?.City != "Hamburg" && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            time.Advance(TimeSpan.FromMinutes(5));
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal("Hamburg", locator.Locate(Address)?.City);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Host_ReloadCheckIntervalZero_RunsNoTimer()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        new TestBeaconBuilder(builder.Services).AddGeoIP(o =>
        {
            o.DatabasePath = GeoIPTestData.City;
            o.ReloadCheckInterval = TimeSpan.Zero;
        });
        using var host = builder.Build();

        await host.StartAsync(TestContext.Current.CancellationToken);

        var reloader = Assert.Single(host.Services.GetServices<IHostedService>().OfType<BackgroundService>());
        Assert.NotNull(reloader.ExecuteTask);
        await reloader.ExecuteTask.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }
}

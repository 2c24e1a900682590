using System.Net;
using FrancisBeacon.Enrichment;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.GeoIP.Tests;

public sealed class GeoIPBeaconBuilderExtensionsTests
{
    private static IHost BuildHost(Action<IBeaconBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        configure(new TestBeaconBuilder(builder.Services));
        return builder.Build();
    }

    private static async Task<OptionsValidationException> StartFailsAsync(string databasePath)
    {
        using var host = BuildHost(b => b.AddGeoIP(o => o.DatabasePath = databasePath));
        return await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void AddGeoIP_RegistersLocatorAsSingleton()
    {
        var services = new ServiceCollection();
        new TestBeaconBuilder(services).AddGeoIP(GeoIPTestData.City);

        var descriptor = Assert.Single(services, d => d.ServiceType == typeof(IGeoLocator));
        Assert.Equal(ServiceLifetime.Singleton, descriptor.Lifetime);
        using var provider = services.BuildServiceProvider();
        var locator = provider.GetRequiredService<IGeoLocator>();
        Assert.IsType<MaxMindGeoLocator>(locator);
        Assert.Same(locator, provider.GetRequiredService<IGeoLocator>());
        Assert.Equal("London", locator.Locate(IPAddress.Parse("81.2.69.142"))?.City);
    }

    [Fact]
    public void AddGeoIP_Twice_Throws()
    {
        var builder = new TestBeaconBuilder(new ServiceCollection()).AddGeoIP(GeoIPTestData.City);

        var error = Assert.Throws<InvalidOperationException>(() => builder.AddGeoIP(GeoIPTestData.Country));
        Assert.Contains("already registered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddGeoIP_AfterAnotherLocator_Throws()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IGeoLocator, NowhereLocator>();

        Assert.Throws<InvalidOperationException>(() => new TestBeaconBuilder(services).AddGeoIP(GeoIPTestData.City));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void AddGeoIP_BlankPath_Throws(string path)
    {
        Assert.Throws<ArgumentException>(() => new TestBeaconBuilder(new ServiceCollection()).AddGeoIP(path));
    }

    [Fact]
    public void AddGeoIP_NullConfigure_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => new TestBeaconBuilder(new ServiceCollection()).AddGeoIP((Action<GeoIPOptions>)null!));
    }

    [Fact]
    public void DisposingTheProvider_ClosesTheDatabase()
    {
        var services = new ServiceCollection();
        new TestBeaconBuilder(services).AddGeoIP(GeoIPTestData.City);
        var provider = services.BuildServiceProvider();
        var locator = provider.GetRequiredService<IGeoLocator>();

        provider.Dispose();

        Assert.Null(locator.Locate(IPAddress.Parse("81.2.69.142")));
    }

    [Fact]
    public async Task HostStart_ValidDatabase_Starts()
    {
        using var host = BuildHost(b => b.AddGeoIP(GeoIPTestData.City));

        await host.StartAsync(TestContext.Current.CancellationToken);

        Assert.Equal("GB", host.Services.GetRequiredService<IGeoLocator>().Locate(IPAddress.Parse("81.2.69.142"))?.Country);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task HostStart_PathFromConfiguration_IsBound()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["FrancisBeacon:GeoIP:DatabasePath"] = GeoIPTestData.Country });
        builder.Services.AddOptions<GeoIPOptions>().BindConfiguration("FrancisBeacon:GeoIP");
        new TestBeaconBuilder(builder.Services).AddGeoIP(_ => { });
        using var host = builder.Build();

        await host.StartAsync(TestContext.Current.CancellationToken);

        Assert.Equal(new GeoLocation("GB", null, null), host.Services.GetRequiredService<IGeoLocator>().Locate(IPAddress.Parse("81.2.69.142")));
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task HostStart_MissingPath_FailsWithClearMessage()
    {
        var error = await StartFailsAsync("");

        var failure = Assert.Single(error.Failures);
        Assert.Contains("GeoIPOptions.DatabasePath is required", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_SeveralProblems_ListsEveryOne()
    {
        using var host = BuildHost(b => b.AddGeoIP(o => o.ReloadCheckInterval = TimeSpan.FromSeconds(-1)));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Collection(
            error.Failures,
            f => Assert.Contains("DatabasePath is required", f, StringComparison.Ordinal),
            f => Assert.Contains("ReloadCheckInterval must be zero (no reloading) or positive", f, StringComparison.Ordinal));
    }

    [Fact]
    public async Task HostStart_FileDoesNotExist_FailsNamingTheFullPath()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.mmdb");

        var error = await StartFailsAsync(missing);

        var failure = Assert.Single(error.Failures);
        Assert.Contains("does not exist", failure, StringComparison.Ordinal);
        Assert.Contains(missing, failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_PathIsADirectory_Fails()
    {
        var error = await StartFailsAsync(Path.GetDirectoryName(GeoIPTestData.City)!);

        Assert.Contains("is a directory", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_NotAMaxMindDatabase_FailsWithReadersReason()
    {
        var error = await StartFailsAsync(GeoIPTestData.CitySourceJson);

        var failure = Assert.Single(error.Failures);
        Assert.Contains("cannot be opened as a MaxMind DB", failure, StringComparison.Ordinal);
        Assert.Contains("GeoLite2-City-Test.json", failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_EmptyFile_Fails()
    {
        var folder = Directory.CreateTempSubdirectory("francisbeacon-geoip-");
        try
        {
            var empty = Path.Combine(folder.FullName, "empty.mmdb");
            await File.WriteAllBytesAsync(empty, [], TestContext.Current.CancellationToken);

            var error = await StartFailsAsync(empty);

            Assert.Contains("cannot be opened as a MaxMind DB", Assert.Single(error.Failures), StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task HostStart_DatabaseWithoutLocations_Fails()
    {
        using var database = new TempDatabase(new MmdbWriter("GeoLite2-ASN")
            .Add("5.6.7.0/24", new Dictionary<string, object> { ["autonomous_system_number"] = 64500u }));

        var error = await StartFailsAsync(database.Path);

        Assert.Contains("'GeoLite2-ASN' database, which holds no country or city", Assert.Single(error.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task HostStart_BrokenDataSection_StillStarts()
    {
        // Only the metadata is read at start; broken records are misses at lookup time.
        using var host = BuildHost(b => b.AddGeoIP(GeoIPTestData.BrokenDoubleFormat));

        await host.StartAsync(TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    private sealed class NowhereLocator : IGeoLocator
    {
        public GeoLocation? Locate(IPAddress address) => null;
    }
}

using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class RegistrationTests
{
    private const string MissingAddBeacon =
        "Unable to find the required services. Please add all the required services by calling 'IServiceCollection.AddBeacon' in the application startup code.";

    private const string MissingStore = "No IHitStore registered; call UseSqlite, UsePostgreSql or UseInMemory on AddBeacon().";

    [Fact]
    public async Task UseBeacon_WithoutAddBeacon_ThrowsFriendlyError()
    {
        await using var app = NewBuilder().Build();

        var ex = Assert.Throws<InvalidOperationException>(() => app.UseBeacon());

        Assert.Equal(MissingAddBeacon, ex.Message);
    }

    [Fact]
    public async Task MapBeaconApi_WithoutAddBeacon_ThrowsFriendlyError()
    {
        await using var app = NewBuilder().Build();

        var ex = Assert.Throws<InvalidOperationException>(() => app.MapBeaconApi());

        Assert.Equal(MissingAddBeacon, ex.Message);
    }

    [Fact]
    public async Task UseBeacon_AddBeaconWithoutStore_ThrowsSayingWhatToCall()
    {
        var builder = NewBuilder();
        builder.Services.AddBeacon();
        await using var app = builder.Build();

        var ex = Assert.Throws<InvalidOperationException>(() => app.UseBeacon());

        Assert.Equal(MissingStore, ex.Message);
    }

    [Fact]
    public async Task StartAsync_AddBeaconWithoutStoreAndNoEndpoints_FailsAtStartup()
    {
        var builder = NewBuilder();
        builder.Services.AddBeacon();
        await using var app = builder.Build();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Equal(MissingStore, ex.Message);
    }

    [Fact]
    public void UseSqlite_AfterAnotherStore_Throws()
    {
        var services = new ServiceCollection();
        var beacon = services.AddBeacon().UseInMemory();

        Assert.Throws<InvalidOperationException>(() => beacon.UseSqlite("Data Source=x.db"));
    }

    [Fact]
    public void AddBeacon_Registers_SingletonStoreAndHostedWriter()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddBeacon().UseInMemory();

        using var provider = services.BuildServiceProvider();

        Assert.Same(provider.GetRequiredService<IHitStore>(), provider.GetRequiredService<IHitStore>());
        Assert.IsType<InMemoryHitStore>(provider.GetRequiredService<IHitStore>());
        Assert.Contains(provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>(), s => s is HitWriter);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_FailsListingEveryError()
    {
        var builder = NewBuilder();
        builder.Services.AddBeacon(o =>
        {
            o.QueueCapacity = 0;
            o.PathPrefix = "beacon/";
            o.Sites.Add(new BeaconSiteOptions { Id = "a.com", TimeZone = "Mars/Olympus_Mons" });
            o.Sites.Add(new BeaconSiteOptions { Id = "a.com" });
        }).UseInMemory();
        await using var app = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(ex.Failures, f => f.Contains("QueueCapacity", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("PathPrefix", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Mars/Olympus_Mons", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("configured twice", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AddBeacon_ConfigurationSection_BindsSitesAndSettings()
    {
        var builder = NewBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["FrancisBeacon:PathPrefix"] = "/analytics",
            ["FrancisBeacon:FlushInterval"] = "00:00:02",
            ["FrancisBeacon:Sites:0:Id"] = "example.com",
            ["FrancisBeacon:Sites:0:TimeZone"] = "Europe/Berlin",
            ["FrancisBeacon:Sites:0:Hostnames:0"] = "example.com",
            ["FrancisBeacon:Sites:0:Hostnames:1"] = "www.example.com",
        });
        builder.Services.AddBeacon(builder.Configuration.GetSection("FrancisBeacon")).UseInMemory();
        await using var app = builder.Build();

        var options = app.Services.GetRequiredService<IOptions<BeaconOptions>>().Value;

        Assert.Equal("/analytics", options.PathPrefix);
        Assert.Equal(TimeSpan.FromSeconds(2), options.FlushInterval);
        var site = Assert.Single(options.Sites);
        Assert.Equal("Europe/Berlin", site.TimeZone);
        Assert.Equal(["example.com", "www.example.com"], site.Hostnames);
    }

    private static WebApplicationBuilder NewBuilder()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        return builder;
    }
}

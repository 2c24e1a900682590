using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>The two documented ways to bind appsettings.json (docs/configuration.md), with validation at start.</summary>
public sealed class ConfigurationBindingTests
{
    private const string ValidJson = """
        {
          "FrancisBeacon": {
            "PathPrefix": "/analytics",
            "Sites": [ { "Id": "example.com", "Hostnames": [ "example.com", "*.example.com" ], "TimeZone": "Europe/Berlin" } ],
            "QueueCapacity": 5000,
            "FlushInterval": "00:00:02",
            "RetentionPeriod": "400.00:00:00",
            "BotDetection": { "FlagMissingAcceptLanguage": false },
            "ServerSideTracking": { "Enabled": true, "ExcludePaths": [ "/admin" ] },
            "Compatibility": { "Plausible": true }
          }
        }
        """;

    private const string InvalidJson = """
        {
          "FrancisBeacon": {
            "PathPrefix": "beacon/",
            "QueueCapacity": 0,
            "FlushInterval": "00:05:00",
            "Sites": [ { "Id": "a.example", "TimeZone": "Mars/Olympus_Mons" } ],
            "ServerSideTracking": { "ExcludePaths": [ "admin" ] }
          }
        }
        """;

    [Fact]
    public async Task AddBeacon_ConfigurationSection_BindsNestedSections()
    {
        var builder = NewBuilder(ValidJson);
        builder.Services.AddBeacon(builder.Configuration.GetSection("FrancisBeacon")).UseInMemory();
        await using var app = builder.Build();

        AssertBound(app.Services.GetRequiredService<IOptions<BeaconOptions>>().Value);
    }

    [Fact]
    public async Task BindConfiguration_WithPlainAddBeacon_BindsNestedSections()
    {
        var builder = NewBuilder(ValidJson);
        builder.Services.AddOptions<BeaconOptions>().BindConfiguration("FrancisBeacon");
        builder.Services.AddBeacon().UseInMemory();
        await using var app = builder.Build();

        AssertBound(app.Services.GetRequiredService<IOptions<BeaconOptions>>().Value);
    }

    [Fact]
    public async Task AddBeacon_InvalidConfigurationSection_FailsAtStartListingEveryError()
    {
        var builder = NewBuilder(InvalidJson);
        builder.Services.AddBeacon(builder.Configuration.GetSection("FrancisBeacon")).UseInMemory();
        await using var app = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        AssertEveryError(ex);
    }

    [Fact]
    public async Task BindConfiguration_InvalidSection_FailsAtStartListingEveryError()
    {
        var builder = NewBuilder(InvalidJson);
        builder.Services.AddOptions<BeaconOptions>().BindConfiguration("FrancisBeacon");
        builder.Services.AddBeacon().UseInMemory();
        await using var app = builder.Build();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));

        AssertEveryError(ex);
    }

    private static void AssertBound(BeaconOptions options)
    {
        Assert.Equal("/analytics", options.PathPrefix);
        Assert.Equal(5000, options.QueueCapacity);
        Assert.Equal(TimeSpan.FromSeconds(2), options.FlushInterval);
        Assert.Equal(TimeSpan.FromDays(400), options.RetentionPeriod);
        var site = Assert.Single(options.Sites);
        Assert.Equal("Europe/Berlin", site.TimeZone);
        Assert.Equal(["example.com", "*.example.com"], site.Hostnames);
        Assert.False(options.BotDetection.FlagMissingAcceptLanguage);
        Assert.True(options.BotDetection.FlagSecFetchInconsistency);
        Assert.True(options.ServerSideTracking.Enabled);
        Assert.Equal(["/admin"], options.ServerSideTracking.ExcludePaths);
        Assert.True(options.Compatibility.Plausible);
        Assert.False(options.Compatibility.Umami);
    }

    private static void AssertEveryError(OptionsValidationException ex)
    {
        Assert.Contains(ex.Failures, f => f.Contains("PathPrefix", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("QueueCapacity", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("FlushInterval", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("Mars/Olympus_Mons", StringComparison.Ordinal));
        Assert.Contains(ex.Failures, f => f.Contains("ExcludePaths[0]", StringComparison.Ordinal));
        Assert.True(ex.Failures.Count() >= 5);
    }

    private static WebApplicationBuilder NewBuilder(string json)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Configuration.AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)));
        return builder;
    }
}

using FrancisBeacon.Enrichment;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.GeoIP;

/// <summary>
/// Checks the database file every <see cref="GeoIPOptions.ReloadCheckInterval"/> and lets the registered
/// <see cref="MaxMindGeoLocator"/> swap in a new version. Does nothing when the interval is zero or when the
/// registered <see cref="IGeoLocator"/> is another type.
/// </summary>
internal sealed class GeoIPDatabaseReloader : BackgroundService
{
    private readonly IServiceProvider _services;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;

    public GeoIPDatabaseReloader(IServiceProvider services, IOptions<GeoIPOptions> options)
    {
        _services = services;
        _interval = options.Value.ReloadCheckInterval;
        _time = services.GetService<TimeProvider>() ?? TimeProvider.System;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Resolved here, after the host validated the options, so that a bad path fails as a validation error.
        if (_interval <= TimeSpan.Zero || _services.GetRequiredService<IGeoLocator>() is not MaxMindGeoLocator locator)
        {
            return;
        }

        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                locator.ReloadIfChanged();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }
}

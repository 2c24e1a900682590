using FrancisBeacon.Enrichment;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.GeoIP;

/// <summary>
/// Opens the database at host start (by resolving the locator), then checks the file every
/// <see cref="GeoIPOptions.ReloadCheckInterval"/> and lets the registered <see cref="MaxMindGeoLocator"/> swap in a
/// new version. Checks nothing when the interval is zero or when the registered <see cref="IGeoLocator"/> is another
/// type.
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
        // Resolving the locator opens the file now, at start, rather than on the first hit. It is done here, after
        // the host validated the options, so that a bad path fails as a validation error, not as a reader exception.
        var located = _services.GetRequiredService<IGeoLocator>();
        if (_interval <= TimeSpan.Zero || located is not MaxMindGeoLocator locator)
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

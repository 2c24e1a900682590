// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.Storage;

/// <summary>
/// Calls <see cref="IHitStoreRollups.RefreshRollupsAsync"/> every <see cref="Interval"/> for the sites in
/// <see cref="BeaconOptions.Sites"/> (and the default site), so new hits reach the rollups within seconds. Does
/// nothing for stores without rollups.
/// </summary>
internal sealed partial class HitStoreRollupWorker(IHitStore store, IOptions<BeaconOptions> options, TimeProvider time, ILogger<HitStoreRollupWorker> logger)
    : BackgroundService
{
    /// <summary>Time between two passes.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not IHitStoreRollups rollups)
        {
            return;
        }

        var sites = new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal);
        foreach (var site in options.Value.Sites)
        {
            if (!string.IsNullOrEmpty(site.Id) && SiteTimeZones.TryFind(site.TimeZone, out var zone))
            {
                sites[site.Id] = zone;
            }
        }

        if (options.Value.DefaultSiteId is { Length: > 0 } defaultSite && !sites.ContainsKey(defaultSite) &&
            SiteTimeZones.TryFind(options.Value.DefaultTimeZone, out var defaultZone))
        {
            sites[defaultSite] = defaultZone;
        }

        if (sites.Count == 0)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var days = await rollups.RefreshRollupsAsync(sites, stoppingToken).ConfigureAwait(false);
                var elapsedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (days > 0)
                {
                    LogRefreshed(logger, days, elapsedMs);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // a failed pass is logged and retried; the app must keep running
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogFailed(logger, ex);
            }

            try
            {
                await Task.Delay(Interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "Rollups: rebuilt {Days} site-local days in {ElapsedMs:F0} ms.")]
    private static partial void LogRefreshed(ILogger logger, int days, double elapsedMs);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Rollups: a refresh pass failed; queries use the raw hits until the next pass.")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.Storage;

/// <summary>
/// Calls <see cref="IHitStoreRollups.RefreshRollupsAsync"/> every <see cref="Interval"/> for the sites in
/// <see cref="BeaconOptions.Sites"/> (and the default site), so new hits reach the rollups within seconds. Does
/// nothing for stores without rollups. The passes run on a thread of the worker's own (<see cref="ThreadName"/>), at the
/// OS priority <see cref="BeaconOptions.RollupWorkerNice"/> gives it. A site whose hits are being purged in this process
/// (<see cref="HitPurgeRegistry"/>) is left out of the passes until the purge ends.
/// </summary>
internal sealed partial class HitStoreRollupWorker(
    IHitStore store, IOptions<BeaconOptions> options, HitPurgeRegistry purges, TimeProvider time, ILogger<HitStoreRollupWorker> logger)
    : BackgroundService
{
    /// <summary>Time between two passes.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>The name of the worker's thread.</summary>
    public const string ThreadName = "FrancisBeacon rollups";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not IHitStoreRollups rollups)
        {
            return Task.CompletedTask;
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
            return Task.CompletedTask;
        }

        // The passes run on a thread of their own, not the thread pool's: SQLite's pass is synchronous behind its async
        // API and would otherwise hold a pool thread the requests need for the whole pass (tens of seconds under load).
        // Optionally at a lower OS priority (RollupWorkerNice; docs/performance.md, round 9). The whole loop stays on
        // that thread and only ever blocks: a lowered thread must not hand work to the thread pool, which could create
        // its new threads from it and so pass the lowered priority on to them.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Run(rollups, sites, stoppingToken);
                done.TrySetResult();
            }
#pragma warning disable CA1031 // handed to the host through the task
            catch (Exception ex)
#pragma warning restore CA1031
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = ThreadName,
        };
        thread.Start();
        return done.Task;
    }

    private void Run(IHitStoreRollups rollups, Dictionary<string, TimeZoneInfo> sites, CancellationToken stoppingToken)
    {
        var nice = options.Value.RollupWorkerNice;
        if (!ThreadNice.TryLowerCurrentThread(nice))
        {
            LogNotLowered(logger, nice);
        }

        // Failed passes in a row: the first is logged as a warning, the rest at Debug level and the recovery once, so a
        // store that is down for an hour does not add a warning with a stack trace every Interval (docs/deployment.md,
        // "Database outages": one line per component and outage). A pass that keeps failing for another reason must not
        // hide behind its first warning, though: a new kind of error is warned once more, and the same error again once
        // an hour, with the count of failed passes since.
        var failures = new RollupPassFailures();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                // Not the sites being purged: the purge marks their days for a rebuild as it goes, so rebuilding them now
                // is wasted (and on SQLite competes with the purge for the write lock); the first pass after takes them.
                var passSites = purges.Any ? WithoutPurged(sites) : sites;
                if (passSites.Count < sites.Count)
                {
                    LogSitesPurged(logger, sites.Count - passSites.Count);
                }

                // No pass at all while every site is purged: that is no recovery from failed passes either.
                if (passSites.Count > 0)
                {
                    // A synchronous store (SQLite) completes the whole pass on this thread; an asynchronous one (Npgsql)
                    // continues on the thread pool after its first real wait while this thread blocks.
                    var pass = rollups.RefreshRollupsAsync(passSites, stoppingToken);
                    var days = pass.IsCompleted ? pass.GetAwaiter().GetResult() : pass.AsTask().GetAwaiter().GetResult();
                    var elapsedMs = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (days > 0)
                    {
                        LogRefreshed(logger, days, elapsedMs);
                    }

                    if (failures.InARow > 0)
                    {
                        LogRecovered(logger, failures.InARow);
                        failures.Reset();
                    }
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
                switch (failures.Add(ex, time.GetUtcNow(), out var sinceWarning))
                {
                    case RollupPassFailures.Warning.First:
                        LogFailed(logger, ex);
                        break;
                    case RollupPassFailures.Warning.NewError:
                        LogFailedDifferently(logger, ex, ex.GetType().Name, failures.InARow);
                        break;
                    case RollupPassFailures.Warning.StillFailing:
                        LogStillFailing(logger, ex, sinceWarning, failures.InARow);
                        break;
                    default:
                        LogFailedAgain(logger, ex, failures.InARow);
                        break;
                }
            }

            try
            {
                Task.Delay(Interval, time, stoppingToken).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private Dictionary<string, TimeZoneInfo> WithoutPurged(Dictionary<string, TimeZoneInfo> sites)
    {
        var left = new Dictionary<string, TimeZoneInfo>(sites.Count, StringComparer.Ordinal);
        foreach (var (site, zone) in sites)
        {
            if (!purges.IsPurging(site))
            {
                left[site] = zone;
            }
        }

        return left;
    }

    [LoggerMessage(EventId = 117, Level = LogLevel.Debug, Message = "Rollups: {Count} site(s) left out of this pass while their hits are being purged.")]
    private static partial void LogSitesPurged(ILogger logger, int count);

    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "Rollups: rebuilt {Days} site-local days in {ElapsedMs:F0} ms.")]
    private static partial void LogRefreshed(ILogger logger, int days, double elapsedMs);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Rollups: a refresh pass failed; queries use the raw hits until a pass succeeds. Further failed passes in a row are logged at Debug level, warned again when the error changes and once an hour while it persists.")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 115, Level = LogLevel.Warning, Message = "Rollups: refresh passes now fail with another error ({ErrorType}; {Failures} failed passes in a row); queries use the raw hits until a pass succeeds.")]
    private static partial void LogFailedDifferently(ILogger logger, Exception exception, string errorType, int failures);

    [LoggerMessage(EventId = 116, Level = LogLevel.Warning, Message = "Rollups: refresh passes still fail ({Count} failed passes since the last warning, {Failures} in a row); queries use the raw hits until a pass succeeds.")]
    private static partial void LogStillFailing(ILogger logger, Exception exception, int count, int failures);

    [LoggerMessage(EventId = 113, Level = LogLevel.Debug, Message = "Rollups: refresh pass failed ({Failures} in a row).")]
    private static partial void LogFailedAgain(ILogger logger, Exception exception, int failures);

    [LoggerMessage(EventId = 114, Level = LogLevel.Information, Message = "Rollups: a refresh pass succeeded again after {Failures} failed passes.")]
    private static partial void LogRecovered(ILogger logger, int failures);

    [LoggerMessage(EventId = 112, Level = LogLevel.Information, Message = "Rollups: the worker's thread could not lower its priority to nice {Nice}; the passes run at the app's priority.")]
    private static partial void LogNotLowered(ILogger logger, int nice);
}

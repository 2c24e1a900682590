using FrancisBeacon.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// Deletes hits older than <see cref="BeaconOptions.RetentionPeriod"/> (of every site) shortly after start and then
/// once an hour, with the rollups of the same days unless <see cref="BeaconOptions.RollupRetentionPeriod"/> keeps them
/// longer (they then go once older than that period). Does nothing when the period is zero. Failures are logged and
/// retried at the next round.
/// </summary>
internal sealed partial class RetentionService(IServiceProvider services, IOptions<BeaconOptions> options, TimeProvider time, ILogger<RetentionService> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);
    private readonly TimeSpan _period = options.Value.RetentionPeriod;
    private readonly TimeSpan _rollupPeriod = options.Value.RollupRetentionPeriod ?? options.Value.RetentionPeriod;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_period <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await Task.Delay(TimeSpan.FromSeconds(10), time, stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                await PurgeOnceAsync(stoppingToken);
                await Task.Delay(Interval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    internal async Task<long> PurgeOnceAsync(CancellationToken cancellationToken)
    {
        var store = (IHitStore)services.GetService(typeof(IHitStore))!;
        var now = time.GetUtcNow();
        var cutoff = now - _period;
        // Every site's hits: the rollup worker pauses until the round ends, however it ends (HitPurgeRegistry).
        using var purging = (services.GetService(typeof(HitPurgeRegistry)) as HitPurgeRegistry)?.Enter(null);
        try
        {
            // Rollups as long as hits: one purge of both. Kept longer: raw hits only, then rollups past their own period.
            var deleted = await store.PurgeAsync(new HitRange { To = cutoff, IncludeDerivedData = _rollupPeriod == _period }, cancellationToken);
            if (deleted > 0)
            {
                LogPurged(logger, deleted, cutoff);
            }

            if (_rollupPeriod > _period)
            {
                await store.PurgeAsync(new HitRange { To = now - _rollupPeriod, IncludeDerivedData = true }, cancellationToken);
            }

            return deleted;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPurgeFailed(logger, ex);
            return 0;
        }
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Information, Message = "Retention: deleted {Count} hits older than {Cutoff:O}")]
    private static partial void LogPurged(ILogger logger, long count, DateTimeOffset cutoff);

    [LoggerMessage(EventId = 501, Level = LogLevel.Warning, Message = "Retention: deleting old hits failed; trying again in an hour")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}

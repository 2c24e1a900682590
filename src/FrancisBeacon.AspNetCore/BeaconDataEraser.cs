using FrancisBeacon.Storage;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The <see cref="IBeaconDataEraser"/> over the registered store's <see cref="IHitStore.PurgeAsync"/>: first waits
/// until the writer has stored every hit accepted before the call (<see cref="HitWriter.FlushAsync"/>), so the
/// deletion covers the hits still queued, retried or replayed from the spool, then purges.
/// </summary>
internal sealed partial class BeaconDataEraser(IServiceProvider services, ILogger<BeaconDataEraser> logger) : IBeaconDataEraser
{
    /// <summary>How long an erasure waits for the queued hits to be stored before it gives up (the store is failing).</summary>
    internal TimeSpan WriteTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public ValueTask<long> EraseSiteAsync(string siteId, CancellationToken cancellationToken = default) =>
        EraseAsync(siteId, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, cancellationToken);

    public async ValueTask<long> EraseAsync(string siteId, DateTimeOffset start, DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(siteId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(start, until);
        var store = (IHitStore)services.GetService(typeof(IHitStore))!;
        if (services.GetService(typeof(HitWriter)) is HitWriter writer)
        {
            await writer.FlushAsync(WriteTimeout, cancellationToken).ConfigureAwait(false);
        }

        var deleted = await store.PurgeAsync(new HitRange { SiteId = siteId, From = start, To = until, IncludeDerivedData = true }, cancellationToken).ConfigureAwait(false);
        LogErased(logger, deleted, siteId, start, until);
        return deleted;
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Information, Message = "Erasure: deleted {Count} hits of site {SiteId} from {From:O} to {To:O}")]
    private static partial void LogErased(ILogger logger, long count, string siteId, DateTimeOffset from, DateTimeOffset to);
}

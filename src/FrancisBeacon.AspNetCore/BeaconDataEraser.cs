using FrancisBeacon.Storage;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The <see cref="IBeaconDataEraser"/> over the registered store's <see cref="IHitStore.PurgeAsync"/>: first waits
/// until the writer has stored every hit accepted before the call (<see cref="HitWriter.FlushAsync"/>), so the
/// deletion covers the hits still queued, retried or replayed from the spool, and no spool file still holds one of
/// them (a crash after the erasure must not replay erased hits), then purges.
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
        // Durable mode: hits the store holds may still sit in a spool file (one is emptied only when the store has caught
        // up with all of it), and a crash would replay them after the deletion. Sealing makes later hits go to a new
        // file; the sealed ones are deleted once their hits are stored, which the deletion then waits for.
        var spooled = services.GetService(typeof(HitSpool)) is HitSpool spool ? spool.SealAsync() : Task.CompletedTask;
        if (services.GetService(typeof(HitWriter)) is HitWriter writer)
        {
            await writer.FlushAsync(WriteTimeout, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await spooled.WaitAsync(WriteTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(
                $"The hits of the durable spool accepted before this call were not all stored within {WriteTimeout.TotalSeconds:0.#} s (the store is failing or far behind).", ex);
        }

        long deleted;
        // The rollup worker leaves the site alone until the purge ends, however it ends (HitPurgeRegistry).
        using (Purging(siteId))
        {
            deleted = await store.PurgeAsync(new HitRange { SiteId = siteId, From = start, To = until, IncludeDerivedData = true }, cancellationToken).ConfigureAwait(false);
        }

        LogErased(logger, deleted, siteId, start, until);
        return deleted;
    }

    private IDisposable? Purging(string siteId) => (services.GetService(typeof(HitPurgeRegistry)) as HitPurgeRegistry)?.Enter(siteId);

    [LoggerMessage(EventId = 510, Level = LogLevel.Information, Message = "Erasure: deleted {Count} hits of site {SiteId} from {From:O} to {To:O}")]
    private static partial void LogErased(ILogger logger, long count, string siteId, DateTimeOffset from, DateTimeOffset to);
}

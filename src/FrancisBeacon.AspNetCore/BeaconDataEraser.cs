using FrancisBeacon.Storage;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.AspNetCore;

/// <summary>The <see cref="IBeaconDataEraser"/> over the registered store's <see cref="IHitStore.PurgeAsync"/>.</summary>
internal sealed partial class BeaconDataEraser(IServiceProvider services, ILogger<BeaconDataEraser> logger) : IBeaconDataEraser
{
    public ValueTask<long> EraseSiteAsync(string siteId, CancellationToken cancellationToken = default) =>
        EraseAsync(siteId, DateTimeOffset.MinValue, DateTimeOffset.MaxValue, cancellationToken);

    public async ValueTask<long> EraseAsync(string siteId, DateTimeOffset start, DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(siteId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(start, until);
        var store = (IHitStore)services.GetService(typeof(IHitStore))!;
        var deleted = await store.PurgeAsync(new HitRange { SiteId = siteId, From = start, To = until, IncludeDerivedData = true }, cancellationToken).ConfigureAwait(false);
        LogErased(logger, deleted, siteId, start, until);
        return deleted;
    }

    [LoggerMessage(EventId = 510, Level = LogLevel.Information, Message = "Erasure: deleted {Count} hits of site {SiteId} from {From:O} to {To:O}")]
    private static partial void LogErased(ILogger logger, long count, string siteId, DateTimeOffset from, DateTimeOffset to);
}

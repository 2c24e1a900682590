namespace FrancisBeacon;

/// <summary>
/// Deletes stored analytics on request: everything of a site, or a site's hits in a time range (an owner's erasure
/// request, a site being removed, test traffic). Registered by <c>AddBeacon</c>; also reachable over HTTP through the
/// opt-in <c>MapBeaconErasureApi</c>.
/// </summary>
/// <remarks>
/// <para>The store deletes the raw hits in the range and everything it derived from them (for example rollup
/// tables), inside its <see cref="Storage.IHitStore.PurgeAsync"/> (called with
/// <see cref="Storage.HitRange.IncludeDerivedData"/> set). Before that it waits until every hit the beacon accepted
/// before the call is stored (the write queue, a batch being retried, hits replayed from the durable spool at
/// start), so the deletion covers them too; hits accepted after the call are new data. When the store cannot take
/// them within 30 seconds (it is down) the call throws a <see cref="TimeoutException"/> and deletes nothing (over
/// HTTP: <c>503</c> with <c>Retry-After</c>).</para>
/// <para>Every call is logged at Information level with the site, range and count (event id 510).</para>
/// </remarks>
public interface IBeaconDataEraser
{
    /// <summary>Deletes every stored hit of a site.</summary>
    /// <param name="siteId">The site id, as stored (case-sensitive).</param>
    /// <param name="cancellationToken">Cancels the deletion (a store may have deleted part of the range).</param>
    /// <returns>How many hits were deleted.</returns>
    ValueTask<long> EraseSiteAsync(string siteId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a site's hits in the half-open UTC range <c>[start, until)</c>.</summary>
    /// <param name="siteId">The site id, as stored (case-sensitive).</param>
    /// <param name="start">Start, inclusive.</param>
    /// <param name="until">End, exclusive; after <paramref name="start"/>.</param>
    /// <param name="cancellationToken">Cancels the deletion (a store may have deleted part of the range).</param>
    /// <returns>How many hits were deleted.</returns>
    ValueTask<long> EraseAsync(string siteId, DateTimeOffset start, DateTimeOffset until, CancellationToken cancellationToken = default);
}

namespace FrancisBeacon;

/// <summary>
/// Deletes stored analytics on request: everything of a site, or a site's hits in a time range (an owner's erasure
/// request, a site being removed, test traffic). Registered by <c>AddBeacon</c>; also reachable over HTTP through the
/// opt-in <c>MapBeaconErasureApi</c>.
/// </summary>
/// <remarks>
/// <para>The store deletes the raw hits in the range and everything it derived from them (for example rollup
/// tables), inside its <see cref="Storage.IHitStore.PurgeAsync"/> (called with
/// <see cref="Storage.HitRange.IncludeDerivedData"/> set). Hits still waiting in the in-memory queue (at most
/// one <see cref="BeaconOptions.FlushInterval"/>) are written after the call; erase again after that interval to be
/// sure nothing of a removed site remains.</para>
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

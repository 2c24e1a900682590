using FrancisBeacon.Querying;

namespace FrancisBeacon.Storage;

/// <summary>
/// Where hits are kept and aggregated. One instance is a thread-safe singleton.
/// </summary>
/// <remarks>
/// <para>Semantics every implementation keeps (and <c>FrancisBeacon.Testing</c> checks):</para>
/// <list type="bullet">
/// <item>All timestamps are UTC; ranges are half-open <c>[From, To)</c>; day boundaries follow the query's time zone.</item>
/// <item>Appending a hit whose <see cref="Hit.Id"/> the store already holds is a no-op.</item>
/// <item>Text is kept exactly up to <see cref="HitLimits"/>' sizes in bytes of UTF-8; a longer value is stored cut as
/// <see cref="HitText.Truncate(Hit)"/> cuts it (the beacon's pipeline cuts before, a direct caller may not); so are
/// properties more, or longer in characters, than <see cref="HitLimits"/> allows.</item>
/// <item>Answers equal those of <see cref="InMemoryHitStore"/>, the reference, on the same hits.</item>
/// <item>Empty results are empty collections, never <see langword="null"/>.</item>
/// <item>A cancelled token throws <see cref="OperationCanceledException"/>.</item>
/// </list>
/// </remarks>
public interface IHitStore
{
    /// <summary>Stores a batch of hits atomically: all of them or none.</summary>
    ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken);

    /// <summary>Answers a query. Throws <see cref="HitQueryException"/> for an invalid one.</summary>
    ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken);

    /// <summary>Reads raw hits, oldest first (ties by id), for export and for checking round trips.</summary>
    IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken);

    /// <summary>Deletes the hits in a range (retention and erasure requests); returns how many were deleted.</summary>
    /// <remarks>
    /// When <see cref="HitRange.IncludeDerivedData"/> is set (erasure requests, <see cref="IBeaconDataEraser"/>), a
    /// store that keeps anything derived from hits (rollups, caches, materialised views) must also delete or rebuild
    /// that part for the same site and range, in the same call, so that no erased hit can still be counted. Without
    /// it (raw-hit retention) derived data is kept, under its own retention.
    /// </remarks>
    ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken);
}

/// <summary>A set of hits chosen by site and half-open UTC time range <c>[From, To)</c>.</summary>
public sealed record HitRange
{
    /// <summary>The site, or <see langword="null"/> for every site.</summary>
    public string? SiteId { get; init; }

    /// <summary>Start, inclusive. Default: the earliest time.</summary>
    public DateTimeOffset From { get; init; } = DateTimeOffset.MinValue;

    /// <summary>End, exclusive. Default: the latest time.</summary>
    public DateTimeOffset To { get; init; } = DateTimeOffset.MaxValue;

    /// <summary>
    /// Whether data derived from these hits (rollups and the like) goes too: <see langword="true"/> for erasure
    /// requests, <see langword="false"/> (the default) for raw-hit retention, which keeps rollups.
    /// </summary>
    public bool IncludeDerivedData { get; init; }

    /// <summary>Every hit of every site.</summary>
    public static HitRange All { get; } = new();

    /// <summary>Whether a hit falls in this range.</summary>
    public bool Contains(Hit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        return (SiteId is null || string.Equals(hit.SiteId, SiteId, StringComparison.Ordinal)) &&
               hit.Timestamp >= From && hit.Timestamp < To;
    }
}

namespace FrancisBeacon;

/// <summary>What the collection endpoints do with a hit when the write queue is full.</summary>
public enum BeaconQueueFullMode
{
    /// <summary>Answer as usual and drop the hit, counting it in <c>beacon.hits.dropped</c> (what beacons do: the browser never retries).</summary>
    Drop,

    /// <summary>
    /// Answer <c>503 Service Unavailable</c> with <c>Retry-After</c> (<see cref="BeaconOptions.QueueFullRetryAfter"/>), so
    /// a client or load balancer that retries can try again later. The hit is counted as dropped. Hits recorded by
    /// app code and server-side tracking are always dropped, never refused.
    /// </summary>
    Refuse,
}

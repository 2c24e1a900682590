using System.Diagnostics.Metrics;

namespace FrancisBeacon.AspNetCore;

/// <summary>Why a hit was not recorded; the <c>reason</c> tag of <c>beacon.hits.dropped</c>.</summary>
internal static class DropReasons
{
    /// <summary>The queue held <see cref="BeaconOptions.QueueCapacity"/> hits.</summary>
    public const string QueueFull = "queue_full";

    /// <summary>The queue held <see cref="BeaconOptions.QueueMaxBytes"/> of hits.</summary>
    public const string QueueBytes = "queue_bytes";

    /// <summary>The hit arrived after the queue was closed for shutdown.</summary>
    public const string Stopping = "stopping";

    /// <summary>Durable mode could not write the hit to the spool file, so it was not acknowledged as stored.</summary>
    public const string SpoolFailure = "spool_failure";
    public const string UnknownSite = "unknown_site";
    public const string StoreFailure = "store_failure";

    /// <summary>
    /// The store refused this one hit while it took the hits written just before and a re-write of one of them just
    /// after (a value it cannot hold): the hit was set aside so that it does not stop every later write.
    /// </summary>
    public const string StoreRefused = "store_refused";
    public const string GlobalPrivacyControl = "gpc";
    public const string DoNotTrack = "dnt";

    /// <summary>A collection request from a client over its <see cref="BeaconRateLimitOptions"/> limit.</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>A collection request whose query string or body was over its size limit.</summary>
    public const string TooLarge = "too_large";

    /// <summary>A server-side page view whose request was a prefetch or prerender.</summary>
    public const string Prefetch = "prefetch";

    /// <summary>A server-side page view whose confirmation image was not loaded in time.</summary>
    public const string Unconfirmed = "unconfirmed";

    /// <summary>A server-side page view on a page that rendered no confirmation image although one is required.</summary>
    public const string ConfirmationMissing = "confirmation_missing";

    /// <summary>A server-side page view that found the pending set full.</summary>
    public const string ConfirmationOverflow = "confirmation_overflow";
}

/// <summary>
/// The <c>FrancisBeacon</c> meter: hits received, dropped by reason, written, queue length, batch write duration.
/// OpenTelemetry picks it up with <c>AddMeter("FrancisBeacon")</c>.
/// </summary>
internal sealed class BeaconMetrics : IDisposable
{
    public const string MeterName = "FrancisBeacon";

    private readonly Meter _meter;
    private readonly Counter<long> _received;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _written;
    private readonly Histogram<double> _batchDuration;
    private readonly Counter<long> _replayed;
    private long _replayedTotal;
    private long _receivedTotal;
    private long _writtenTotal;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _droppedByReason = new(StringComparer.Ordinal);

    public BeaconMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _received = _meter.CreateCounter<long>("beacon.hits.received", "{hit}", "Hits accepted by the collection endpoints.");
        _dropped = _meter.CreateCounter<long>("beacon.hits.dropped", "{hit}", "Hits not recorded, by reason.");
        _written = _meter.CreateCounter<long>("beacon.hits.written", "{hit}", "Hits written to the store.");
        _replayed = _meter.CreateCounter<long>("beacon.hits.replayed", "{hit}", "Hits replayed from the durable-mode spool at start.");
        _batchDuration = _meter.CreateHistogram<double>("beacon.batch.duration", "s", "Time to write one batch to the store.");
    }

    public void ObserveQueue(Func<int> queueLength, Func<long> queueBytes)
    {
        _meter.CreateObservableGauge("beacon.queue.length", queueLength, "{hit}", "Hits waiting for the writer.");
        _meter.CreateObservableGauge("beacon.queue.bytes", queueBytes, "By", "Estimated memory of the hits waiting for the writer.");
    }

    /// <summary>Counts hits written to the store again from the durable-mode spool at start.</summary>
    public void Replayed(long count)
    {
        Interlocked.Add(ref _replayedTotal, count);
        _replayed.Add(count);
    }

    public long ReplayedTotal => Interlocked.Read(ref _replayedTotal);

    public long ReceivedTotal => Interlocked.Read(ref _receivedTotal);

    public long WrittenTotal => Interlocked.Read(ref _writtenTotal);

    public long DroppedQueueFull => DroppedBy(DropReasons.QueueFull);

    public long DroppedUnknownSite => DroppedBy(DropReasons.UnknownSite);

    public long DroppedStoreFailure => DroppedBy(DropReasons.StoreFailure);

    /// <summary>How many hits were dropped for a reason since start.</summary>
    public long DroppedBy(string reason) => _droppedByReason.TryGetValue(reason, out var n) ? n : 0;

    /// <summary>Every drop reason seen since start with its count.</summary>
    public IReadOnlyDictionary<string, long> DroppedByReason => _droppedByReason.ToDictionary(StringComparer.Ordinal);

    public void Received()
    {
        Interlocked.Increment(ref _receivedTotal);
        _received.Add(1);
    }

    public void Dropped(string reason, long count = 1)
    {
        _droppedByReason.AddOrUpdate(reason, count, (_, n) => n + count);

        _dropped.Add(count, new KeyValuePair<string, object?>("reason", reason));
    }

    public void Written(int count, TimeSpan duration)
    {
        Interlocked.Add(ref _writtenTotal, count);
        _written.Add(count);
        _batchDuration.Record(duration.TotalSeconds);
    }

    public void Dispose() => _meter.Dispose();
}

using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// A queued hit with the memory it was charged; or, when <paramref name="Flushed"/> is set, no hit but a flush marker
/// (<see cref="HitQueue.TryEnqueueFlush"/>), completed by the writer once every hit queued before it is stored.
/// </summary>
internal readonly record struct QueuedHit(Hit Hit, int Bytes, SpoolSegment? Segment = null, TaskCompletionSource? Flushed = null);

/// <summary>Whether <see cref="HitQueue.TryEnqueue"/> took the hit.</summary>
internal enum EnqueueResult
{
    /// <summary>Queued for the writer.</summary>
    Queued,

    /// <summary>Dropped (and counted): the queue is full, stopping, or the spool could not be written.</summary>
    Dropped,

    /// <summary>Not taken because the queue is full and <see cref="BeaconQueueFullMode.Refuse"/> is set (counted as dropped).</summary>
    Refused,
}

/// <summary>
/// The bounded queue between the request thread and the writer. Enqueueing never blocks. A hit holds its place (by
/// count, <see cref="BeaconOptions.QueueCapacity"/>, and by estimated bytes, <see cref="BeaconOptions.QueueMaxBytes"/>)
/// until the writer has stored it (<see cref="Release"/>), so the bound also covers the batch being retried while the
/// store is down. When full, hits are dropped and counted (or refused); the start and the end of each such episode
/// are logged once.
/// </summary>
internal sealed partial class HitQueue : IDisposable
{
    private readonly Channel<QueuedHit> _channel;
    private readonly BeaconMetrics _metrics;
    private readonly ILogger<HitQueue> _logger;
    private readonly HitSpool _spool;
    private long _count;
    private long _bytes;
    private int _overflowing;
    private long _episodeDrops;
    private volatile bool _completed;

    // The writer's wake-up (docs/performance.md, round 6): hits in the channel it has not taken yet, and the count at
    // which it wants to be woken. It sleeps until a batch is full or its flush interval ends instead of being woken by
    // every hit.
    private readonly ManualResetEventSlim _wake = new(false);
    private int _unread;
    private int _wakeAt = int.MaxValue;

    public HitQueue(IOptions<BeaconOptions> options, BeaconMetrics metrics, HitSpool spool, ILogger<HitQueue> logger)
    {
        _spool = spool;
        _metrics = metrics;
        _logger = logger;
        Capacity = options.Value.QueueCapacity;
        MaxBytes = options.Value.QueueMaxBytes;
        RefuseWhenFull = options.Value.QueueFullMode == BeaconQueueFullMode.Refuse;
        _channel = Channel.CreateUnbounded<QueuedHit>(new UnboundedChannelOptions
        {
            SingleReader = true,
            SingleWriter = false,
        });
        metrics.ObserveQueue(() => Count, () => Bytes);
    }

    public int Capacity { get; }

    public long MaxBytes { get; }

    public bool RefuseWhenFull { get; }

    /// <summary>Hits queued or being written.</summary>
    public int Count => (int)Interlocked.Read(ref _count);

    /// <summary>Hits queued and not yet taken by the writer.</summary>
    public int Unread => Volatile.Read(ref _unread);

    /// <summary>The estimated memory of the hits queued or being written.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Whether hits are being turned away right now.</summary>
    public bool Overflowing => Volatile.Read(ref _overflowing) == 1;

    public ChannelReader<QueuedHit> Reader => _channel.Reader;

    /// <summary>Queues a hit, or counts a drop when the queue is full or closed. Never blocks.</summary>
    public EnqueueResult TryEnqueue(Hit hit)
    {
        var size = HitSize.Estimate(hit);
        if (Interlocked.Increment(ref _count) > Capacity)
        {
            Interlocked.Decrement(ref _count);
            return Overflow(DropReasons.QueueFull);
        }

        if (Interlocked.Add(ref _bytes, size) > MaxBytes)
        {
            Interlocked.Add(ref _bytes, -size);
            Interlocked.Decrement(ref _count);
            return Overflow(DropReasons.QueueBytes);
        }

        if (_completed)
        {
            Release(1, size);
            _metrics.Dropped(DropReasons.Stopping);
            return EnqueueResult.Dropped;
        }

        SpoolSegment? segment = null;
        if (_spool.Enabled && (segment = _spool.Append(hit)) is null)
        {
            // Durable mode promises that an acknowledged hit survives a crash: without the spool it cannot.
            Release(1, size);
            _metrics.Dropped(DropReasons.SpoolFailure);
            return RefuseWhenFull ? EnqueueResult.Refused : EnqueueResult.Dropped;
        }

        if (!_channel.Writer.TryWrite(new QueuedHit(hit, size, segment)))
        {
            // Stopping. A spooled hit stays in the spool and is stored at the next start.
            Release(1, size);
            _metrics.Dropped(DropReasons.Stopping);
            return EnqueueResult.Dropped;
        }

        if (Interlocked.Increment(ref _unread) >= Volatile.Read(ref _wakeAt) && Interlocked.Exchange(ref _wakeAt, int.MaxValue) != int.MaxValue)
        {
            _wake.Set();
        }

        _metrics.Received();
        EndEpisodeIfRoomAgain();
        return EnqueueResult.Queued;
    }

    /// <summary>
    /// Queues a flush marker behind every hit queued so far and wakes the writer, which completes
    /// <paramref name="flushed"/> once those hits are stored (a channel keeps its order: every hit whose
    /// <see cref="TryEnqueue"/> returned before this call is ahead of the marker). The marker holds no place in the
    /// queue's bounds. Returns <see langword="false"/> when the queue is closed.
    /// </summary>
    public bool TryEnqueueFlush(TaskCompletionSource flushed)
    {
        if (_completed || !_channel.Writer.TryWrite(new QueuedHit(null!, 0, null, flushed)))
        {
            return false;
        }

        Interlocked.Increment(ref _unread);
        _wake.Set();
        return true;
    }

    /// <summary>
    /// Gives back the places of hits the writer has stored (or given up on). Ends an overflow episode once the queue
    /// has drained to three quarters of its bounds, whether or not another hit arrives: otherwise, after a flood
    /// that stopped while the store was down, the health check would stay Degraded and event 211 would not be
    /// logged until the next hit, however long the queue had been empty.
    /// </summary>
    public void Release(int count, long bytes)
    {
        Interlocked.Add(ref _count, -count);
        Interlocked.Add(ref _bytes, -bytes);
        EndEpisodeIfRoomAgain();
    }

    /// <summary>Closes the queue: later hits are dropped; the writer drains what is in it.</summary>
    public void Complete()
    {
        _completed = true;
        _channel.Writer.TryComplete();
        _wake.Set();
    }

    public void Dispose() => _wake.Dispose();

    /// <summary>Whether <see cref="Complete"/> has been called.</summary>
    public bool IsCompleted => _completed;

    /// <summary>
    /// Takes up to <paramref name="max"/> queued hits into <paramref name="into"/> and returns how many it took. Only
    /// the writer calls this (one reader).
    /// </summary>
    public int Take(List<QueuedHit> into, int max)
    {
        var taken = 0;
        while (taken < max && _channel.Reader.TryRead(out var queued))
        {
            into.Add(queued);
            taken++;
        }

        if (taken > 0)
        {
            Interlocked.Add(ref _unread, -taken);
        }

        return taken;
    }

    /// <summary>
    /// Blocks the writer until at least <paramref name="count"/> hits wait in the queue, the queue is completed, the
    /// timeout passes or <paramref name="cancellationToken"/> is cancelled. Returns whether enough hits (or the end)
    /// arrived. One wake-up per call, however many hits arrive: not one per hit.
    /// </summary>
    public bool WaitForHits(int count, TimeSpan timeout, CancellationToken cancellationToken)
    {
        _wake.Reset();
        // Full fences on both sides (this exchange, the enqueuer's increment): either the enqueuer sees the new
        // threshold and sets the event, or this read sees its hit.
        Interlocked.Exchange(ref _wakeAt, Math.Max(1, count));
        if (Volatile.Read(ref _unread) >= count || _completed)
        {
            Interlocked.Exchange(ref _wakeAt, int.MaxValue);
            return true;
        }

        try
        {
            return _wake.Wait(timeout, cancellationToken) || Volatile.Read(ref _unread) >= count || _completed;
        }
        finally
        {
            Interlocked.Exchange(ref _wakeAt, int.MaxValue);
        }
    }

    /// <summary>
    /// Whether an overflow episode is over: the queue has drained to three quarters of its bounds. Not as soon as one
    /// hit gets in at the limit — a queue hovering at its bound (the writer freeing a place, a hit taking it, the next
    /// one dropped) would otherwise log a new episode for almost every hit that gets through.
    /// </summary>
    private bool HasRoomAgain() => Count <= Capacity - (Capacity / 4) && Bytes <= MaxBytes - (MaxBytes / 4);

    private void EndEpisodeIfRoomAgain()
    {
        if (Volatile.Read(ref _overflowing) == 1 && HasRoomAgain() && Interlocked.Exchange(ref _overflowing, 0) == 1)
        {
            var dropped = Interlocked.Exchange(ref _episodeDrops, 0);
            LogQueueAccepting(_logger, dropped);
        }
    }

    private EnqueueResult Overflow(string reason)
    {
        _metrics.Dropped(reason);
        Interlocked.Increment(ref _episodeDrops);
        if (Volatile.Read(ref _overflowing) == 0 && Interlocked.Exchange(ref _overflowing, 1) == 0)
        {
            // Once per episode, not once per hit.
            LogQueueFull(_logger, reason, Count, Capacity, Bytes, MaxBytes, RefuseWhenFull ? "refused with 503" : "dropped");
        }

        return RefuseWhenFull ? EnqueueResult.Refused : EnqueueResult.Dropped;
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning, Message = "The beacon write queue is full ({Reason}: {Count} of {Capacity} hits, about {Bytes} of {MaxBytes} bytes); new hits are {Action} until the writer catches up")]
    private static partial void LogQueueFull(ILogger logger, string reason, int count, int capacity, long bytes, long maxBytes, string action);

    [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "The beacon write queue accepts hits again; {Dropped} hits were turned away while it was full")]
    private static partial void LogQueueAccepting(ILogger logger, long dropped);
}

/// <summary>Estimates the managed memory a queued hit holds: the object, its strings and its properties.</summary>
internal static class HitSize
{
    // The Hit object (header, 21 references, Guid, DateTimeOffset, longs, nullable int and decimal) and the queue slot.
    private const int Fixed = 320;

    public static int Estimate(Hit hit)
    {
        var size = Fixed + Text(hit.SiteId) + Text(hit.EventName) + Text(hit.Hostname) + Text(hit.Path) + Text(hit.Referrer) +
            Text(hit.ReferrerSource) + Text(hit.Channel) + Text(hit.UtmSource) + Text(hit.UtmMedium) + Text(hit.UtmCampaign) +
            Text(hit.UtmTerm) + Text(hit.UtmContent) + Text(hit.Browser) + Text(hit.BrowserVersion) + Text(hit.OperatingSystem) +
            Text(hit.OperatingSystemVersion) + Text(hit.DeviceType) + Text(hit.Country) + Text(hit.Region) + Text(hit.City) +
            Text(hit.Language) + Text(hit.RevenueCurrency);
        if (hit.Properties.Count > 0)
        {
            size += 96;
            foreach (var (key, value) in hit.Properties)
            {
                size += 24 + Text(key) + Text(value);
            }
        }

        return size;
    }

    // A .NET string: 20 bytes of header and length, two bytes per char, rounded up to 8.
    private static int Text(string? value) => value is null ? 0 : (22 + (2 * value.Length) + 7) & ~7;
}

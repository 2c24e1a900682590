using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The bounded queue between the request thread and the writer. Enqueueing never blocks: when the queue is full
/// the hit is dropped and counted.
/// </summary>
internal sealed class HitQueue
{
    private readonly Channel<Hit> _channel;
    private readonly BeaconMetrics _metrics;

    public HitQueue(IOptions<BeaconOptions> options, BeaconMetrics metrics)
    {
        _metrics = metrics;
        Capacity = options.Value.QueueCapacity;
        _channel = Channel.CreateBounded<Hit>(new BoundedChannelOptions(Capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
        });
        metrics.ObserveQueueLength(() => _channel.Reader.Count);
    }

    public int Capacity { get; }

    public int Count => _channel.Reader.Count;

    public ChannelReader<Hit> Reader => _channel.Reader;

    /// <summary>Queues a hit; returns <see langword="false"/> (and counts a drop) when the queue is full or closed.</summary>
    public bool TryEnqueue(Hit hit)
    {
        if (_channel.Writer.TryWrite(hit))
        {
            _metrics.Received();
            return true;
        }

        _metrics.Dropped(DropReasons.QueueFull);
        return false;
    }

    /// <summary>Closes the queue: later hits are dropped; the writer drains what is in it.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}

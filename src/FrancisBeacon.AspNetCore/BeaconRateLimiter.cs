using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The per-client limit of <see cref="BeaconRateLimitOptions"/>: a fixed-window limiter per masked client address,
/// held in memory (idle partitions are released by <see cref="PartitionedRateLimiter"/>). The partition key is a
/// number made from the masked address; it is never written anywhere.
/// </summary>
internal sealed class BeaconRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<HttpContext>? _limiter;
    private readonly int _ipv4Prefix;
    private readonly int _ipv6Prefix;

    public BeaconRateLimiter(IOptions<BeaconOptions> options)
    {
        var limits = options.Value.RateLimiting;
        Action = limits.Action;
        Window = limits.Window;
        _ipv4Prefix = limits.Ipv4PrefixLength;
        _ipv6Prefix = limits.Ipv6PrefixLength;
        if (limits.Enabled)
        {
            var limiterOptions = new FixedWindowRateLimiterOptions
            {
                PermitLimit = limits.PermitLimit,
                Window = limits.Window,
                QueueLimit = 0,
                AutoReplenishment = true,
            };
            _limiter = PartitionedRateLimiter.Create<HttpContext, UInt128>(
                context => RateLimitPartition.GetFixedWindowLimiter(PartitionKey(context.Connection.RemoteIpAddress), _ => limiterOptions));
        }
    }

    public BeaconRateLimitAction Action { get; }

    public TimeSpan Window { get; }

    /// <summary>Takes one permit for the request's client; <see langword="false"/> when it is over its limit.</summary>
    public bool TryAcquire(HttpContext context)
    {
        if (_limiter is null)
        {
            return true;
        }

        using var lease = _limiter.AttemptAcquire(context);
        return lease.IsAcquired;
    }

    /// <summary>The masked address as a number (IPv4 in the IPv4-mapped range); 0 when there is no address.</summary>
    internal UInt128 PartitionKey(IPAddress? address)
    {
        if (address is null)
        {
            return UInt128.Zero;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        bytes.Clear();
        int prefix;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes[10] = 0xFF;
            bytes[11] = 0xFF;
            address.TryWriteBytes(bytes[12..], out _);
            prefix = 96 + _ipv4Prefix;
        }
        else
        {
            address.TryWriteBytes(bytes, out _);
            prefix = _ipv6Prefix;
        }

        var value = System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(bytes);
        return prefix >= 128 ? value : value & ~(UInt128.MaxValue >> prefix);
    }

    public void Dispose() => _limiter?.Dispose();
}

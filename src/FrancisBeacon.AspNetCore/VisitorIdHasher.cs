using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// Derives the cookie-less visitor id: the first 64 bits of HMAC-SHA256, keyed with the salt of the site's current
/// local day, over (site, client IP or its prefix, user agent). Neither the IP nor the user agent is kept.
/// </summary>
/// <remarks>
/// Salts come from the store when it implements <see cref="IVisitorSaltStore"/> (so every instance agrees) and are
/// cached in memory by <see cref="VisitorSaltRotator"/>; the request thread only reads the cache. A day whose salt
/// is not cached yet (the store was unreachable) gets a local random salt until the rotator syncs with the store.
/// </remarks>
internal sealed class VisitorIdHasher
{
    private readonly TimeProvider _time;
    private readonly int _ipv4Prefix;
    private readonly int _ipv6Prefix;

    public VisitorIdHasher(TimeProvider time, IOptions<BeaconOptions> options)
    {
        _time = time;
        _ipv4Prefix = options.Value.VisitorIpv4PrefixLength;
        _ipv6Prefix = options.Value.VisitorIpv6PrefixLength;
    }

    /// <summary>Salts by site-local day label. Filled by <see cref="VisitorSaltRotator"/>.</summary>
    internal ConcurrentDictionary<DateOnly, byte[]> Salts { get; } = new();

    /// <summary>Days that got a local salt because the store had not given one yet.</summary>
    internal ConcurrentDictionary<DateOnly, bool> LocalOnly { get; } = new();

    public long Compute(string siteId, TimeZoneInfo siteTimeZone, IPAddress? clientIp, string? userAgent)
    {
        var day = TimeZoneSegments.LocalDay(_time.GetUtcNow(), siteTimeZone);
        return Compute(SaltFor(day), siteId, clientIp, userAgent);
    }

    /// <summary>
    /// Today's id, and yesterday's when the site's local time is within <paramref name="linkWindow"/> after midnight
    /// and yesterday's salt is still known (it is never recreated: a missing salt means no link).
    /// </summary>
    /// <remarks>
    /// <paramref name="at"/>: the hit's timestamp, which decides the day when it is at most <paramref name="linkWindow"/>
    /// old: a hit stamped just before the site's midnight and enriched just after it keeps the id of its own day and
    /// gets no link (the clock read here would give it the next day's id and a link into its own day).
    /// </remarks>
    public (long Today, long? Yesterday) ComputeWithPrevious(string siteId, TimeZoneInfo siteTimeZone, IPAddress? clientIp, string? userAgent, TimeSpan linkWindow, DateTimeOffset? at = null)
    {
        var now = _time.GetUtcNow();
        if (at is { } stamped && stamped <= now && now - stamped < linkWindow)
        {
            now = stamped;
        }

        var local = TimeZoneInfo.ConvertTime(now, siteTimeZone);
        var day = DateOnly.FromDateTime(local.DateTime);
        var today = Compute(SaltFor(day), siteId, clientIp, userAgent);
        long? yesterday = null;
        if (local - TimeZoneSegments.StartOfDay(day, siteTimeZone) < linkWindow && Salts.TryGetValue(day.AddDays(-1), out var previousSalt))
        {
            yesterday = Compute(previousSalt, siteId, clientIp, userAgent);
        }

        return (today, yesterday);
    }

    /// <summary>
    /// HMAC-SHA256 over the UTF-8 of <c>site \n masked-IP \n user-agent</c>, written into a stack (or pooled) buffer
    /// rather than a concatenated string: the same bytes, without allocating them on every hit.
    /// </summary>
    internal long Compute(byte[] salt, string siteId, IPAddress? clientIp, string? userAgent)
    {
        const int MaxIpBytes = 96; // an IPv6 address with a scope id is at most 65 characters, all ASCII
        userAgent ??= string.Empty;
        var needed = Encoding.UTF8.GetMaxByteCount(siteId.Length + userAgent.Length) + MaxIpBytes + 2;
        byte[]? rented = null;
        var buffer = needed <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(needed));
        try
        {
            var length = Encoding.UTF8.GetBytes(siteId, buffer);
            buffer[length++] = (byte)'\n';
            if (clientIp is not null)
            {
                var masked = Mask(clientIp);
                if (!masked.TryFormat(buffer.Slice(length, MaxIpBytes), out var written))
                {
                    written = Encoding.UTF8.GetBytes(masked.ToString(), buffer[length..]);
                }

                length += written;
            }

            buffer[length++] = (byte)'\n';
            length += Encoding.UTF8.GetBytes(userAgent, buffer[length..]);
            Span<byte> hash = stackalloc byte[32];
            ThreadHmac.Hash(salt, buffer[..length], hash);
            var id = BinaryPrimitives.ReadInt64LittleEndian(hash);
            return id == 0 ? 1 : id;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private byte[] SaltFor(DateOnly day)
    {
        if (Salts.TryGetValue(day, out var salt))
        {
            return salt;
        }

        var local = RandomNumberGenerator.GetBytes(32);
        if (Salts.TryAdd(day, local))
        {
            LocalOnly[day] = true;
            return local;
        }

        return Salts[day];
    }

    internal IPAddress Mask(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        var prefix = address.AddressFamily == AddressFamily.InterNetwork ? _ipv4Prefix : _ipv6Prefix;
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var count))
        {
            return address; // cannot happen: 16 bytes hold IPv4 and IPv6
        }

        bytes = bytes[..count];
        if (prefix >= bytes.Length * 8)
        {
            return address;
        }

        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return new IPAddress(bytes);
    }
}

/// <summary>
/// HMAC-SHA256 with a keyed <see cref="IncrementalHash"/> kept per thread for the last two salts (today's and, just
/// after midnight, yesterday's). The one-shot <see cref="HMACSHA256.HashData(byte[], byte[])"/> sets up a new
/// OpenSSL context for every call, which cost about as much as the rest of the visitor-id step; a reused one hashes
/// in less than half the CPU time (docs/performance.md, round 4). Same bytes in, same hash out.
/// </summary>
internal static class ThreadHmac
{
    [ThreadStatic]
    private static byte[]? t_firstKey;

    [ThreadStatic]
    private static IncrementalHash? t_first;

    [ThreadStatic]
    private static byte[]? t_secondKey;

    [ThreadStatic]
    private static IncrementalHash? t_second;

    /// <summary>Writes HMAC-SHA256(<paramref name="key"/>, <paramref name="data"/>) into the 32 bytes of <paramref name="hash"/>.</summary>
    /// <remarks>Keys are told apart by reference: a salt array is never changed once it is in use.</remarks>
    public static void Hash(byte[] key, ReadOnlySpan<byte> data, Span<byte> hash)
    {
        IncrementalHash hmac;
        if (ReferenceEquals(t_firstKey, key) && t_first is not null)
        {
            hmac = t_first;
        }
        else if (ReferenceEquals(t_secondKey, key) && t_second is not null)
        {
            hmac = t_second;
        }
        else
        {
            // The least recently created one goes; the other moves to the second place.
            t_second?.Dispose();
            t_second = t_first;
            t_secondKey = t_firstKey;
            hmac = t_first = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            t_firstKey = key;
        }

        hmac.AppendData(data);
        if (!hmac.TryGetHashAndReset(hash, out _))
        {
            throw new ArgumentException("The hash buffer must hold 32 bytes.", nameof(hash));
        }
    }
}

/// <summary>
/// Keeps the daily salts: loads (or creates) the salts of yesterday, today and tomorrow from the store at start and
/// every few minutes, and deletes salts older than yesterday (UTC) from the store and from memory.
/// </summary>
internal sealed partial class VisitorSaltRotator : BackgroundService
{
    private static readonly TimeSpan Period = TimeSpan.FromMinutes(5);
    private readonly VisitorIdHasher _hasher;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger<VisitorSaltRotator> _logger;

    public VisitorSaltRotator(VisitorIdHasher hasher, IServiceProvider services, TimeProvider time, ILogger<VisitorSaltRotator> logger)
    {
        _hasher = hasher;
        _services = services;
        _time = time;
        _logger = logger;
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await SyncAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Period, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            await SyncAsync(stoppingToken);
        }
    }

    internal async Task SyncAsync(CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
        var store = _services.GetService(typeof(IHitStore)) as IVisitorSaltStore;
        try
        {
            // Site-local days run from UTC-12 to UTC+14, so yesterday, today and tomorrow (UTC) cover every zone.
            foreach (var day in new[] { today.AddDays(-1), today, today.AddDays(1) })
            {
                if (store is null)
                {
                    _hasher.Salts.GetOrAdd(day, _ => RandomNumberGenerator.GetBytes(32));
                    continue;
                }

                var candidate = _hasher.Salts.TryGetValue(day, out var known) ? known : RandomNumberGenerator.GetBytes(32);
                var salt = await store.GetOrAddSaltAsync(day, candidate, cancellationToken);
                _hasher.Salts[day] = salt;
                _hasher.LocalOnly.TryRemove(day, out _);
            }

            if (store is not null)
            {
                await store.DeleteSaltsBeforeAsync(today.AddDays(-1), cancellationToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSyncFailed(_logger, ex);
        }

        foreach (var day in _hasher.Salts.Keys)
        {
            if (day < today.AddDays(-1))
            {
                _hasher.Salts.TryRemove(day, out _);
                _hasher.LocalOnly.TryRemove(day, out _);
            }
        }
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Warning, Message = "Could not sync the daily visitor salts with the store; this instance uses local salts until it can")]
    private static partial void LogSyncFailed(ILogger logger, Exception exception);
}

using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// Derives the cookie-less visitor id: the first 64 bits of HMAC-SHA256 keyed with a random salt of the day, over
/// (site, client IP, user agent). The salt lives only in memory and is replaced every UTC day, so an id cannot be
/// recomputed later and neither the IP nor the user agent is ever kept.
/// </summary>
/// <remarks>Salts shared through the store (several app instances, site-local days) come with the enrichment work.</remarks>
internal sealed class VisitorIdHasher
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private DateOnly _saltDay;
    private byte[] _salt = [];

    public VisitorIdHasher(TimeProvider time) => _time = time;

    public long Compute(string siteId, IPAddress? clientIp, string? userAgent)
    {
        var salt = CurrentSalt();
        var text = string.Concat(siteId, "\n", clientIp?.ToString() ?? string.Empty, "\n", userAgent ?? string.Empty);
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes(text), hash);
        var id = BinaryPrimitives.ReadInt64LittleEndian(hash);
        return id == 0 ? 1 : id;
    }

    private byte[] CurrentSalt()
    {
        var today = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
        lock (_gate)
        {
            if (today != _saltDay)
            {
                _salt = RandomNumberGenerator.GetBytes(32);
                _saltDay = today;
            }

            return _salt;
        }
    }
}

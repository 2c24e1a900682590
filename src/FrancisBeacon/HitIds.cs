using System.Buffers.Binary;
using System.Security.Cryptography;

namespace FrancisBeacon;

/// <summary>
/// The default <see cref="Hit.Id"/>: a version 7 GUID (RFC 9562: 48 bits of Unix milliseconds, then 74 random bits),
/// as <see cref="Guid.CreateVersion7()"/> makes it, but with the random bits taken from a per-thread buffer that is
/// refilled from <see cref="RandomNumberGenerator"/> 64 ids at a time.
/// </summary>
/// <remarks>
/// <see cref="Guid.CreateVersion7()"/> gets its random bits from <see cref="Guid.NewGuid"/>, which on Linux reads
/// <c>/dev/urandom</c> with one system call per GUID (the runtime's native shim is built without
/// <c>arc4random_buf</c>): about a microsecond of a beacon request's CPU time under load (docs/performance.md,
/// "Round 5"). The ids are as unique and as time-ordered as before; only the number of system calls changes.
/// </remarks>
internal static class HitIds
{
    private const int IdsPerRefill = 64;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_next;

    /// <summary>A new version 7 GUID for the current time.</summary>
    public static Guid NewVersion7() => NewVersion7(TimeProvider.System.GetUtcNow());

    /// <summary>A new version 7 GUID whose timestamp is <paramref name="now"/> (to the millisecond; before 1970 counts as 1970).</summary>
    public static Guid NewVersion7(DateTimeOffset now)
    {
        var random = t_random;
        var next = t_next;
        if (random is null || next >= IdsPerRefill)
        {
            random = t_random ??= new byte[IdsPerRefill * 10];
            RandomNumberGenerator.Fill(random);
            next = 0;
        }

        t_next = next + 1;
        var bits = random.AsSpan(next * 10, 10);
        Span<byte> bytes = stackalloc byte[16];
        var milliseconds = Math.Max(0, now.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteInt64BigEndian(bytes, milliseconds << 16); // the low 48 bits of the time, in bytes 0-5
        bits.CopyTo(bytes[6..]);
        bytes[6] = (byte)(0x70 | (bytes[6] & 0x0F)); // version 7
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // variant 0b10
        return new Guid(bytes, bigEndian: true);
    }
}

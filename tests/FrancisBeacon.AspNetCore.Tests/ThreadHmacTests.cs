using System.Security.Cryptography;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// The visitor id's HMAC reuses a keyed hash per thread for the last two salts; it must give exactly the one-shot
/// HMAC-SHA256 for any order of keys (two alternating salts after midnight, a third one evicting the oldest).
/// </summary>
public sealed class ThreadHmacTests
{
    [Fact]
    public void Hash_EqualsOneShotHmac_ForAlternatingAndEvictedKeys()
    {
        var random = new Random(7);
        byte[][] keys = [RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), RandomNumberGenerator.GetBytes(32), [1, 2, 3]];
        var sequence = new[] { 0, 0, 1, 0, 1, 1, 2, 0, 2, 3, 1, 3, 3, 0 };
        Span<byte> actual = stackalloc byte[32];
        foreach (var k in sequence)
        {
            var data = new byte[random.Next(0, 3000)];
            random.NextBytes(data);
            ThreadHmac.Hash(keys[k], data, actual);
            Assert.Equal(HMACSHA256.HashData(keys[k], data), actual.ToArray());
        }
    }

    [Fact]
    public async Task Hash_EqualsOneShotHmac_OnManyThreadsAtOnce()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        var other = RandomNumberGenerator.GetBytes(32);
        var tasks = Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            var hash = new byte[32];
            for (var i = 0; i < 500; i++)
            {
                var k = (i + t) % 3 == 0 ? other : key;
                var data = BitConverter.GetBytes((t * 1000) + i);
                ThreadHmac.Hash(k, data, hash);
                Assert.Equal(HMACSHA256.HashData(k, data), hash);
            }
        }, TestContext.Current.CancellationToken));
        await Task.WhenAll(tasks);
    }
}

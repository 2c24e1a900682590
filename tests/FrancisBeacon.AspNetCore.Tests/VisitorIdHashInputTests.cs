using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// The visitor id is hashed from a stack buffer instead of a concatenated string; the ids must stay exactly those of
/// the documented input (<c>site \n masked-IP \n user-agent</c> in UTF-8), or visitors would split at an upgrade.
/// </summary>
public sealed class VisitorIdHashInputTests
{
    public static TheoryData<string, string?, string?, int, int> Inputs => new()
    {
        { "example.com", "203.0.113.77", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", 24, 48 },
        { "example.com", "203.0.113.77", "Mozilla/5.0", 32, 128 },
        { "example.com", "2001:db8:85a3:8d3:1319:8a2e:370:7348", "Mozilla/5.0", 24, 48 },
        { "example.com", "2001:db8:85a3:8d3:1319:8a2e:370:7348", "Mozilla/5.0", 24, 128 },
        { "example.com", "fe80::1ff:fe23:4567:890a%3", "Mozilla/5.0", 24, 128 },
        { "example.com", "::ffff:198.51.100.200", "Mozilla/5.0", 24, 48 },
        { "example.com", "0.0.0.0", null, 24, 48 },
        { "example.com", null, "Mozilla/5.0", 24, 48 },
        { "sité-ünïcode.example", "203.0.113.1", "Mozilla/5.0 (Linux; Android 14) \u00e9\u4e2d\u6587 \ud83d\ude00", 20, 40 },
        { "example.com", "203.0.113.1", "lone surrogate \ud800 here", 24, 48 },
        { "example.com", "203.0.113.1", new string('x', 400) + "\u4e2d" + new string('y', 2000), 24, 48 },
        { new string('s', 700), "2001:db8::1", new string('\u00e9', 300), 24, 48 },
    };

    [Theory]
    [MemberData(nameof(Inputs))]
    public void Compute_AnyInput_EqualsHmacOfTheConcatenatedText(string siteId, string? ip, string? userAgent, int ipv4Prefix, int ipv6Prefix)
    {
        var hasher = new VisitorIdHasher(TimeProvider.System, Options.Create(new BeaconOptions
        {
            VisitorIpv4PrefixLength = ipv4Prefix,
            VisitorIpv6PrefixLength = ipv6Prefix,
        }));
        var salt = RandomNumberGenerator.GetBytes(32);
        var address = ip is null ? null : IPAddress.Parse(ip);

        var expected = Reference(salt, siteId, address is null ? string.Empty : hasher.Mask(address).ToString(), userAgent);

        Assert.Equal(expected, hasher.Compute(salt, siteId, address, userAgent));
    }

    [Fact]
    public void Mask_Ipv4AndIpv6_KeepsOnlyThePrefix()
    {
        var hasher = new VisitorIdHasher(TimeProvider.System, Options.Create(new BeaconOptions
        {
            VisitorIpv4PrefixLength = 20,
            VisitorIpv6PrefixLength = 40,
        }));

        Assert.Equal("203.0.112.0", hasher.Mask(IPAddress.Parse("203.0.127.255")).ToString());
        Assert.Equal("198.51.96.0", hasher.Mask(IPAddress.Parse("::ffff:198.51.100.200")).ToString());
        Assert.Equal("2001:db8:8500::", hasher.Mask(IPAddress.Parse("2001:db8:85a3:8d3::1")).ToString());
    }

    private static long Reference(byte[] salt, string siteId, string maskedIp, string? userAgent)
    {
        var text = string.Concat(siteId, "\n", maskedIp, "\n", userAgent ?? string.Empty);
        var hash = HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes(text));
        var id = BinaryPrimitives.ReadInt64LittleEndian(hash);
        return id == 0 ? 1 : id;
    }
}

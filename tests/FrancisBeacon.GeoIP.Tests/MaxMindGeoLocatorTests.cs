using System.Net;
using FrancisBeacon.Enrichment;
using MaxMind.Db;

namespace FrancisBeacon.GeoIP.Tests;

public sealed class MaxMindGeoLocatorTests : IDisposable
{
    private readonly MaxMindGeoLocator _city = new(GeoIPTestData.City);

    public void Dispose() => _city.Dispose();

    [Theory]
    [InlineData("81.2.69.142", "GB", "GB-ENG", "London")]
    [InlineData("89.160.20.112", "SE", "SE-E", "Linköping")]
    [InlineData("216.160.83.56", "US", "US-WA", "Milton")]
    [InlineData("175.16.199.0", "CN", "CN-22", "Changchun")]
    [InlineData("2.125.160.216", "GB", "GB-ENG", "Boxford")]
    public void Locate_KnownIPv4_ReturnsCountryRegionAndCity(string ip, string country, string region, string city)
    {
        var location = _city.Locate(IPAddress.Parse(ip));

        Assert.Equal(new GeoLocation(country, region, city), location);
    }

    [Fact]
    public void Locate_KnownIPv6_ReturnsCountryRegionAndCity()
    {
        var location = _city.Locate(IPAddress.Parse("2001:480::1"));

        Assert.Equal(new GeoLocation("US", "US-CA", "San Diego"), location);
    }

    [Fact]
    public void Locate_KnownIPv6WithCountryOnly_ReturnsCountry()
    {
        var location = _city.Locate(IPAddress.Parse("2001:218::1"));

        Assert.Equal(new GeoLocation("JP", null, null), location);
    }

    [Fact]
    public void Locate_RecordWithCountryButNoCity_ReturnsCountry()
    {
        var location = _city.Locate(IPAddress.Parse("67.43.156.1"));

        Assert.Equal(new GeoLocation("BT", null, null), location);
    }

    [Fact]
    public void Locate_RecordWithNeitherCountryNorCity_ReturnsNull()
    {
        // 2a02:d500::/29 holds only a continent and a location.
        Assert.Null(_city.Locate(IPAddress.Parse("2a02:d500::1")));
    }

    [Fact]
    public void Locate_IPv4MappedIPv6_IsLookedUpAsIPv4()
    {
        var location = _city.Locate(IPAddress.Parse("::ffff:81.2.69.142"));

        Assert.Equal(new GeoLocation("GB", "GB-ENG", "London"), location);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("2606:4700:4700::1111")]
    public void Locate_AddressNotInDatabase_ReturnsNull(string ip)
    {
        Assert.Null(_city.Locate(IPAddress.Parse(ip)));
    }

    [Theory]
    [InlineData("10.0.0.1")]
    [InlineData("172.16.5.4")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("100.64.0.1")]
    [InlineData("127.0.0.1")]
    [InlineData("169.254.10.20")]
    [InlineData("0.0.0.0")]
    [InlineData("255.255.255.255")]
    [InlineData("224.0.0.251")]
    [InlineData("192.0.2.1")]
    [InlineData("198.51.100.7")]
    [InlineData("203.0.113.9")]
    [InlineData("::")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("ff02::1")]
    [InlineData("2001:db8::1")]
    [InlineData("::ffff:192.168.1.1")]
    [InlineData("::ffff:127.0.0.1")]
    public void Locate_NonGlobalAddress_ReturnsNull(string ip)
    {
        Assert.Null(_city.Locate(IPAddress.Parse(ip)));
    }

    [Theory]
    [InlineData("10.0.0.1", false)]
    [InlineData("9.255.255.255", true)]
    [InlineData("11.0.0.0", true)]
    [InlineData("172.15.255.255", true)]
    [InlineData("172.16.0.0", false)]
    [InlineData("172.32.0.0", true)]
    [InlineData("100.63.255.255", true)]
    [InlineData("100.64.0.0", false)]
    [InlineData("100.127.255.255", false)]
    [InlineData("100.128.0.0", true)]
    [InlineData("169.253.0.1", true)]
    [InlineData("192.0.1.1", true)]
    [InlineData("198.17.0.1", true)]
    [InlineData("198.18.0.1", false)]
    [InlineData("198.19.255.255", false)]
    [InlineData("198.20.0.1", true)]
    [InlineData("223.255.255.255", true)]
    [InlineData("224.0.0.0", false)]
    [InlineData("81.2.69.142", true)]
    [InlineData("fc00::1", false)]
    [InlineData("fbff::1", true)]
    [InlineData("fec0::1", false)]
    [InlineData("2001:db9::1", true)]
    [InlineData("100::1", false)]
    [InlineData("100:0:0:1::1", true)]
    [InlineData("::2", false)]
    [InlineData("2001:480::1", true)]
    public void IsGlobal_RangeEdges_AreClassified(string ip, bool expected)
    {
        Assert.Equal(expected, MaxMindGeoLocator.IsGlobal(IPAddress.Parse(ip)));
    }

    [Fact]
    public void Locate_Null_Throws()
    {
        Assert.Throws<ArgumentNullException>(() => _city.Locate(null!));
    }

    [Fact]
    public void Locate_CountryDatabase_ReturnsCountryOnly()
    {
        using var locator = new MaxMindGeoLocator(GeoIPTestData.Country);

        Assert.Equal(new GeoLocation("GB", null, null), locator.Locate(IPAddress.Parse("81.2.69.142")));
        Assert.Equal(new GeoLocation("US", null, null), locator.Locate(IPAddress.Parse("216.160.83.56")));
    }

    [Theory]
    [InlineData("81.2.69.142")]
    [InlineData("89.160.20.112")]
    [InlineData("216.160.83.56")]
    [InlineData("175.16.199.0")]
    [InlineData("2001:218::1")]
    [InlineData("2001:220::1")]
    [InlineData("2001:480::1")]
    [InlineData("8.8.8.8")]
    public void Locate_BrokenDoubleFormatDatabase_NeverThrows(string ip)
    {
        using var locator = new MaxMindGeoLocator(GeoIPTestData.BrokenDoubleFormat);

        var location = locator.Locate(IPAddress.Parse(ip));

        Assert.True(location is null || location.Country is { Length: 2 });
    }

    [Fact]
    public void Locate_BrokenDoubleFormatDatabase_ReadsThePartsItNeeds()
    {
        // The corrupt doubles sit in "location", which a full decode trips over and the locator skips.
        using var locator = new MaxMindGeoLocator(GeoIPTestData.BrokenDoubleFormat);
        using var reader = new Reader(GeoIPTestData.BrokenDoubleFormat);
        var address = IPAddress.Parse("81.2.69.142");

        Assert.Throws<InvalidDatabaseException>(() => reader.Find<Dictionary<string, object>>(address));
        Assert.Equal(new GeoLocation("GB", "GB-ENG", "London"), locator.Locate(address));
    }

    [Fact]
    public void Constructor_FileIsNotAMaxMindDatabase_Throws()
    {
        Assert.Throws<InvalidDatabaseException>(() => new MaxMindGeoLocator(GeoIPTestData.CitySourceJson));
    }

    [Fact]
    public void Locate_AfterDispose_ReturnsNull()
    {
        var locator = new MaxMindGeoLocator(GeoIPTestData.City);
        locator.Dispose();

        Assert.Null(locator.Locate(IPAddress.Parse("81.2.69.142")));
        locator.Dispose();
    }

    [Fact]
    public async Task Locate_ManyThreadsWhileDisposed_NeverThrows()
    {
        var locator = new MaxMindGeoLocator(GeoIPTestData.City);
        var addresses = new[] { "81.2.69.142", "2001:480::1", "8.8.8.8", "10.0.0.1" }.Select(IPAddress.Parse).ToArray();
        using var started = new CountdownEvent(4);
        var lookups = Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            started.Signal();
            var located = 0;
            for (var i = 0; i < 20_000; i++)
            {
                var location = locator.Locate(addresses[(worker + i) % addresses.Length]);
                if (location is not null)
                {
                    Assert.Contains(location.Country, new[] { "GB", "US" });
                    located++;
                }
            }

            return located;
        })).ToArray();

        started.Wait(TestContext.Current.CancellationToken);
        locator.Dispose();
        await Task.WhenAll(lookups);

        Assert.Null(locator.Locate(addresses[0]));
    }
}

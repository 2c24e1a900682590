using System.Net;
using FrancisBeacon.Enrichment;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.GeoIP.Tests;

/// <summary>Records the public test databases lack, written with <see cref="MmdbWriter"/>.</summary>
public sealed class RecordShapeTests
{
    private static Dictionary<string, object> Map(params (string Key, object Value)[] entries) =>
        entries.ToDictionary(e => e.Key, e => e.Value);

    private static Dictionary<string, object> GeoIP2(string? country, string? subdivision, string? city)
    {
        var record = Map(("continent", Map(("code", "EU"))), ("location", Map(("latitude", 1.5), ("longitude", 2.5))));
        if (country is not null)
        {
            record["country"] = Map(("iso_code", country), ("names", Map(("en", "Somewhere"), ("de", "Irgendwo"))));
        }

        if (subdivision is not null)
        {
            record["subdivisions"] = new List<object> { Map(("iso_code", subdivision)), Map(("iso_code", "XYZ")) };
        }

        if (city is not null)
        {
            record["city"] = Map(("geoname_id", 42u), ("names", Map(("de", "Stadt"), ("en", city))));
        }

        return record;
    }

    private static GeoLocation? LocateIn(MmdbWriter writer, string ip)
    {
        using var database = new TempDatabase(writer);
        using var locator = new MaxMindGeoLocator(database.Path);
        return locator.Locate(IPAddress.Parse(ip));
    }

    [Fact]
    public void Locate_GeoIP2Record_MapsIsoCodesAndEnglishCityName()
    {
        var writer = new MmdbWriter("GeoIP2-City").Add("5.6.7.0/24", GeoIP2("DE", "BY", "Munich"));

        Assert.Equal(new GeoLocation("DE", "DE-BY", "Munich"), LocateIn(writer, "5.6.7.8"));
    }

    [Fact]
    public void Locate_FlatRecord_ReadsCountryCodeAndCityStrings()
    {
        var flat = Map(("country_code", "GB"), ("city", "London"), ("state1", "England"), ("latitude", 51.5), ("postcode", "EC1"));
        var writer = new MmdbWriter("geolite2-city").Add("81.2.69.0/24", flat);

        Assert.Equal(new GeoLocation("GB", null, "London"), LocateIn(writer, "81.2.69.142"));
    }

    [Fact]
    public void Locate_LowerCaseCodes_AreUpperCased()
    {
        var writer = new MmdbWriter("GeoIP2-City").Add("5.6.7.0/24", GeoIP2("de", "by", "Munich"));

        Assert.Equal(new GeoLocation("DE", "DE-BY", "Munich"), LocateIn(writer, "5.6.7.8"));
    }

    [Fact]
    public void Locate_SubdivisionCodeWithCountryPrefix_IsNotPrefixedTwice()
    {
        var writer = new MmdbWriter("GeoIP2-City").Add("5.6.7.0/24", GeoIP2("DE", "DE-BY", null));

        Assert.Equal(new GeoLocation("DE", "DE-BY", null), LocateIn(writer, "5.6.7.8"));
    }

    [Theory]
    [InlineData("GBR")]
    [InlineData("G")]
    [InlineData("1A")]
    [InlineData("ZZ")]
    public void Locate_InvalidOrUnknownCountryCode_LeavesCountryAndRegionOut(string code)
    {
        var writer = new MmdbWriter("GeoIP2-City").Add("5.6.7.0/24", GeoIP2(code, "BY", "Munich"));

        Assert.Equal(new GeoLocation(null, null, "Munich"), LocateIn(writer, "5.6.7.8"));
    }

    [Theory]
    [InlineData("ABCD")]
    [InlineData("B-Y")]
    [InlineData("")]
    public void Locate_InvalidSubdivisionCode_LeavesRegionOut(string code)
    {
        var writer = new MmdbWriter("GeoIP2-City").Add("5.6.7.0/24", GeoIP2("DE", code, "Munich"));

        Assert.Equal(new GeoLocation("DE", null, "Munich"), LocateIn(writer, "5.6.7.8"));
    }

    [Theory]
    [InlineData("Mu\u0000nich", null)]
    [InlineData("  ", null)]
    [InlineData(" Munich ", "Munich")]
    public void Locate_CityName_IsTrimmedAndControlCharactersRejected(string name, string? expected)
    {
        var writer = new MmdbWriter("GeoIP2-City").Add("5.6.7.0/24", GeoIP2("DE", null, name));

        Assert.Equal(new GeoLocation("DE", null, expected), LocateIn(writer, "5.6.7.8"));
    }

    [Fact]
    public void Locate_OverlongCityName_IsCutToTheShortTextLimit()
    {
        var writer = new MmdbWriter("GeoIP2-City").Add("5.6.7.0/24", GeoIP2("DE", null, new string('a', 1000)));

        Assert.Equal(HitLimits.MaxShortTextLength, LocateIn(writer, "5.6.7.8")?.City?.Length);
    }

    [Fact]
    public void Locate_UnexpectedRecordShape_ReturnsNullAndLogsOnceWithoutTheAddress()
    {
        // "country" is a string where a map is expected, and "subdivisions" a map where a list is expected.
        var odd = Map(("country", "DE"), ("subdivisions", Map(("iso_code", "BY"))));
        var writer = new MmdbWriter("GeoIP2-City").Add("5.6.7.0/24", odd);
        using var database = new TempDatabase(writer);
        var logger = new CapturingLogger<MaxMindGeoLocator>();
        using var locator = new MaxMindGeoLocator(database.Path, logger);

        var first = locator.Locate(IPAddress.Parse("5.6.7.8"));
        var second = locator.Locate(IPAddress.Parse("5.6.7.9"));

        Assert.Null(first);
        Assert.Null(second);
        var entry = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains(database.Path, entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("5.6.7", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Locate_IPv4OnlyDatabase_AnswersIPv4AndMappedIPv6AndMissesIPv6()
    {
        var writer = new MmdbWriter("GeoIP2-City", ipVersion: 4).Add("5.6.7.0/24", GeoIP2("DE", "BY", "Munich"));
        using var database = new TempDatabase(writer);
        var logger = new CapturingLogger<MaxMindGeoLocator>();
        using var locator = new MaxMindGeoLocator(database.Path, logger);

        Assert.Equal("Munich", locator.Locate(IPAddress.Parse("5.6.7.8"))?.City);
        Assert.Equal("Munich", locator.Locate(IPAddress.Parse("::ffff:5.6.7.8"))?.City);
        Assert.Null(locator.Locate(IPAddress.Parse("2001:480::1")));
        Assert.Empty(logger.Entries);
    }
}

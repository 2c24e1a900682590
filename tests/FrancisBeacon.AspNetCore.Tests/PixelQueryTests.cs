using Microsoft.AspNetCore.Http;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// The pixel reads <c>u</c>, <c>r</c> and <c>w</c> by one scan of the raw query string instead of the request's query
/// dictionary; each must stay exactly what <c>HttpRequest.Query[name].ToString()</c> gave.
/// </summary>
public sealed class PixelQueryTests
{
    public static TheoryData<string> Queries => new()
    {
        "",
        "?",
        "?u=http%3A%2F%2Flocalhost%2Fpricing%3Futm_source%3Dnewsletter&r=https%3A%2F%2Fwww.google.com%2F&w=1920",
        "?U=upper&R=ref&W=12",
        "?u=a&u=b&r=&r=x&w=1&w=2",
        "?u&r&w",
        "?u=a+b%20c&%75=percent-name&u%3D=x",
        "?uu=no&ur=no&x=u&=u&w=%zz",
        "?&&u=x&&=y&r==z",
        "?u=%E2%82%AC&w=+7",
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public void Read_AnyQuery_GivesWhatRequestQueryGave(string query) => AssertSame(query);

    [Fact]
    public void Read_RandomQueries_GivesWhatRequestQueryGave()
    {
        string[] fragments = ["u", "U", "r", "R", "w", "W", "%75", "x", "", "=", "&", "+", "%20", "%", "a", "b%3Dc", ";", "?", "1920", "http%3A%2F%2Fa.b%2F"];
        var random = new Random(20261128);
        for (var i = 0; i < 5_000; i++)
        {
            var parts = Enumerable.Range(0, random.Next(1, 12)).Select(_ => fragments[random.Next(fragments.Length)]);
            AssertSame("?" + string.Concat(parts));
        }
    }

    [Fact]
    public void Read_RepeatedRawValues_GivesTheSameDecodedStrings()
    {
        // Another instance of the same query: the decoded values come from the cache of raw values, as one string each.
        const string Query = "?u=http%3A%2F%2Flocalhost%2Fcached-page%3Fa%3D1&r=https%3A%2F%2Fcached.example%2F&w=1280";

        var first = PixelQuery.Read(Query);
        var second = PixelQuery.Read(new string(Query));

        Assert.Equal(("http://localhost/cached-page?a=1", "https://cached.example/", "1280"), first);
        Assert.Same(first.Url, second.Url);
        Assert.Same(first.Referrer, second.Referrer);
        Assert.True(PixelQuery.Decoded.TryGet("http%3A%2F%2Flocalhost%2Fcached-page%3Fa%3D1".AsSpan(), out var cached));
        Assert.Same(first.Url, cached);
    }

    [Fact]
    public void Read_RawValueLongerThanTheCacheKeys_IsDecodedEveryTimeAndNotCached()
    {
        var raw = "http%3A%2F%2Flocalhost%2F" + new string('a', PixelQuery.Decoded.MaxKeyLength);

        AssertSame("?u=" + raw);

        Assert.False(PixelQuery.Decoded.TryGet(raw.AsSpan(), out _));
    }

    /// <summary>Reads each query twice (the second time the raw values are in the cache): both must be what the query dictionary gives.</summary>
    private static void AssertSame(string query)
    {
        var request = new DefaultHttpContext().Request;
        request.QueryString = new QueryString(query.Length == 0 ? null : query);

        for (var read = 0; read < 2; read++)
        {
            var (url, referrer, width) = PixelQuery.Read(read == 0 ? request.QueryString.Value : new string(request.QueryString.Value));

            Assert.True(request.Query["u"].ToString() == url, $"u in '{query}', read {read}");
            Assert.True(request.Query["r"].ToString() == referrer, $"r in '{query}', read {read}");
            Assert.True(request.Query["w"].ToString() == width, $"w in '{query}', read {read}");
        }
    }
}

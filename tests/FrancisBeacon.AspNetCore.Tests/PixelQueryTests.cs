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

    private static void AssertSame(string query)
    {
        var request = new DefaultHttpContext().Request;
        request.QueryString = new QueryString(query.Length == 0 ? null : query);

        var (url, referrer, width) = PixelQuery.Read(request.QueryString.Value);

        Assert.True(request.Query["u"].ToString() == url, $"u in '{query}'");
        Assert.True(request.Query["r"].ToString() == referrer, $"r in '{query}'");
        Assert.True(request.Query["w"].ToString() == width, $"w in '{query}'");
    }
}

using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// The campaign parameters are read by a single scan of the query instead of <c>QueryHelpers.ParseQuery</c> and a
/// dictionary; every value must stay what the dictionary gave.
/// </summary>
public sealed class CampaignQueryTests
{
    private static readonly string[] Names =
        ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "ref", "source"];

    public static TheoryData<string> Queries => new()
    {
        "",
        "?",
        "?utm_source=newsletter",
        "?utm_source=newsletter&utm_medium=email&utm_campaign=spring&utm_term=shoes&utm_content=top",
        "?UTM_SOURCE=Upper&utm_source=lower",
        "?utm_source=&utm_source=second",
        "?utm_source=&ref=fallback",
        "?utm_source&ref=x",
        "?ref=&source=s",
        "?ref=a&ref=",
        "?utm%5Fsource=escaped&utm_medium=a+b%20c",
        "?utm_source=%E2%82%AC%20euro&source=%zz",
        "?utm+source=space&utm_source=+",
        "?&&utm_campaign=x&&=y&utm_term==z",
        "?utm_=x&utm_sourcex=y&xutm_source=z&sources=w",
        "?utm_content=a;utm_term=b",
        "?%75tm_medium=percent-u&Ref=Capital",
        "?utm_source=a&utm_source=b&utm_source=",
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public void ParseQuery_AnyQuery_GivesWhatTheDictionaryGave(string query) => AssertSame(query);

    [Fact]
    public void ParseQuery_RandomQueries_GivesWhatTheDictionaryGave()
    {
        string[] fragments =
        [
            "utm_source", "UTM_Source", "utm%5Fmedium", "utm_campaign", "utm_term", "utm_content", "ref", "REF", "source",
            "utm_", "x", "", "=", "&", "+", "%20", "%", "a", "b%3Dc", ";", "?",
        ];
        var random = new Random(20261128);
        for (var i = 0; i < 5_000; i++)
        {
            var parts = Enumerable.Range(0, random.Next(1, 12)).Select(_ => fragments[random.Next(fragments.Length)]);
            AssertSame("?" + string.Concat(parts));
        }
    }

    private static void AssertSame(string query)
    {
        var expected = Reference(query);
        var actual = HitFactory.ParseQuery(query);
        for (var slot = 0; slot < Names.Length; slot++)
        {
            Assert.True(expected.GetValueOrDefault(Names[slot]) == actual.Get(slot), $"{Names[slot]} in '{query}'");
        }
    }

    /// <summary>The implementation before: QueryHelpers' dictionary, keeping the first value of non-empty names.</summary>
    private static Dictionary<string, string> Reference(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(query))
        {
            return result;
        }

        foreach (var (key, values) in QueryHelpers.ParseQuery(query))
        {
            if ((key.StartsWith("utm_", StringComparison.OrdinalIgnoreCase) || key.Equals("ref", StringComparison.OrdinalIgnoreCase) || key.Equals("source", StringComparison.OrdinalIgnoreCase)) &&
                !StringValues.IsNullOrEmpty(values))
            {
                result[key] = values[0]!;
            }
        }

        return result;
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Tests.Querying;

public sealed class QueryRegexTests
{
    [Theory]
    [InlineData(@"(a)\1")]
    [InlineData(@"(?=a)b")]
    [InlineData(@"(?<!a)b")]
    [InlineData(@"(?<name>a)")]
    [InlineData(@"(?>a+)")]
    [InlineData(@"(?i)blog")]
    [InlineData(@"\bword")]
    [InlineData(@"\p{L}")]
    [InlineData(@"[[:alpha:]]")]
    [InlineData(@"a*+")]
    [InlineData(@"a{1000}")]
    [InlineData(@"(a{2,5}){2,5}")]
    [InlineData(@"*a")]
    [InlineData(@"(a")]
    [InlineData(@"a)")]
    [InlineData(@"[a-")]
    [InlineData(@"a{")]
    [InlineData(@"")]
    [InlineData(@"\")]
    public void Parse_OutsideTheSubset_ThrowsNamingFilters(string pattern)
    {
        var e = Assert.Throws<HitQueryException>(() => QueryRegex.Parse(pattern));

        Assert.Equal("filters", e.Field);
    }

    [Fact]
    public void Parse_OverlongPattern_ThrowsNamingFilters()
    {
        var e = Assert.Throws<HitQueryException>(() => QueryRegex.Parse(new string('a', QueryRegex.MaxLength + 1)));

        Assert.Equal("filters", e.Field);
    }

    [Theory]
    [InlineData("^/blog", "/blog/post", true)]
    [InlineData("^/blog", "/about/blog", false)]
    [InlineData("^/(about|pricing)$", "/pricing", true)]
    [InlineData("^/(about|pricing)$", "/pricing/", false)]
    [InlineData("a$", "a\n", false)]
    [InlineData("^/.$", "/😀", true)]
    [InlineData("^/..$", "/😀", false)]
    [InlineData("^/😀+$", "/😀😀", true)]
    [InlineData(@"\d{3}", "/order/123", true)]
    [InlineData(@"\w", "é", false)]
    [InlineData(@"[^a-z]", "é", true)]
    [InlineData(@"^[^a-z]$", "😀", true)]
    [InlineData("a.b", "a\nb", true)]
    [InlineData("Blog", "blog", false)]
    [InlineData(@"\(not set\)", "(not set)", true)]
    [InlineData("^/x{2,3}$", "/xxxx", false)]
    [InlineData("^(ab)*?c", "ababc", true)]
    public void IsMatch_PortableSemantics(string pattern, string value, bool expected)
    {
        Assert.Equal(expected, QueryRegex.Parse(pattern).IsMatch(value));
    }

    [Fact]
    public void IsMatch_CatastrophicPatternForBacktrackers_RunsInLinearTime()
    {
        // (a|a)*b and (a+)+b take exponential time in a backtracking engine on "aaaa…"; NonBacktracking is linear.
        var regex = QueryRegex.Parse("^(a+)+b$");

        Assert.False(regex.IsMatch(new string('a', 2000)));
    }

    [Fact]
    public void Escape_AnyValue_MatchesItLiterally()
    {
        const string value = "/a.b(c)[d]{e}|f*g+h?i^j$k\\l/m-n";

        Assert.True(QueryRegex.Parse("^" + QueryRegex.Escape(value) + "$").IsMatch(value));
        Assert.False(QueryRegex.Parse("^" + QueryRegex.Escape(value) + "$").IsMatch(value + "x"));
    }

    [Theory]
    [InlineData(100, 1)]
    [InlineData(50, 2)]
    public void Parse_RepetitionsTooLargeForTheEngine_ThrowsNamingFilters(int letters, int groups)
    {
        // Within every rule of the subset (under 256 characters, {100} at most, no nesting), yet past the
        // non-backtracking engine's 10 000 nodes: a client's 400, not a NotSupportedException (a 500).
        var pattern = string.Concat(Enumerable.Repeat("(" + new string('a', letters) + "){100}", groups));

        var ex = Assert.Throws<HitQueryException>(() => QueryRegex.Parse(pattern));

        Assert.Equal("filters", ex.Field);
    }

    [Theory]
    [InlineData("((a{50})){50}")]
    [InlineData("((a{10})b){10}")]
    [InlineData("(?:(x(a{2}))){3}")]
    public void Parse_CountedRepetitionNestedThroughAnotherGroup_Throws(string pattern)
    {
        var ex = Assert.Throws<HitQueryException>(() => QueryRegex.Parse(pattern));

        Assert.Contains("may not contain another", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ManyDistinctPatterns_KeepsOnlyABoundedCache()
    {
        // Clients choose the patterns; each compiled one near the size limit holds ~160 KB.
        for (var i = 0; i < 1_000; i++)
        {
            QueryRegex.Parse(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"^/cache-test-{i}$"));
        }

        Assert.InRange(QueryRegex.CachedCount, 1, 256);
    }

    [Fact]
    public void PosixPattern_TranslatesClassesToAscii()
    {
        Assert.Equal("^[A-Za-z0-9_]+[0-9]$", QueryRegex.Parse(@"^\w+\d$").PosixPattern);
    }
    [Theory]
    [InlineData(@"^\/blog\/.*$", "/blog/")]
    [InlineData("^/blog", "/blog")]
    [InlineData(@"^/a\.b$", "/a.b")]
    [InlineData(@"^/x\d", "/x")]
    [InlineData("^/ab?c", "/a")]
    [InlineData("^/ab+", "/a")]
    [InlineData("^/ab*", "/a")]
    [InlineData("^/ab{2}", "/a")]
    [InlineData("^/a.b", "/a")]
    [InlineData("^/a[bc]", "/a")]
    [InlineData("^/b?log", null)]
    [InlineData("^/(a)", null)]
    [InlineData("^/a|^/b", null)]
    [InlineData("^(/a|/b)", null)]
    [InlineData("/blog", null)]
    [InlineData("^/über", null)]
    [InlineData("^/aü", "/a")]
    [InlineData("^", null)]
    public void LiteralPrefix_IsTheFixedAsciiStartOfEveryMatch(string pattern, string? prefix)
    {
        Assert.Equal(prefix, QueryRegex.Parse(pattern).LiteralPrefix);
    }

    /// <summary>Whatever the pattern, a value it matches starts with its literal prefix (the range a store adds is implied).</summary>
    [Fact]
    public void LiteralPrefix_EveryMatchStartsWithIt()
    {
        var random = new Random(20261130);
        const string alphabet = "/ab.c-_";
        string[] patterns = [@"^\/a.*$", "^/ab?", "^/aa+b", "^/a(bc)?", "^/ab*c", @"^/a\.b", "^/a.b", "^/a[b.]c", "^/ab{1,2}c$", @"^/a\-b", "^/a_b"];
        var checkedMatches = 0;
        foreach (var pattern in patterns)
        {
            var regex = QueryRegex.Parse(pattern);
            Assert.NotNull(regex.LiteralPrefix);
            for (var i = 0; i < 3000; i++)
            {
                var value = new string([.. Enumerable.Range(0, random.Next(1, 7)).Select(_ => alphabet[random.Next(alphabet.Length)])]);
                if (regex.IsMatch(value))
                {
                    checkedMatches++;
                    Assert.True(value.StartsWith(regex.LiteralPrefix, StringComparison.Ordinal), $"{pattern} matches {value}, which does not start with {regex.LiteralPrefix}");
                }
            }
        }

        Assert.True(checkedMatches > 100, $"Only {checkedMatches} matching values were generated.");
    }
}

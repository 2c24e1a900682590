namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>The stored language is the first <c>Accept-Language</c> entry, read without splitting the header into arrays.</summary>
public sealed class PrimaryLanguageTests
{
    [Theory]
    [InlineData("en-GB,en;q=0.8", "en-GB")]
    [InlineData("de-DE", "de-DE")]
    [InlineData(" fr-CH ; q=0.9 , fr", "fr-CH")]
    [InlineData("*", null)]
    [InlineData("", null)]
    [InlineData(" ", null)]
    [InlineData(",en", null)]
    [InlineData("x-\u0001-y", null)]
    [InlineData("a-very-long-language-tag-that-is-over-35", null)]
    public void PrimaryLanguage_KnownHeaders(string header, string? expected) =>
        Assert.Equal(expected, HitFactory.PrimaryLanguage(header));

    [Fact]
    public void PrimaryLanguage_RandomHeaders_GivesWhatSplittingGave()
    {
        string[] fragments = ["en", "-GB", ",", ";", "q=0.8", " ", "*", "\t", "\u0085", "\u007F", "de", "x", "\u00A0", "aaaaaaaaaaaa"];
        var random = new Random(20261128);
        for (var i = 0; i < 5_000; i++)
        {
            var header = string.Concat(Enumerable.Range(0, random.Next(0, 8)).Select(_ => fragments[random.Next(fragments.Length)]));
            Assert.True(Reference(header) == HitFactory.PrimaryLanguage(header), $"'{header}'");
        }
    }

    /// <summary>The implementation before.</summary>
    private static string? Reference(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        var first = header.Split(',', 2)[0].Split(';', 2)[0].Trim();
        return first.Length is > 0 and <= 35 && first != "*" && !first.Any(char.IsControl) ? first : null;
    }
}

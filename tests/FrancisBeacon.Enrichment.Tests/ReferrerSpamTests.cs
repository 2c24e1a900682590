namespace FrancisBeacon.Enrichment.Tests;

public sealed class ReferrerSpamTests
{
    [Theory]
    [InlineData("semalt.com")]
    [InlineData("darodar.com")]
    [InlineData("buttons-for-website.com")]
    public void IsSpam_ListedDomain_IsTrue(string host)
    {
        Assert.True(ReferrerSpam.IsSpam(host));
    }

    [Theory]
    [InlineData("www.semalt.com")]
    [InlineData("a.b.c.semalt.com")]
    [InlineData("SEMALT.COM")]
    [InlineData("Www.Semalt.Com")]
    [InlineData("semalt.com.")]
    [InlineData("  semalt.com  ")]
    [InlineData("site1.free-share-buttons.com")]
    [InlineData("ilovevitaly.ru")]
    public void IsSpam_SubdomainOrOtherSpelling_IsTrue(string host)
    {
        Assert.True(ReferrerSpam.IsSpam(host));
    }

    [Theory]
    [InlineData("https://semalt.com/")]
    [InlineData("http://www.semalt.com/path?q=1")]
    public void IsSpam_UrlOfASpamHost_IsTrue(string url)
    {
        Assert.True(ReferrerSpam.IsSpam(url));
    }

    [Theory]
    [InlineData("bücher.example")]
    [InlineData("www.ГЛАВОПТ.РФ")]
    public void IsSpam_UnlistedUnicodeHost_IsFalse(string host)
    {
        Assert.False(ReferrerSpam.IsSpam(host));
    }

    [Theory]
    [InlineData("google.com")]
    [InlineData("www.google.com")]
    [InlineData("news.ycombinator.com")]
    [InlineData("example.org")]
    [InlineData("notsemalt.com")]
    [InlineData("semalt.com.example.org")]
    [InlineData("semalt")]
    [InlineData("com")]
    [InlineData("dienai.ru.example.org")]
    [InlineData("https://www.google.com/search?q=semalt.com")]
    public void IsSpam_OrdinaryHost_IsFalse(string host)
    {
        Assert.False(ReferrerSpam.IsSpam(host));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("semalt com")]
    [InlineData("semalt.com/path")]
    [InlineData("ftp://semalt.com/")]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://")]
    [InlineData("\u0000semalt.com")]
    [InlineData("semalt.com\u0000")]
    [InlineData("\uD800.com")]
    [InlineData("xn--.com")]
    public void IsSpam_NullOrGarbage_IsFalse(string? host)
    {
        Assert.False(ReferrerSpam.IsSpam(host));
    }

    [Fact]
    public void IsSpam_HugeInput_IsFalse()
    {
        Assert.False(ReferrerSpam.IsSpam(new string('a', 100_000) + ".semalt.com"));
        Assert.False(ReferrerSpam.IsSpam(string.Concat(Enumerable.Repeat("a.", 200)) + "semalt.com"));
    }
}

namespace FrancisBeacon.Enrichment.Tests;

/// <summary>
/// Referrer URLs whose host <see cref="Uri"/> parses but refuses to turn into an IDN host (<see cref="Uri.IdnHost"/>
/// throws): the spam check and the classifier treat them as an unknown host instead of throwing.
/// </summary>
public sealed class IdnHostTests
{
    private static readonly string[] Referrers =
    [
        "https://a\uFFFFb.example/",
        "https://\uFFFF/",
        "https://xn--a.example/",
        "https://a\u0000b.example/",
        "https://" + new string('\u00E4', 70) + ".example/",
        "https://\uD800.example/",
        "https://\u202E.example/",
        "https://\u00AD\u00AD/",
        "https://\u200D.example/",
        "https://a..b\u3002example/",
    ];

    public static TheoryData<string> Hosts => new(Referrers);

    [Theory]
    [MemberData(nameof(Hosts))]
    public void IsSpam_RefusedIdnHost_IsFalse(string referrer)
    {
        Assert.False(ReferrerSpam.IsSpam(referrer));
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public void Classify_RefusedIdnHost_DoesNotThrow(string referrer)
    {
        var source = ReferrerClassifier.Classify(new ReferrerSignals { Referrer = referrer, PageHost = "example.com" });
        Assert.NotNull(source);
    }

    [Fact]
    public void IdnHost_AtLeastOneRefused()
    {
        var refused = Referrers.Count(referrer =>
        {
            if (!Uri.TryCreate(referrer, UriKind.Absolute, out var uri))
            {
                return false;
            }

            try
            {
                _ = uri.IdnHost;
                return false;
            }
            catch (UriFormatException)
            {
                return true;
            }
        });
        Assert.True(refused > 0, "none of the test hosts makes Uri.IdnHost throw: the tests above prove nothing");
    }
}

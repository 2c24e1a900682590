using System.Globalization;

namespace FrancisBeacon.Enrichment.Tests;

/// <summary>
/// The measurement the bot detector is held to, over the corpora in Corpus/: at least 98 % of crawler user agents
/// caught by the user-agent rules alone, at most 0.5 % of real browsers wrongly dropped with every rule on.
/// </summary>
public sealed class BotDetectorCorpusTests
{
    private const double MinimumDetectionRate = 0.98;
    private const double MaximumFalsePositiveRate = 0.005;

    /// <summary>Only the user-agent rules: every header heuristic off, so the browser-like headers cannot help.</summary>
    private static readonly BotDetector s_userAgentRulesOnly = new(new BotDetectorOptions
    {
        FlagPrefetch = false,
        FlagMissingAcceptLanguage = false,
        FlagMissingAccept = false,
        FlagSecFetchInconsistency = false,
        FlagClientHintsInconsistency = false,
    });

    [Theory]
    [InlineData(RequestKind.ScriptBeacon)]
    [InlineData(RequestKind.Pixel)]
    [InlineData(RequestKind.Navigation)]
    public void Classify_CrawlerCorpusWithBrowserHeaders_CatchesAtLeast98Percent(RequestKind kind)
    {
        var corpus = Corpus.CrawlerUserAgents;

        var missed = corpus.Where(ua => !s_userAgentRulesOnly.Classify(BrowserHeaders.For(ua, kind)).IsBot).ToList();
        var missedWithAllRules = corpus.Count(ua => !BotDetector.Default.Classify(BrowserHeaders.For(ua, kind)).IsBot);

        var rate = 1 - ((double)missed.Count / corpus.Count);
        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"crawler corpus ({kind}): {corpus.Count - missed.Count}/{corpus.Count} detected by user-agent rules = {rate:P2}; " +
            $"with every rule on: {1 - ((double)missedWithAllRules / corpus.Count):P2}"));
        foreach (var ua in missed)
        {
            output?.WriteLine("  missed: " + ua);
        }

        Assert.True(rate >= MinimumDetectionRate, $"detection rate {rate:P2} is below {MinimumDetectionRate:P0}");
    }

    [Theory]
    [InlineData(RequestKind.ScriptBeacon)]
    [InlineData(RequestKind.Pixel)]
    [InlineData(RequestKind.Navigation)]
    public void Classify_BrowserCorpusWithBrowserHeaders_DropsAtMostHalfAPercent(RequestKind kind)
    {
        var corpus = Corpus.BrowserUserAgents;

        var dropped = corpus
            .Select(ua => (UserAgent: ua, Verdict: BotDetector.Default.Classify(BrowserHeaders.For(ua, kind))))
            .Where(x => x.Verdict.IsBot)
            .ToList();

        var rate = (double)dropped.Count / corpus.Count;
        var output = TestContext.Current.TestOutputHelper;
        output?.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"browser corpus ({kind}): {dropped.Count}/{corpus.Count} wrongly classified as bots = {rate:P3}"));
        foreach (var (ua, verdict) in dropped)
        {
            output?.WriteLine($"  dropped ({verdict.Reason}): {ua}");
        }

        Assert.True(rate <= MaximumFalsePositiveRate, $"false-positive rate {rate:P3} is above {MaximumFalsePositiveRate:P1}");
    }

    [Fact]
    public void Corpus_Files_AreShippedWithTheTests()
    {
        Assert.True(Corpus.CrawlerUserAgents.Count >= 2000, $"crawler corpus has {Corpus.CrawlerUserAgents.Count} lines");
        Assert.True(Corpus.BrowserUserAgents.Count >= 3000, $"browser corpus has {Corpus.BrowserUserAgents.Count} lines");
    }
}

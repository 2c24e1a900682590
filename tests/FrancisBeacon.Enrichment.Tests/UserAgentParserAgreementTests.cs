using System.Globalization;
using System.Text;

namespace FrancisBeacon.Enrichment.Tests;

/// <summary>
/// UserAgentParser against an independent parser: ua-parser-js 1.0.41 (MIT), run by hand over the browser corpus by
/// Corpus/expected.sh, its names mapped to ours. Each field is compared on its own; two unknowns agree. The figures and
/// every disagreement are printed; the thresholds sit a little below the figures measured when the expected file was
/// written (docs/enrichment.md has them, and where the two parsers differ on purpose).
/// </summary>
public sealed class UserAgentParserAgreementTests
{
    /// <summary>Field and minimum agreement in percent. Measured with ua-parser-js 1.0.41: 99.04, 99.64, 100, 98.49, 99.86.</summary>
    public static TheoryData<string, double> Fields => new()
    {
        { "browser", 98.0 },
        { "browser major", 99.0 },
        { "OS", 99.5 },
        { "OS version", 98.0 },
        { "device type", 99.5 },
    };

    [Theory]
    [MemberData(nameof(Fields))]
    public void Parse_BrowserCorpus_AgreesWithUaParserJs(string field, double minimumPercent)
    {
        var rows = Corpus.ExpectedByUaParserJs;
        var disagreements = new Dictionary<(string? Expected, string? Actual), List<string>>();
        var agreed = 0;
        foreach (var row in rows)
        {
            var info = UserAgentParser.Parse(row.UserAgent);
            var (expected, actual) = field switch
            {
                "browser" => (row.Browser, info.Browser),
                "browser major" => (row.BrowserVersion, info.BrowserVersion),
                "OS" => (row.OperatingSystem, info.OperatingSystem),
                "OS version" => (row.OperatingSystemVersion, info.OperatingSystemVersion),
                "device type" => (row.DeviceType, info.DeviceType),
                _ => throw new ArgumentOutOfRangeException(nameof(field)),
            };
            if (expected == actual)
            {
                agreed++;
                continue;
            }

            if (!disagreements.TryGetValue((expected, actual), out var examples))
            {
                disagreements[(expected, actual)] = examples = [];
            }

            examples.Add(row.UserAgent);
        }

        var rate = (double)agreed / rows.Count;
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"{field}: {agreed}/{rows.Count} agree with ua-parser-js = {rate:P2}");
        foreach (var ((expected, actual), examples) in disagreements.OrderByDescending(d => d.Value.Count))
        {
            report.AppendLine(CultureInfo.InvariantCulture, $"  {examples.Count,4} × ua-parser-js '{expected}', ours '{actual}', e.g. {examples[0]}");
        }

        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        Assert.True(rows.Count >= 3000, $"the expected file has {rows.Count} rows");
        Assert.True(rate * 100 >= minimumPercent, $"{field}: agreement {rate:P2} is below {minimumPercent}%\n{report}");
    }

    [Fact]
    public void ExpectedFile_CoversTheWholeBrowserCorpus()
    {
        Assert.Equal(Corpus.BrowserUserAgents, Corpus.ExpectedByUaParserJs.Select(r => r.UserAgent));
    }
}

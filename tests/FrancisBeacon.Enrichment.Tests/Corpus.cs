namespace FrancisBeacon.Enrichment.Tests;

/// <summary>The shipped user-agent corpora; see Corpus/README.md.</summary>
internal static class Corpus
{
    private static readonly Lazy<IReadOnlyList<string>> s_crawlers = new(() => Read("crawler-user-agents.txt"));
    private static readonly Lazy<IReadOnlyList<string>> s_browsers = new(() => Read("browser-user-agents.txt"));
    private static readonly Lazy<IReadOnlyList<ExpectedUserAgent>> s_expected = new(ReadExpected);

    public static IReadOnlyList<string> CrawlerUserAgents => s_crawlers.Value;

    public static IReadOnlyList<string> BrowserUserAgents => s_browsers.Value;

    /// <summary>What ua-parser-js reads from each browser user agent, mapped to our names (Corpus/expected.sh).</summary>
    public static IReadOnlyList<ExpectedUserAgent> ExpectedByUaParserJs => s_expected.Value;

    private static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "Corpus", name);

    private static List<string> Read(string name) =>
        File.ReadAllLines(PathOf(name))
            .Where(line => line.Length > 0)
            .ToList();

    private static List<ExpectedUserAgent> ReadExpected()
    {
        var rows = new List<ExpectedUserAgent>();
        var header = true;
        foreach (var line in File.ReadLines(PathOf("browser-user-agents.expected.tsv")))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (header)
            {
                header = false;
                continue;
            }

            var f = line.Split('\t');
            rows.Add(new ExpectedUserAgent(f[0], OrNull(f[1]), OrNull(f[2]), OrNull(f[3]), OrNull(f[4]), OrNull(f[5])));
        }

        return rows;
    }

    private static string? OrNull(string value) => value.Length == 0 ? null : value;
}

/// <summary>One row of Corpus/browser-user-agents.expected.tsv: the expected fields, <see langword="null"/> when unknown.</summary>
internal sealed record ExpectedUserAgent(
    string UserAgent, string? Browser, string? BrowserVersion, string? OperatingSystem, string? OperatingSystemVersion, string? DeviceType);

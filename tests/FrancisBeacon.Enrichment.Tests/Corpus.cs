namespace FrancisBeacon.Enrichment.Tests;

/// <summary>The shipped user-agent corpora; see Corpus/README.md.</summary>
internal static class Corpus
{
    private static readonly Lazy<IReadOnlyList<string>> s_crawlers = new(() => Read("crawler-user-agents.txt"));
    private static readonly Lazy<IReadOnlyList<string>> s_browsers = new(() => Read("browser-user-agents.txt"));

    public static IReadOnlyList<string> CrawlerUserAgents => s_crawlers.Value;

    public static IReadOnlyList<string> BrowserUserAgents => s_browsers.Value;

    private static List<string> Read(string name) =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Corpus", name))
            .Where(line => line.Length > 0)
            .ToList();
}

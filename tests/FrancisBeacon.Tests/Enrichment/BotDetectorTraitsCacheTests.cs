// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Enrichment;

namespace FrancisBeacon.Tests.Enrichment;

/// <summary>
/// <see cref="BotDetector"/> remembers what its rules read from a user agent alone (<see cref="BotDetector.PatternCache"/>):
/// the remembered traits must be the traits of that user agent, whichever agents came before it.
/// </summary>
public sealed class BotDetectorTraitsCacheTests
{
    private static readonly string[] s_agents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:60.0) Gecko/20100101 Firefox/60.0",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/70.0.3538.102 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
        "curl/8.5.0",
        "Opera/9.80 (Windows NT 6.1) Presto/2.12.388 Version/12.16",
        "SomeApp/1.0",
    ];

    [Fact]
    public void Get_EachUserAgentInTurn_GivesItsOwnTraits()
    {
        for (var round = 0; round < 3; round++)
        {
            foreach (var agent in round == 1 ? s_agents.Reverse() : s_agents)
            {
                var cached = BotDetector.PatternCache.Get(new string(agent.AsSpan())); // another instance of the same text

                Assert.Equal(BotDetector.UserAgentTraits.Of(agent), cached);
            }
        }

        // The traits differ between these agents, so a cache that mixed them up would fail above.
        Assert.Equal(s_agents.Length, s_agents.Select(BotDetector.UserAgentTraits.Of).Distinct().Count());
    }

    [Fact]
    public void Get_SameUserAgentTwice_SameEntry()
    {
        var agent = s_agents[0] + " traits-test";

        Assert.Same(BotDetector.PatternCache.Get(agent), BotDetector.PatternCache.Get(new string(agent.AsSpan())));
    }
}

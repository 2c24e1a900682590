// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Enrichment;

namespace FrancisBeacon.Tests.Enrichment;

public sealed class UserAgentParseCacheTests
{
    private const string Firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    private const string Safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/26.0 Mobile/15E148 Safari/604.1";
    private const string Chrome = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36";

    [Fact]
    public void GetOrParse_SameUserAgentTwice_ParsesOnceAndAgreesWithTheParser()
    {
        var cache = new UserAgentParser.ParseCache(capacity: 8);

        var first = cache.GetOrParse(Firefox);
        var second = cache.GetOrParse(new string(Firefox.AsSpan())); // equal text, another instance

        Assert.Equal(UserAgentParser.ParseUncached(Firefox), first);
        Assert.Equal("Firefox", first.Browser);
        Assert.Same(first, second);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void GetOrParse_MoreDistinctUserAgentsThanCapacity_StaysBoundedAndStillAnswersRight()
    {
        var cache = new UserAgentParser.ParseCache(capacity: 2);
        string[] agents = [Firefox, Safari, Chrome, Firefox + " x", Safari + " y"];

        foreach (var agent in agents)
        {
            Assert.Equal(UserAgentParser.ParseUncached(agent), cache.GetOrParse(agent));
            Assert.InRange(cache.Count, 0, 2);
        }
    }

    [Fact]
    public void Parse_LongerThanMaxLength_SameAsItsFirstMaxLengthCharacters()
    {
        var longAgent = Chrome + new string(' ', UserAgentParser.MaxLength) + "Googlebot";

        Assert.Equal(UserAgentParser.Parse(longAgent[..UserAgentParser.MaxLength]), UserAgentParser.Parse(longAgent));
        Assert.Equal("Chrome", UserAgentParser.Parse(longAgent).Browser);
    }

    [Fact]
    public async Task Parse_ManyThreadsManyAgents_EveryAnswerEqualsTheUncachedParse()
    {
        var agents = Enumerable.Range(0, UserAgentParser.CacheCapacity + 500)
            .Select(i => i % 3 == 0 ? $"{Firefox} build/{i}" : i % 3 == 1 ? $"{Safari} app/{i}" : $"{Chrome} x{i}")
            .ToArray();
        var expected = agents.Select(UserAgentParser.ParseUncached).ToArray();

        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var round = 0; round < 3; round++)
            {
                for (var i = w; i < agents.Length; i += 2)
                {
                    Assert.Equal(expected[i], UserAgentParser.Parse(agents[i]));
                }
            }
        }, TestContext.Current.CancellationToken));

        await Task.WhenAll(workers);
    }
}

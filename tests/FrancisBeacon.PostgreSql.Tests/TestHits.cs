// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Text;
using FrancisBeacon.Storage;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>Hit data for the tests: generated sets, strings at the limits, and a field-by-field comparison.</summary>
internal static class TestHits
{
    public static readonly string[] Sites = ["a.example", "b.example", "c.example"];

    // Chosen so that UTF-16 order, culture order and UTF-8 byte order disagree: upper before lower, accents, a
    // private-use BMP character (U+E000) that UTF-16 sorts after an astral one but UTF-8 sorts before it.
    public static readonly string[] Paths =
    [
        "/", "/about", "/About", "/a", "/B", "/b", "/é", "/e", "/z", "/\uE000", "/😀", "/\uFFFD", "/blog/post-1",
        "/blog/post-2", "/ä", "/Ä",
    ];

    /// <summary>The first spring DST window: Berlin skips 02:00-03:00 local on 2024-03-31 (01:00 UTC).</summary>
    public static readonly DateTimeOffset SpringStart = new(2024, 3, 28, 0, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset SpringEnd = new(2024, 4, 3, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The autumn window: Berlin repeats 02:00-03:00 local on 2024-10-27 (01:00 UTC).</summary>
    public static readonly DateTimeOffset AutumnStart = new(2024, 10, 24, 0, 0, 0, TimeSpan.Zero);

    public static readonly DateTimeOffset AutumnEnd = new(2024, 10, 30, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// <paramref name="count"/> hits over the spring and autumn windows, in 2 or 3 sites, with sub-millisecond
    /// ticks (stores truncate), plus hits exactly on and just before local midnights and DST switches.
    /// </summary>
    public static List<Hit> Generate(int count, int seed, int siteCount = 3)
    {
        var random = new Random(seed);
        var hits = new List<Hit>(count + 64);
        var springTicks = (SpringEnd - SpringStart).Ticks;
        var autumnTicks = (AutumnEnd - AutumnStart).Ticks;
        for (var i = 0; i < count; i++)
        {
            var ts = random.Next(2) == 0
                ? SpringStart.AddTicks(random.NextInt64(springTicks))
                : AutumnStart.AddTicks(random.NextInt64(autumnTicks));
            hits.Add(Make(random, Sites[random.Next(siteCount)], ts));
        }

        // Edges: UTC midnight, Berlin midnight (22:00 or 23:00 UTC), Kolkata midnight (18:30 UTC), DST switches.
        DateTimeOffset[] edges =
        [
            new(2024, 3, 30, 0, 0, 0, TimeSpan.Zero),
            new(2024, 3, 30, 23, 0, 0, TimeSpan.Zero),
            new(2024, 3, 31, 1, 0, 0, TimeSpan.Zero),
            new(2024, 3, 31, 22, 0, 0, TimeSpan.Zero),
            new(2024, 3, 31, 18, 30, 0, TimeSpan.Zero),
            new(2024, 10, 26, 22, 0, 0, TimeSpan.Zero),
            new(2024, 10, 27, 1, 0, 0, TimeSpan.Zero),
            new(2024, 10, 27, 23, 0, 0, TimeSpan.Zero),
            new(2024, 10, 27, 18, 30, 0, TimeSpan.Zero),
        ];
        foreach (var edge in edges)
        {
            for (var s = 0; s < siteCount; s++)
            {
                hits.Add(Make(random, Sites[s], edge));
                hits.Add(Make(random, Sites[s], edge.AddTicks(-1)));
                hits.Add(Make(random, Sites[s], edge.AddMilliseconds(-1)));
            }
        }

        return hits;
    }

    private static Hit Make(Random random, string site, DateTimeOffset ts) => new()
    {
        Id = NewGuid(random),
        SiteId = site,
        Timestamp = ts,
        EventName = random.Next(5) == 0 ? "signup" : Hit.PageviewEvent,
        Hostname = site,
        Path = Paths[random.Next(Paths.Length)],
        VisitorId = random.Next(1, 40),
        Browser = random.Next(2) == 0 ? "Firefox" : null,
        Country = random.Next(3) == 0 ? "DE" : "IN",
        ScreenWidth = random.Next(3) == 0 ? null : random.Next(320, 2560),
    };

    public static Guid NewGuid(Random random)
    {
        var bytes = new byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }

    /// <summary>A string of exactly <paramref name="length"/> UTF-16 units cycling through <paramref name="alphabet"/>, never splitting a surrogate pair.</summary>
    public static string Text(int length, string prefix = "", string alphabet = "aé中😀Z\"\\<>&'\n\t ß")
    {
        var text = new StringBuilder(prefix, length);
        var runes = alphabet.EnumerateRunes().ToArray();
        var i = 0;
        while (text.Length < length)
        {
            var rune = runes[i++ % runes.Length];
            if (text.Length + rune.Utf16SequenceLength > length)
            {
                rune = new Rune('x');
            }

            text.Append(rune.ToString());
        }

        return text.ToString();
    }

    /// <summary>Every field equal, with the timestamp as stores keep it (UTC, whole milliseconds).</summary>
    public static void AssertStored(Hit expected, Hit actual)
    {
        var ticks = expected.Timestamp.UtcTicks;
        var stored = new DateTimeOffset(ticks - (ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
        Assert.Equal(
            expected with { Timestamp = stored, Properties = Hit.EmptyProperties },
            actual with { Properties = Hit.EmptyProperties });
        Assert.Equal(TimeSpan.Zero, actual.Timestamp.Offset);
        Assert.Equal(
            expected.Properties.OrderBy(p => p.Key, StringComparer.Ordinal),
            actual.Properties.OrderBy(p => p.Key, StringComparer.Ordinal));
    }

    public static async Task<List<Hit>> ReadAllAsync(IHitStore store, HitRange? range = null)
    {
        var hits = new List<Hit>();
        await foreach (var hit in store.ReadAsync(range ?? HitRange.All, TestContext.Current.CancellationToken))
        {
            hits.Add(hit);
        }

        return hits;
    }

    public static void AssertSameHits(IReadOnlyList<Hit> expected, IReadOnlyList<Hit> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            AssertStored(expected[i], actual[i]);
        }
    }
}

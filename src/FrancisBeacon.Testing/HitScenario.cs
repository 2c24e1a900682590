// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Testing;

/// <summary>
/// Ready-made hit sets shared by the conformance kit and by store authors' own tests, so that tests read the same
/// way everywhere. Every method returns new hits with new ids unless it says otherwise.
/// </summary>
public static class HitScenario
{
    /// <summary>The second site of <see cref="SmallSite"/>, whose hits must never show up in answers about the first.</summary>
    public const string OtherSiteId = "other.example";

    /// <summary>
    /// Two UTC days of one small site (<see cref="HitBuilder.DefaultSiteId"/>) plus one hit of
    /// <see cref="OtherSiteId"/>, small enough that tests can state the expected answers by hand.
    /// </summary>
    /// <remarks>
    /// <code>
    /// 2025-01-10 09:00:00.000  /          visitor 1  pageview
    /// 2025-01-10 10:00:00.000  /          visitor 2  pageview
    /// 2025-01-10 11:00:00.000  /about     visitor 1  pageview
    /// 2025-01-10 11:30:00.000  /          visitor 1  Signup (custom event)
    /// 2025-01-11 08:00:00.000  /          visitor 3  pageview
    /// 2025-01-11 08:05:00.000  /blog      visitor 3  pageview
    /// 2025-01-11 12:00:00.000  /pricing   visitor 5  Download (custom event)
    /// 2025-01-11 23:59:59.999  /blog      visitor 4  pageview
    /// 2025-01-10 12:00:00.000  /          visitor 1  pageview   (site other.example)
    /// </code>
    /// Over both days: 5 visitors, 6 page views. By page: <c>/</c> 3 visitors and 3 page views, <c>/blog</c> 2 and 2,
    /// <c>/about</c> 1 and 1, <c>/pricing</c> 1 and 0. By day: 2025-01-10 2 visitors and 3 page views, 2025-01-11 3
    /// and 3.
    /// </remarks>
    public static IReadOnlyList<Hit> SmallSite()
    {
        var b = new HitBuilder();
        return
        [
            b.OnPage("/").ByVisitor(1).At(Utc(2025, 1, 10, 9, 0, 0, 0)).Build(),
            b.OnPage("/").ByVisitor(2).At(Utc(2025, 1, 10, 10, 0, 0, 0)).Build(),
            b.OnPage("/about").ByVisitor(1).At(Utc(2025, 1, 10, 11, 0, 0, 0)).Build(),
            b.OnPage("/").WithEvent("Signup").ByVisitor(1).At(Utc(2025, 1, 10, 11, 30, 0, 0)).Build(),
            b.OnPage("/").ByVisitor(3).At(Utc(2025, 1, 11, 8, 0, 0, 0)).Build(),
            b.OnPage("/blog").ByVisitor(3).At(Utc(2025, 1, 11, 8, 5, 0, 0)).Build(),
            b.OnPage("/pricing").WithEvent("Download").ByVisitor(5).At(Utc(2025, 1, 11, 12, 0, 0, 0)).Build(),
            b.OnPage("/blog").ByVisitor(4).At(Utc(2025, 1, 11, 23, 59, 59, 999)).Build(),
            b.ForSite(OtherSiteId).OnPage("/").ByVisitor(1).At(Utc(2025, 1, 10, 12, 0, 0, 0)).Build(),
        ];
    }

    /// <summary>One hit with every field set, properties included, for round-trip tests.</summary>
    public static Hit EveryField() =>
        HitBuilder.CustomEvent("Purchase", "/checkout/done")
            .ForSite("shop.example")
            .WithHostname("www.shop.example")
            .At(Utc(2025, 6, 1, 14, 30, 15, 123))
            .ByVisitor(8_765_432_109_876_543_210)
            .WithReferrer("https://search.example/?q=beacon&lang=en", "Search")
            .WithUtm("newsletter", "email", "summer-sale", "analytics", "banner-2")
            .WithBrowser("Firefox", "128")
            .WithOperatingSystem("Windows", "11")
            .WithDeviceType("Desktop")
            .WithLocation("DE", "DE-BE", "Berlin")
            .WithScreenWidth(1920)
            .WithLanguage("de-DE")
            .WithChannel("Email")
            .WithRevenue(1234.567891m, "EUR")
            .WithPreviousVisitor(-1_234_567_890_123)
            .WithProperty("plan", "pro")
            .WithProperty("amount", "49.90")
            .WithProperty("empty", string.Empty)
            .Build();

    /// <summary>
    /// Hits whose text is hard for databases and drivers: emoji and other characters outside the Basic Multilingual
    /// Plane (surrogate pairs in UTF-16), a ZWJ sequence, right-to-left Hebrew and Arabic, CJK, combining accents next
    /// to their precomposed form, characters U+E000 to U+FFFD, quotes, backslashes and SQL-looking text.
    /// </summary>
    public static IReadOnlyList<Hit> Unicode()
    {
        var b = new HitBuilder().At(Utc(2025, 3, 3, 3, 3, 3, 3));
        return
        [
            b.OnPage("/😀/🇩🇪/👩‍👩‍👧‍👦").ByVisitor(1)
                .WithReferrer("https://例え.jp/パス?q=🔥", "例え")
                .WithLocation("JP", "JP-13", "東京")
                .WithProperty("emoji 🎉", "🎂 \U0001F600 \U0010FFFD")
                .Build(),
            b.OnPage("/עברית/مرحبا").ByVisitor(2)
                .WithLocation("IL", null, "תל אביב-יפו")
                .WithLanguage("he-IL")
                .WithProperty("כיוון", "ימין לשמאל \u200F")
                .WithProperty("عربي", "مرحبا بالعالم")
                .Build(),
            b.OnPage("/café").ByVisitor(3).WithProperty("café", "cafe\u0301").Build(),
            b.OnPage("/cafe\u0301").ByVisitor(4).Build(),
            b.OnPage("/\uE000\uFFFD\uFB01").ByVisitor(5).WithBrowser("Ωmega", "∞").Build(),
            b.OnPage("/it's \"quoted\" \\ back; DROP TABLE hits;--").ByVisitor(6)
                .WithUtm("'; --", "%", "_", "\\", "\t tab and\nnewline \r")
                .Build(),
        ];
    }

    /// <summary>
    /// Hits whose fields are exactly as long as <see cref="HitLimits"/> allows: a path and a referrer of
    /// <see cref="HitLimits.MaxUrlBytes"/> bytes of UTF-8, short text (site id included) of
    /// <see cref="HitLimits.MaxShortTextBytes"/>, <see cref="HitLimits.MaxProperties"/> properties with keys and values
    /// of the longest length in characters, one hit whose maximal path is made of characters outside the Basic
    /// Multilingual Plane (four bytes each) and one whose path and short text are CJK (three bytes each).
    /// </summary>
    public static IReadOnlyList<Hit> AtLimits()
    {
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < HitLimits.MaxProperties; i++)
        {
            var key = Fill(i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture) + "k", HitLimits.MaxPropertyKeyLength);
            properties[key] = Fill("v" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), HitLimits.MaxPropertyValueLength);
        }

        var shortText = Fill("s", HitLimits.MaxShortTextBytes);
        var ascii = new HitBuilder()
            .ForSite(Fill("site.", HitLimits.MaxShortTextBytes))
            .WithHostname(Fill("host.", HitLimits.MaxShortTextBytes))
            .WithEvent(Fill("event", HitLimits.MaxShortTextBytes))
            .OnPage(Fill("/path/", HitLimits.MaxUrlBytes))
            .WithReferrer(Fill("https://referrer.example/", HitLimits.MaxUrlBytes), shortText)
            .WithUtm(shortText, shortText, shortText, shortText, shortText)
            .WithBrowser(shortText, shortText)
            .WithOperatingSystem(shortText, shortText)
            .WithDeviceType(shortText)
            .WithLocation(shortText, shortText, shortText)
            .WithLanguage(shortText)
            .WithScreenWidth(int.MaxValue)
            .WithProperties(properties)
            .At(Utc(2025, 2, 2, 2, 2, 2, 2))
            .Build();
        // 1 + 4 × 255 + 3 = 1,024 bytes.
        var emoji = new HitBuilder()
            .OnPage("/" + string.Concat(Enumerable.Repeat("😀", (HitLimits.MaxUrlBytes - 4) / 4)) + "xyz")
            .WithProperty(Fill("ключ", HitLimits.MaxPropertyKeyLength), string.Concat(Enumerable.Repeat("🎉", HitLimits.MaxPropertyValueLength / 2)))
            .At(Utc(2025, 2, 2, 2, 2, 2, 3))
            .Build();
        // 1 + 3 × 341 = 1,024 bytes; 3 × 85 + 1 = 256.
        var cjkShort = new string('\u6587', HitLimits.MaxShortTextBytes / 3) + "x";
        var cjk = new HitBuilder()
            .OnPage("/" + new string('\u5B57', (HitLimits.MaxUrlBytes - 1) / 3))
            .WithHostname(cjkShort)
            .WithEvent(cjkShort)
            .WithBrowser(cjkShort, cjkShort)
            .At(Utc(2025, 2, 2, 2, 2, 2, 4))
            .Build();
        return [ascii, emoji, cjk];
    }

    /// <summary>One hit whose optional fields are all <see langword="null"/> (screen width included) and which has no properties.</summary>
    public static Hit NullOptionalFields() => new HitBuilder().OnPage("/nulls").At(Utc(2025, 4, 4, 4, 4, 4, 4)).Build();

    /// <summary>One hit whose text fields are all the empty string (except site, event and path), with an empty property value.</summary>
    public static Hit EmptyStrings() =>
        new HitBuilder()
            .OnPage("/empty")
            .WithHostname(string.Empty)
            .WithReferrer(string.Empty, string.Empty)
            .WithUtm(string.Empty, string.Empty, string.Empty, string.Empty, string.Empty)
            .WithBrowser(string.Empty, string.Empty)
            .WithOperatingSystem(string.Empty, string.Empty)
            .WithDeviceType(string.Empty)
            .WithLocation(string.Empty, string.Empty, string.Empty)
            .WithLanguage(string.Empty)
            .WithScreenWidth(0)
            .WithProperty(string.Empty, string.Empty)
            .At(Utc(2025, 5, 5, 5, 5, 5, 5))
            .Build();

    /// <summary>
    /// Hits whose visitor ids are the extremes of <see cref="long"/>: minimum, -1, 0, 1, 2^53 + 1 (which a
    /// <see cref="double"/> cannot hold) and maximum.
    /// </summary>
    public static IReadOnlyList<Hit> ExtremeVisitorIds()
    {
        long[] ids = [long.MinValue, -1, 0, 1, (1L << 53) + 1, long.MaxValue];
        return ids.Select((id, i) => new HitBuilder().OnPage("/v").ByVisitor(id).At(Utc(2025, 7, 7, 7, 7, 7, i)).Build()).ToList();
    }

    /// <summary>
    /// <paramref name="count"/> page views of <see cref="HitBuilder.DefaultSiteId"/>, <paramref name="step"/> apart from
    /// <paramref name="start"/>, over ten pages and 97 recurring visitors.
    /// </summary>
    public static IReadOnlyList<Hit> Many(int count, DateTimeOffset start, TimeSpan step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var b = new HitBuilder();
        var hits = new List<Hit>(count);
        for (var i = 0; i < count; i++)
        {
            hits.Add(b.OnPage("/page/" + (i % 10).ToString(System.Globalization.CultureInfo.InvariantCulture))
                .ByVisitor(i % 97)
                .At(start + (step * i))
                .Build());
        }

        return hits;
    }

    /// <summary>
    /// A realistic, reproducible random hit set for differential tests: <paramref name="count"/> hits of three sites
    /// (two of whose ids differ only in case) from 2024 to 2027, crowded around daylight-saving changes and local
    /// midnights of the time zones the differential tests query in (UTC, Europe/Berlin, America/New_York,
    /// Asia/Kolkata, Asia/Kathmandu, Asia/Beirut, Australia/Lord_Howe, America/Santiago), on pages that include unicode and paths differing only in
    /// case or normalisation, page views and custom events, and visitor ids that repeat a lot. The same seed always
    /// gives the same hits, ids included.
    /// </summary>
    public static IReadOnlyList<Hit> Random(int seed, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        var generator = new RandomHits(random);
        var hits = new List<Hit>(count);
        for (var i = 0; i < count; i++)
        {
            hits.Add(generator.Next());
        }

        return hits;
    }

    internal static DateTimeOffset Utc(int year, int month, int day, int hour, int minute, int second, int millisecond) =>
        new(year, month, day, hour, minute, second, millisecond, TimeSpan.Zero);

    private static string Fill(string prefix, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = i < prefix.Length ? prefix[i] : (char)('a' + (i % 26));
        }

        return new string(chars);
    }

    private sealed class RandomHits
    {
        private static readonly string[] Sites = [HitBuilder.DefaultSiteId, "Example.com", "blog.example"];

        private static readonly string[] Pages =
        [
            "/", "/about", "/About", "/ABOUT", "/blog", "/blog/", "/blog/2025/hello-world", "/pricing", "/search",
            "/café", "/cafe\u0301", "/日本語", "/😀", "/\uE000", "/\uFFFD", "/עברית", "/a b", "/a%20b", "/Ω", "/ω",
            "/" + new string('x', 300),
        ];

        private static readonly string[] CustomEvents = ["Signup", "signup", "Purchase", "404", "Outbound Link: Click"];

        private readonly Random _random;
        private readonly long[] _visitors;
        private readonly DateTimeOffset[] _anchors;

        public RandomHits(Random random)
        {
            _random = random;
            _visitors = new long[60];
            for (var i = 0; i < _visitors.Length; i++)
            {
                _visitors[i] = i switch
                {
                    0 => 0,
                    1 => long.MinValue,
                    2 => long.MaxValue,
                    3 => -1,
                    _ => random.NextInt64(long.MinValue, long.MaxValue),
                };
            }

            _anchors = Anchors();
        }

        public Hit Next()
        {
            var site = Sites[Skewed(Sites.Length)];
            var page = Pages[Skewed(Pages.Length)];
            var isPageview = _random.NextDouble() < 0.8;
            var visitor = _visitors[Skewed(_visitors.Length)];
            var bytes = new byte[16];
            _random.NextBytes(bytes);
            var builder = new HitBuilder()
                .WithId(new Guid(bytes))
                .ForSite(site)
                .OnPage(page)
                .WithEvent(isPageview ? Hit.PageviewEvent : CustomEvents[_random.Next(CustomEvents.Length)])
                .ByVisitor(visitor)
                .At(NextTimestamp());
            if (_random.NextDouble() < 0.15)
            {
                // A link to "yesterday's" id of the same person: some other visitor of the pool.
                builder = builder.WithPreviousVisitor(_visitors[Skewed(_visitors.Length)]).WithChannel("Referral");
            }

            if (_random.NextDouble() < 0.3)
            {
                builder = builder.WithReferrer("https://ref.example/" + _random.Next(5), "ref" + _random.Next(3))
                    .WithScreenWidth(_random.Next(320, 3000))
                    .WithProperty("k" + _random.Next(3), "v" + _random.Next(1000));
            }

            if (!isPageview && bytes[0] % 2 == 0)
            {
                // Revenue in two currencies, with six decimals and the odd refund; drawn from the id's bytes so that the
                // rest of the random stream (and so every other hit) stays as it was.
                var micros = BitConverter.ToInt32(bytes, 4) % 1_000_000_000L;
                builder = builder.WithRevenue(micros / 1_000_000m, bytes[1] % 4 == 0 ? "USD" : "EUR");
            }

            return builder.Build();
        }

        private DateTimeOffset NextTimestamp()
        {
            var start = Utc(2024, 1, 1, 0, 0, 0, 0);
            var end = Utc(2028, 1, 1, 0, 0, 0, 0);
            if (_random.NextDouble() < 0.35)
            {
                return start.AddMilliseconds(_random.NextInt64((long)(end - start).TotalMilliseconds));
            }

            var anchor = _anchors[_random.Next(_anchors.Length)];
            return _random.Next(4) switch
            {
                0 => anchor,
                1 => anchor.AddMilliseconds(-1),
                2 => anchor.AddMilliseconds(_random.Next(-7_200_000, 7_200_000)),
                _ => anchor.AddMilliseconds(_random.NextInt64(-3L * TimeZoneSegments.MillisecondsPerDay, 3L * TimeZoneSegments.MillisecondsPerDay)),
            };
        }

        // Small indexes are much more likely: a few popular pages, sites and visitors, and a long tail.
        private int Skewed(int length) => (int)(Math.Pow(_random.NextDouble(), 2.5) * length);

        private static DateTimeOffset[] Anchors()
        {
            // Offset changes and the local midnights around them, in every zone the random queries use.
            var anchors = new SortedSet<DateTimeOffset>();
            var from = Utc(2024, 1, 1, 0, 0, 0, 0);
            var to = Utc(2028, 1, 1, 0, 0, 0, 0);
            foreach (var zone in RandomQueries.TimeZones)
            {
                foreach (var segment in TimeZoneSegments.Compute(zone, from, to))
                {
                    anchors.Add(segment.StartUtc);
                    var day = TimeZoneSegments.LocalDay(segment.StartUtc, zone);
                    for (var d = -1; d <= 1; d++)
                    {
                        anchors.Add(TimeZoneSegments.StartOfDay(day.AddDays(d), zone));
                    }
                }

                for (var month = 0; month < 48; month += 5)
                {
                    anchors.Add(TimeZoneSegments.StartOfDay(new DateOnly(2024, 1, 1).AddMonths(month), zone));
                }
            }

            return [.. anchors];
        }
    }
}

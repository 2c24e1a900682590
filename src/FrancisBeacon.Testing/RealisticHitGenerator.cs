// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Testing;

/// <summary>
/// Makes a realistic, reproducible stream of hits for one site: Zipf-distributed pages, sources with referrers and
/// channels, UTM campaigns, countries with regions and cities, browsers, operating systems, devices, screen widths,
/// languages, custom events with properties and revenue, and sessions (bounces, multi-page visits, several visits
/// of one visitor a day, visits that run past the site's midnight and link to the previous day's visitor id).
/// </summary>
/// <remarks>
/// <para>Visitor ids follow the beacon's rule: a new id every site-local day (the salt rotates at the site's
/// midnight), and a visit that crosses midnight continues with the new day's id and carries the old one as
/// <see cref="Hit.PreviousVisitorId"/>. The same <see cref="Seed"/> and settings always give the same hits (ids
/// included). Used by the data generator and benchmark in <c>tests/benchmarks</c> and suitable for seeding a demo.</para>
/// </remarks>
public sealed class RealisticHitGenerator
{
    private static readonly (string Country, string Region, string City, string Language, double Weight)[] Places =
    [
        ("US", "US-CA", "San Francisco", "en-US", 9), ("US", "US-NY", "New York", "en-US", 8), ("US", "US-TX", "Austin", "en-US", 4),
        ("US", "US-WA", "Seattle", "en-US", 3), ("DE", "DE-BE", "Berlin", "de-DE", 6), ("DE", "DE-BY", "Munich", "de-DE", 4),
        ("GB", "GB-ENG", "London", "en-GB", 6), ("FR", "FR-IDF", "Paris", "fr-FR", 5), ("NL", "NL-NH", "Amsterdam", "nl-NL", 3),
        ("IN", "IN-KA", "Bengaluru", "en-IN", 5), ("IN", "IN-MH", "Mumbai", "en-IN", 3), ("BR", "BR-SP", "São Paulo", "pt-BR", 3),
        ("JP", "JP-13", "Tokyo", "ja-JP", 3), ("CA", "CA-ON", "Toronto", "en-CA", 3), ("AU", "AU-NSW", "Sydney", "en-AU", 2),
        ("ES", "ES-MD", "Madrid", "es-ES", 2), ("PL", "PL-MZ", "Warsaw", "pl-PL", 2), ("SE", "SE-AB", "Stockholm", "sv-SE", 1.5),
        ("CH", "CH-ZH", "Zürich", "de-CH", 1.5), ("IT", "IT-25", "Milan", "it-IT", 1.5), ("KR", "KR-11", "Seoul", "ko-KR", 1),
        ("MX", "MX-CMX", "Mexico City", "es-MX", 1), ("ZA", "ZA-GP", "Johannesburg", "en-ZA", 0.7), ("NG", "NG-LA", "Lagos", "en-NG", 0.5),
    ];

    private static readonly (string Browser, string[] Versions, string Os, string[] OsVersions, string Device, int[] Widths, double Weight)[] Agents =
    [
        ("Chrome", ["131", "130", "129"], "Windows", ["10", "11"], "Desktop", [1920, 1536, 1366, 2560], 30),
        ("Chrome", ["131", "130"], "Mac", ["14", "15"], "Desktop", [1440, 1512, 1728], 10),
        ("Chrome", ["131", "130", "128"], "Android", ["14", "13", "12"], "Mobile", [412, 393, 360], 18),
        ("Safari", ["18", "17"], "iOS", ["18", "17"], "Mobile", [390, 393, 430], 16),
        ("Safari", ["18", "17"], "Mac", ["14", "15"], "Desktop", [1440, 1512], 6),
        ("Safari", ["18"], "iOS", ["18"], "Tablet", [820, 768, 1024], 3),
        ("Firefox", ["133", "132", "115"], "Windows", ["10", "11"], "Desktop", [1920, 1366], 6),
        ("Firefox", ["133"], "GNU/Linux", ["Ubuntu", "Fedora"], "Desktop", [1920, 2560], 3),
        ("Microsoft Edge", ["131", "130"], "Windows", ["10", "11"], "Desktop", [1920, 1536, 1280], 6),
        ("Samsung Internet", ["26", "25"], "Android", ["14", "13"], "Mobile", [360, 412], 2),
    ];

    private static readonly (string? Referrer, string? Source, string Channel, string? UtmSource, string? UtmMedium, string? UtmCampaign, double Weight)[] Sources =
    [
        (null, null, "Direct", null, null, null, 38),
        ("https://www.google.com/", "Google", "Organic Search", null, null, null, 26),
        ("https://www.bing.com/", "Bing", "Organic Search", null, null, null, 4),
        ("https://duckduckgo.com/", "DuckDuckGo", "Organic Search", null, null, null, 3),
        ("https://news.ycombinator.com/", "Hacker News", "Referral", null, null, null, 4),
        ("https://www.reddit.com/r/dotnet/", "Reddit", "Organic Social", null, null, null, 4),
        ("https://t.co/", "Twitter", "Organic Social", null, null, null, 3),
        ("https://www.linkedin.com/", "LinkedIn", "Organic Social", null, null, null, 2),
        ("https://github.com/", "GitHub", "Referral", null, null, null, 4),
        ("https://stackoverflow.com/questions/", "Stack Overflow", "Referral", null, null, null, 3),
        (null, "newsletter", "Email", "newsletter", "email", "weekly-digest", 4),
        ("https://www.google.com/", "Google", "Paid Search", "google", "cpc", "brand-search", 3),
        ("https://www.facebook.com/", "Facebook", "Paid Social", "facebook", "paid_social", "spring-launch", 2),
    ];

    private static readonly double[] HourWeights =
        [1.2, 0.8, 0.6, 0.5, 0.5, 0.7, 1.2, 2.2, 3.5, 4.6, 5.2, 5.4, 5.1, 5.3, 5.5, 5.4, 5.0, 4.6, 4.0, 3.6, 3.2, 2.8, 2.2, 1.6];

    private readonly string[] _paths;
    private readonly double[] _pathCdf;

    /// <summary>Creates a generator with <paramref name="distinctPaths"/> page paths (Zipf exponent 1.07). Default: 10,000.</summary>
    public RealisticHitGenerator(int distinctPaths = 10_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(distinctPaths, 1);
        _paths = new string[distinctPaths];
        _pathCdf = new double[distinctPaths];
        string[] sections = ["blog", "docs", "guides", "changelog", "integrations", "customers", "careers", "help"];
        var total = 0d;
        for (var i = 0; i < distinctPaths; i++)
        {
            _paths[i] = i switch
            {
                0 => "/",
                1 => "/pricing",
                2 => "/features",
                3 => "/signup",
                4 => "/login",
                5 => "/about",
                6 => "/contact",
                _ => string.Create(CultureInfo.InvariantCulture, $"/{sections[i % sections.Length]}/{PageSlug(i)}"),
            };
            total += 1 / Math.Pow(i + 1, 1.07);
            _pathCdf[i] = total;
        }

        for (var i = 0; i < distinctPaths; i++)
        {
            _pathCdf[i] /= total;
        }
    }

    /// <summary>The site id of the hits. Default: <c>example.com</c>.</summary>
    public string SiteId { get; init; } = "example.com";

    /// <summary>The site's time zone: visitor ids change at its midnight. Default: UTC.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>The seed of the random numbers; the same seed gives the same hits. Default: 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The page paths, most popular first.</summary>
    public IReadOnlyList<string> Paths => _paths;

    /// <summary>
    /// Generates about <paramref name="totalHits"/> hits over the <paramref name="days"/> site-local days that end
    /// with <paramref name="lastDay"/>, day by day, each day in time order. The count per day follows a weekly
    /// rhythm and slow growth; the total is within a few percent of the target.
    /// </summary>
    public IEnumerable<Hit> Generate(long totalHits, int days, DateOnly lastDay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(totalHits, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        var random = new Random(Seed);
        var firstDay = lastDay.AddDays(1 - days);
        var weights = new double[days];
        for (var i = 0; i < days; i++)
        {
            var weekday = firstDay.AddDays(i).DayOfWeek;
            var weekly = weekday is DayOfWeek.Saturday or DayOfWeek.Sunday ? 0.65 : 1.0;
            weights[i] = weekly * (0.75 + (0.5 * i / days)) * (0.9 + (0.2 * random.NextDouble()));
        }

        var weightSum = weights.Sum();
        List<Hit> spill = [];
        for (var i = 0; i < days; i++)
        {
            var day = firstDay.AddDays(i);
            var target = (long)Math.Round(totalHits * weights[i] / weightSum);
            var hits = GenerateDay(random, day, target, spill, out spill);
            foreach (var hit in hits)
            {
                yield return hit;
            }
        }

        foreach (var hit in spill.OrderBy(h => h.Timestamp))
        {
            yield return hit;
        }
    }

    private List<Hit> GenerateDay(Random random, DateOnly day, long target, List<Hit> carried, out List<Hit> spill)
    {
        var start = TimeZoneSegments.StartOfDay(day, TimeZone);
        var end = TimeZoneSegments.StartOfDay(day.AddDays(1), TimeZone);
        if (start == end)
        {
            // A day the zone skipped (Pacific/Apia 2011-12-30) holds no instant: the visits carried into it go on to the
            // next day, unlinked, as the beacon's ids would be (it links only to the day before, which had no hits).
            spill = [.. carried.Select(h => h with { PreviousVisitorId = null })];
            return [];
        }

        var hits = new List<Hit>((int)Math.Min(target + 1000, int.MaxValue / 2));
        hits.AddRange(carried);
        spill = [];
        while (hits.Count < target)
        {
            var visitor = NextId(random);
            var place = Pick(random, Places, p => p.Weight);
            var agent = Pick(random, Agents, a => a.Weight);
            var browserVersion = agent.Versions[random.Next(agent.Versions.Length)];
            var osVersion = agent.OsVersions[random.Next(agent.OsVersions.Length)];
            var width = agent.Widths[random.Next(agent.Widths.Length)];
            var visits = random.NextDouble() < 0.12 ? 2 : 1;
            var cursor = start.AddMilliseconds(PickHour(random) * 3_600_000d + (random.NextDouble() * 3_600_000d));
            for (var v = 0; v < visits && cursor < end; v++)
            {
                var source = Pick(random, Sources, s => s.Weight);
                var pageviews = random.NextDouble() < 0.45 ? 1 : 2 + (int)Math.Min(18, -Math.Log(1 - random.NextDouble()) * 3);
                var id = visitor;
                long? previous = null;
                for (var p = 0; p < pageviews; p++)
                {
                    if (p > 0)
                    {
                        cursor = cursor.AddMilliseconds(5_000 + (-Math.Log(1 - random.NextDouble()) * 55_000));
                    }

                    if (cursor >= end)
                    {
                        // The visit runs past the site's midnight: the new day's id, linked to today's.
                        if (previous is null)
                        {
                            previous = visitor;
                            id = NextId(random);
                        }
                    }

                    var path = p == 0 && random.NextDouble() < 0.3 ? _paths[random.Next(Math.Min(7, _paths.Length))] : PickPath(random);
                    var hit = new Hit
                    {
                        Id = NextGuid(random),
                        SiteId = SiteId,
                        Timestamp = Truncate(cursor),
                        Hostname = SiteId,
                        Path = path,
                        VisitorId = id,
                        PreviousVisitorId = previous,
                        Referrer = source.Referrer,
                        ReferrerSource = source.Source,
                        Channel = source.Channel,
                        UtmSource = source.UtmSource,
                        UtmMedium = source.UtmMedium,
                        UtmCampaign = source.UtmCampaign,
                        Browser = agent.Browser,
                        BrowserVersion = browserVersion,
                        OperatingSystem = agent.Os,
                        OperatingSystemVersion = osVersion,
                        DeviceType = agent.Device,
                        ScreenWidth = width,
                        Country = place.Country,
                        Region = place.Region,
                        City = place.City,
                        Language = place.Language,
                    };
                    (cursor >= end ? spill : hits).Add(hit);
                    if (random.NextDouble() < 0.04)
                    {
                        var custom = CustomEvent(random, hit);
                        if (hit.Timestamp < end && custom.Timestamp >= end)
                        {
                            // Keep the day's id inside the day.
                            custom = custom with { Timestamp = end.AddMilliseconds(-1) };
                        }

                        (custom.Timestamp >= end ? spill : hits).Add(custom);
                    }
                }

                // The next visit of the same visitor starts after a gap of more than the session timeout.
                cursor = cursor.AddMilliseconds(1_900_000 + (random.NextDouble() * 4 * 3_600_000));
            }
        }

        hits.Sort((a, b) => a.Timestamp.CompareTo(b.Timestamp));
        return hits;
    }

    private static Hit CustomEvent(Random random, Hit page)
    {
        var roll = random.NextDouble();
        var at = page.Timestamp.AddMilliseconds(500 + random.Next(20_000));
        if (roll < 0.3)
        {
            var plan = random.NextDouble() < 0.7 ? "pro" : "team";
            return page with
            {
                Id = NextGuid(random), Timestamp = at, EventName = "Purchase",
                RevenueAmount = plan == "pro" ? 29m : 99m, RevenueCurrency = "EUR",
                Properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["plan"] = plan },
            };
        }

        if (roll < 0.6)
        {
            return page with
            {
                Id = NextGuid(random), Timestamp = at, EventName = "Signup",
                Properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["method"] = random.NextDouble() < 0.5 ? "email" : "github" },
            };
        }

        return page with
        {
            Id = NextGuid(random), Timestamp = at, EventName = "Download",
            Properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["file"] = random.NextDouble() < 0.6 ? "setup.exe" : "manual.pdf" },
        };
    }

    private string PickPath(Random random)
    {
        var index = Array.BinarySearch(_pathCdf, random.NextDouble());
        return _paths[Math.Min(index < 0 ? ~index : index, _paths.Length - 1)];
    }

    private static int PickHour(Random random)
    {
        var roll = random.NextDouble() * HourWeights.Sum();
        for (var h = 0; h < HourWeights.Length; h++)
        {
            roll -= HourWeights[h];
            if (roll < 0)
            {
                return h;
            }
        }

        return 23;
    }

    private static T Pick<T>(Random random, T[] items, Func<T, double> weight)
    {
        var roll = random.NextDouble() * items.Sum(weight);
        foreach (var item in items)
        {
            roll -= weight(item);
            if (roll < 0)
            {
                return item;
            }
        }

        return items[^1];
    }

    private static long NextId(Random random) => random.NextInt64(1, long.MaxValue);

    /// <summary>A random version 4 GUID from <paramref name="random"/> (reproducible per seed).</summary>
    internal static Guid NextGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    private static DateTimeOffset Truncate(DateTimeOffset value)
    {
        var ticks = value.UtcTicks;
        return new DateTimeOffset(ticks - (ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    private static string PageSlug(int i)
    {
        string[] words = ["getting-started", "analytics", "privacy", "dotnet", "postgres", "sqlite", "dashboards", "tracking", "release", "tips"];
        return string.Create(CultureInfo.InvariantCulture, $"{words[i % words.Length]}-{words[(i / 10) % words.Length]}-{i}");
    }
}

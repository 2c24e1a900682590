using FrancisBeacon.Enrichment;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Sample;

/// <summary>
/// <c>--seed-demo</c>: eight weeks of made-up but plausible traffic for one site, so the dashboard has something to show.
/// Deterministic: each local day's hits come from a random generator seeded by that day, with ids derived from it, so
/// running the switch again adds nothing twice (the stores ignore a hit id they already have) and only tops up the
/// days (and hours of today) that have passed since.
/// </summary>
internal static class DemoTraffic
{
    public const string Switch = "--seed-demo";
    public const int Days = 56;

    private static readonly (string? Source, string Channel, string? Referrer, int Weight)[] Sources =
    [
        (null, TrafficChannels.Direct, null, 30),
        ("Google", TrafficChannels.OrganicSearch, "https://www.google.com/", 28),
        ("DuckDuckGo", TrafficChannels.OrganicSearch, "https://duckduckgo.com/", 6),
        ("Bing", TrafficChannels.OrganicSearch, "https://www.bing.com/", 4),
        ("Hacker News", TrafficChannels.OrganicSocial, "https://news.ycombinator.com/item?id=4242", 8),
        ("Mastodon", TrafficChannels.OrganicSocial, "https://mastodon.social/@lamps", 5),
        ("GitHub", TrafficChannels.Referral, "https://github.com/francisbeacon/lamps", 5),
        ("Newsletter", TrafficChannels.Email, null, 7),
        ("ChatGPT", TrafficChannels.AiAssistants, "https://chatgpt.com/", 3),
    ];

    private static readonly (string Country, string Region, string City, string Language, int Weight)[] Places =
    [
        ("DE", "DE-BE", "Berlin", "de-DE", 22), ("DE", "DE-BY", "Munich", "de-DE", 10), ("US", "US-CA", "San Francisco", "en-US", 18),
        ("US", "US-NY", "New York", "en-US", 10), ("GB", "GB-ENG", "London", "en-GB", 10), ("FR", "FR-IDF", "Paris", "fr-FR", 8),
        ("NL", "NL-NH", "Amsterdam", "nl-NL", 6), ("JP", "JP-13", "Tokyo", "ja-JP", 5), ("BR", "BR-SP", "São Paulo", "pt-BR", 4),
        ("IN", "IN-KA", "Bengaluru", "en-IN", 4), ("CH", "CH-ZH", "Zürich", "de-CH", 3),
    ];

    private static readonly (string Browser, string Os, string Device, int Width, int Weight)[] Devices =
    [
        ("Chrome", "Windows", "Desktop", 1920, 26), ("Chrome", "macOS", "Desktop", 1512, 10), ("Safari", "macOS", "Desktop", 1440, 9),
        ("Firefox", "Linux", "Desktop", 1366, 7), ("Edge", "Windows", "Desktop", 1536, 6), ("Safari", "iOS", "Mobile", 390, 20),
        ("Chrome", "Android", "Mobile", 412, 16), ("Samsung Internet", "Android", "Mobile", 360, 3), ("Safari", "iOS", "Tablet", 820, 3),
    ];

    private static readonly (string Path, int Weight)[] Pages =
    [
        ("/", 30), ("/pricing", 14), ("/about", 8), ("/lamps/aurora", 10), ("/lamps/nova", 8), ("/lamps/ember", 6),
        ("/blog/privacy-first-analytics", 9), ("/blog/choosing-a-lamp", 6), ("/checkout", 5), ("/contact", 3),
    ];

    /// <summary>Appends the demo traffic of the last <see cref="Days"/> days (up to now) for <paramref name="siteId"/>.</summary>
    public static async Task<int> SeedAsync(IHitStore store, string siteId, string hostname, TimeZoneInfo zone, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
        var hits = new List<Hit>();
        for (var d = Days - 1; d >= 0; d--)
        {
            var day = today.AddDays(-d);
            hits.AddRange(Day(siteId, hostname, zone, day).Where(h => h.Timestamp <= now));
        }

        foreach (var chunk in hits.Chunk(5000))
        {
            await store.AppendAsync(chunk, cancellationToken).ConfigureAwait(false);
        }

        return hits.Count;
    }

    private static IEnumerable<Hit> Day(string siteId, string hostname, TimeZoneInfo zone, DateOnly day)
    {
#pragma warning disable CA5394 // deterministic demo data, not security
        var random = new Random(day.DayNumber);
        var idBytes = new byte[16];
        Guid NextId()
        {
            random.NextBytes(idBytes);
            return new Guid(idBytes);
        }

        // Growth over the weeks, fewer visitors at weekends.
        var weekend = day.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
        var visitors = (int)((weekend ? 45 : 80) * (1 + (day.DayNumber % 97) / 200.0)) + random.Next(0, 25);
        var midnight = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), zone.GetUtcOffset(day.ToDateTime(TimeOnly.MinValue)));
        for (var v = 0; v < visitors; v++)
        {
            var visitorId = random.NextInt64(1, long.MaxValue);
            var source = Pick(random, Sources, s => s.Weight);
            var place = Pick(random, Places, p => p.Weight);
            var device = Pick(random, Devices, x => x.Weight);
            var (utmSource, utmMedium, utmCampaign) = source.Source == "Newsletter" ? ("newsletter", "email", "autumn-sale") : ((string?)null, (string?)null, (string?)null);
            // Daytime-heavy: the hour is the mean of two draws, so nights are quiet.
            var minute = (random.Next(0, 24 * 60) + random.Next(6 * 60, 23 * 60)) / 2;
            var at = midnight.AddMinutes(minute).AddSeconds(random.Next(0, 60));
            var views = random.NextDouble() < 0.4 ? 1 : random.Next(2, 7);
            var path = source.Source == "Hacker News" ? "/blog/privacy-first-analytics" : Pick(random, Pages, p => p.Weight).Path;
            for (var i = 0; i < views; i++)
            {
                var hit = new Hit
                {
                    Id = NextId(), SiteId = siteId, Hostname = hostname, Timestamp = at, Path = path, VisitorId = visitorId,
                    Referrer = i == 0 ? source.Referrer : null, ReferrerSource = source.Source, Channel = source.Channel,
                    UtmSource = utmSource, UtmMedium = utmMedium, UtmCampaign = utmCampaign,
                    Browser = device.Browser, OperatingSystem = device.Os, DeviceType = device.Device, ScreenWidth = device.Width,
                    Country = place.Country, Region = place.Region, City = place.City, Language = place.Language,
                };
                yield return hit;
                if (path.StartsWith("/lamps/", StringComparison.Ordinal) && random.NextDouble() < 0.25)
                {
                    yield return hit with
                    {
                        Id = NextId(), EventName = "Add to cart", Timestamp = at.AddSeconds(20),
                        Properties = new Dictionary<string, string> { ["product"] = path["/lamps/".Length..], ["colour"] = random.NextDouble() < 0.5 ? "warm white" : "amber" },
                    };
                }

                if (path == "/checkout" && random.NextDouble() < 0.5)
                {
                    yield return hit with
                    {
                        Id = NextId(), EventName = "Purchase", Timestamp = at.AddSeconds(40), RevenueAmount = 49 + (10 * random.Next(0, 5)), RevenueCurrency = "EUR",
                        Properties = new Dictionary<string, string> { ["product"] = random.NextDouble() < 0.6 ? "aurora" : "nova", ["payment"] = random.NextDouble() < 0.7 ? "card" : "invoice" },
                    };
                }

                if (path == "/contact" && random.NextDouble() < 0.5)
                {
                    yield return hit with { Id = NextId(), EventName = "Signup", Timestamp = at.AddSeconds(30), Properties = new Dictionary<string, string> { ["plan"] = "newsletter" } };
                }

                at = at.AddSeconds(random.Next(15, 240));
                path = Pick(random, Pages, p => p.Weight).Path;
            }
        }
#pragma warning restore CA5394
    }

    private static T Pick<T>(Random random, T[] items, Func<T, int> weight)
    {
        var total = items.Sum(weight);
#pragma warning disable CA5394
        var n = random.Next(0, total);
#pragma warning restore CA5394
        foreach (var item in items)
        {
            n -= weight(item);
            if (n < 0)
            {
                return item;
            }
        }

        return items[^1];
    }
}

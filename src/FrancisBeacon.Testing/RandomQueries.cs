// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <summary>Random queries and ranges over a random hit set, for the differential tests.</summary>
internal static class RandomQueries
{
    public static IReadOnlyList<string> TimeZoneIds { get; } =
    [
        "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Beirut",
        "Australia/Lord_Howe", "America/Santiago",
    ];

    public static IReadOnlyList<TimeZoneInfo> TimeZones { get; } = [.. TimeZoneIds.Select(FindZone)];

    private static readonly string[] SiteIds = [HitBuilder.DefaultSiteId, "Example.com", "blog.example", "nobody.example"];

    private static readonly HitDimension[][] DimensionSets =
    [
        [], [HitDimension.Page], [HitDimension.Day], [HitDimension.Page, HitDimension.Day], [HitDimension.Day, HitDimension.Page],
        [HitDimension.EventName], [HitDimension.Hostname, HitDimension.Page], [HitDimension.Hour], [HitDimension.Week],
        [HitDimension.Month, HitDimension.EventName], [HitDimension.Property("k1")], [HitDimension.Property("k0"), HitDimension.Day],
        [HitDimension.Property("k2"), HitDimension.Property("k0")],
    ];

    private static readonly HitDimension[][] SessionDimensionSets =
    [
        [], [HitDimension.Day], [HitDimension.EntryPage], [HitDimension.ExitPage], [HitDimension.EntryPage, HitDimension.Day],
        [HitDimension.Day, HitDimension.ExitPage], [HitDimension.EntryPage, HitDimension.ExitPage],
        [HitDimension.Source], [HitDimension.Channel, HitDimension.Screen], [HitDimension.Month], [HitDimension.Week, HitDimension.Source],
        [HitDimension.Hour], [HitDimension.Referrer, HitDimension.EntryPage],
    ];

    private static readonly TimeSpan[] SessionTimeouts = [TimeSpan.FromMinutes(30), TimeSpan.FromMinutes(5), TimeSpan.FromDays(1)];

    public static TimeZoneInfo FindZone(string id) =>
        SiteTimeZones.TryFind(id, out var zone)
            ? zone
            : throw new InvalidOperationException($"The time zone '{id}' is not known on this machine; the conformance kit needs IANA time zone data.");

    public static HitQuery Query(Random random, IReadOnlyList<Hit> hits)
    {
        var zone = TimeZones[random.Next(TimeZones.Count)];
        var siteId = random.Next(10) == 0 ? SiteIds[^1] : SiteIds[random.Next(SiteIds.Length - 1)];
        var (from, to) = Range(random, OfSite(hits, siteId), zone);
        if (random.Next(5) < 2)
        {
            // Sessions: any metrics in any order (at least one), grouped by time and visit dimensions.
            var all = Enum.GetValues<HitMetric>().Where(m => m is not HitMetric.ConversionRate).OrderBy(_ => random.Next()).ToArray();
            var dimensions = SessionDimensionSets[random.Next(SessionDimensionSets.Length)];
            return new HitQuery
            {
                SiteId = siteId,
                From = from,
                To = to,
                TimeZone = zone,
                Metrics = all[..(1 + random.Next(all.Length))],
                Dimensions = dimensions,
                Filter = random.Next(2) == 0 ? RandomFilter(random, hits, 0) : null,
                RevenueCurrency = random.Next(4) == 0 ? "USD" : "EUR",
                SessionTimeout = SessionTimeouts[random.Next(SessionTimeouts.Length)],
                Limit = random.Next(2) == 0 ? null : random.Next(13),
                Offset = random.Next(5) < 3 ? 0 : random.Next(9),
            };
        }

        if (random.Next(8) == 0)
        {
            // Goals: the goal dimension or a goal filter, with conversion rates and percentages; or goal conditions
            // nested under or / not / has_done (no conversion rate then), beside a random filter.
            var byGoal = random.Next(2) == 0;
            var nested = random.Next(3) == 0;
            HitFilter goalFilter = HitFilter.Is(HitDimension.Goal, "Signup", "Visit /blog*");
            if (nested)
            {
                var other = RandomFilter(random, hits, 1);
                goalFilter = random.Next(4) switch
                {
                    0 => HitFilter.Or(HitFilter.Is(HitDimension.Goal, "Purchase"), other),
                    1 => HitFilter.And(HitFilter.Not(HitFilter.Is(HitDimension.Goal, "Signup")), other),
                    2 => HitFilter.HasDone(HitFilter.Is(HitDimension.Goal, "Visit /blog*")),
                    _ => HitFilter.And(other, HitFilter.HasNotDone(HitFilter.Or(HitFilter.Is(HitDimension.Goal, "Signup"), HitFilter.Is(HitDimension.Page, "/")))),
                };
            }

            return new HitQuery
            {
                SiteId = siteId,
                From = from,
                To = to,
                TimeZone = zone,
                Goals = [HitGoal.Event("Signup"), HitGoal.Page("/blog*"), HitGoal.Event("Purchase")],
                Metrics = nested && !byGoal ? [HitMetric.Visitors, HitMetric.Events, HitMetric.Percentage] : [HitMetric.Visitors, HitMetric.ConversionRate, HitMetric.Events, HitMetric.Percentage],
                Dimensions = byGoal ? [HitDimension.Goal] : DimensionSets[random.Next(DimensionSets.Length)],
                Filter = byGoal ? (nested ? goalFilter : null) : goalFilter,
                Limit = random.Next(2) == 0 ? null : random.Next(13),
            };
        }

        HitMetric[] metrics = random.Next(2) == 0 ? [HitMetric.Visitors, HitMetric.Pageviews] : [HitMetric.Pageviews, HitMetric.Visitors];
        var filter = random.Next(3) == 0 ? RandomFilter(random, hits, 0) : null;
        var revenue = random.Next(4) == 0;
        return new HitQuery
        {
            Filter = filter,
            SiteId = siteId,
            From = from,
            To = to,
            TimeZone = zone,
            Metrics = revenue ? [.. metrics, HitMetric.TotalRevenue, HitMetric.AverageRevenue] : random.Next(3) == 0 ? metrics[..1] : metrics,
            RevenueCurrency = random.Next(4) == 0 ? "USD" : "EUR",
            Dimensions = DimensionSets[random.Next(DimensionSets.Length)],
            Limit = random.Next(2) == 0 ? null : random.Next(13),
            Offset = random.Next(5) < 3 ? 0 : random.Next(9),
        };
    }

    private static HitFilter RandomFilter(Random random, IReadOnlyList<Hit> hits, int depth, bool behavior = true)
    {
        var pick = depth < 2 ? random.Next(behavior ? 8 : 7) : random.Next(4);
        if (pick == 7)
        {
            // has_done / has_not_done over a random filter (never nested in another).
            var inner = RandomFilter(random, hits, depth + 1, behavior: false);
            return random.Next(2) == 0 ? HitFilter.HasDone(inner) : HitFilter.HasNotDone(inner);
        }

        if (pick >= 4)
        {
            var children = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => RandomFilter(random, hits, depth + 1, behavior)).ToArray();
            return pick == 4 ? new HitFilterAnd(children) : pick == 5 ? new HitFilterOr(children) : new HitFilterNot(children[0]);
        }

        var dimension = FilterDimensions[random.Next(FilterDimensions.Length)];
        var values = Enumerable.Range(0, 1 + random.Next(3)).Select(_ =>
        {
            var value = hits.Count == 0 ? "/" : FilterValue(dimension, hits[random.Next(hits.Count)]);
            // Sometimes a fragment, so that contains meets partial matches (and surrogate or case look-alikes).
            return random.Next(3) == 0 && value.Length > 2 && !value.Any(char.IsSurrogate) ? value.Substring(random.Next(value.Length / 2), 1 + random.Next(value.Length / 2)) : value;
        }).ToArray();
        if (random.Next(4) == 0)
        {
            // Regular expressions: fixed patterns that meet the random pages, events and properties, plus escaped values.
            var patterns = Enumerable.Range(0, 1 + random.Next(2))
                .Select(_ => random.Next(3) == 0 && values[0].Length <= 100 ? QueryRegex.Escape(values[0]) : Patterns[random.Next(Patterns.Length)])
                .ToArray();
            return new HitFilterCondition(random.Next(2) == 0 ? HitFilterOperator.Matches : HitFilterOperator.MatchesNot, dimension, patterns);
        }

        return new HitFilterCondition((HitFilterOperator)pick, dimension, values) { IgnoreCase = random.Next(4) == 0 };
    }

    private static readonly string[] Patterns =
    [
        "^/blog", "^/(about|About)$", @"\d", "[^a-z/]", "^/.$", "^/..$", "é", "^/a.b$", "[A-Z]", "^/x{3,}", "^/[a-zA-Z]+$",
        @"\w$", @"\s", "^/?$", "Sign(up)?", "^(Signup|Purchase)$", "k[0-2]", "^.{2,4}$", @"\W", "(?:😀|Ω)", "^[^/]", @"[\-_]",
        "caf(e|é)", "^$", @"\.", "ref[0-1]$", "^/.*/.*", "(not set)", @"\(not set\)", "Mobile|Tablet", "o$",
    ];

    // Event and visit dimensions, mixed freely in one tree (visit conditions are judged on the hit's session).
    private static readonly HitDimension[] FilterDimensions =
    [
        HitDimension.Page, HitDimension.EventName, HitDimension.Hostname, HitDimension.Page, HitDimension.EventName,
        HitDimension.Source, HitDimension.Channel, HitDimension.Referrer, HitDimension.Screen, HitDimension.EntryPage,
        HitDimension.ExitPage, HitDimension.Property("k0"), HitDimension.Property("k2"),
    ];

    private static string FilterValue(HitDimension dimension, Hit hit) =>
        dimension == HitDimension.EntryPage || dimension == HitDimension.ExitPage ? hit.Path : dimension.ValueOf(hit);

    public static HitRange HitRange(Random random, IReadOnlyList<Hit> hits)
    {
        var siteId = random.Next(4) == 0 ? null : SiteIds[random.Next(SiteIds.Length)];
        var (from, to) = Range(random, siteId is null ? hits : OfSite(hits, siteId), TimeZones[random.Next(TimeZones.Count)]);
        return new HitRange { SiteId = siteId, From = from, To = to };
    }

    // Ranges are built around hits of the asked site (when it has any), so that their edges meet hits that count.
    private static IReadOnlyList<Hit> OfSite(IReadOnlyList<Hit> hits, string siteId)
    {
        var ofSite = hits.Where(h => string.Equals(h.SiteId, siteId, StringComparison.Ordinal)).ToList();
        return ofSite.Count > 0 ? ofSite : hits;
    }

    public static string Describe(HitQuery query) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"site={query.SiteId} from={query.From:O} to={query.To:O} zone={query.TimeZone.Id} metrics=[{string.Join(", ", query.Metrics)}] " +
            $"dimensions=[{string.Join(", ", query.Dimensions)}] limit={query.Limit?.ToString(CultureInfo.InvariantCulture) ?? "none"} offset={query.Offset} session_timeout={query.SessionTimeout} filter={query.Filter}");

    public static string Describe(HitRange range) =>
        string.Create(CultureInfo.InvariantCulture, $"site={range.SiteId ?? "(all)"} from={range.From:O} to={range.To:O}");

    private static (DateTimeOffset From, DateTimeOffset To) Range(Random random, IReadOnlyList<Hit> hits, TimeZoneInfo zone)
    {
        DateTimeOffset RandomHitTime() => hits.Count == 0 ? Day(2025, 1, 1) : hits[random.Next(hits.Count)].Timestamp;

        switch (random.Next(7))
        {
            case 0:
                // Everything, and more.
                return (Day(2023, 12, 25), Day(2028, 1, 5));
            case 1:
            {
                // Whole local days in the query's zone, starting near a hit.
                var first = TimeZoneSegments.LocalDay(RandomHitTime(), zone).AddDays(-random.Next(3));
                var last = first.AddDays(random.Next(random.Next(2) == 0 ? 3 : 60));
                return (TimeZoneSegments.StartOfDay(first, zone), TimeZoneSegments.StartOfDay(last.AddDays(1), zone));
            }

            case 2:
            {
                // Both ends exactly on hits, so edge inclusion matters.
                var a = RandomHitTime();
                var b = RandomHitTime();
                return a <= b ? (a, b) : (b, a);
            }

            case 3:
            {
                // Empty: both ends on the same instant, often a hit.
                var at = random.Next(2) == 0 ? RandomHitTime() : Day(2025, 6, 1).AddMilliseconds(random.Next());
                return (at, at);
            }

            case 4:
            {
                // One millisecond: exactly one instant.
                var at = RandomHitTime();
                return (at, at.AddMilliseconds(1));
            }

            case 5:
            {
                // A sub-day window around a hit.
                var at = RandomHitTime().AddMilliseconds(-random.Next(3_600_000));
                return (at, at.AddMilliseconds(random.Next(1, 12 * 3_600_000)));
            }

            default:
            {
                // Arbitrary instants over the years.
                var a = Day(2024, 1, 1).AddMilliseconds(random.NextInt64(4L * 365 * TimeZoneSegments.MillisecondsPerDay));
                var b = a.AddMilliseconds(random.NextInt64(400L * TimeZoneSegments.MillisecondsPerDay));
                return (a, b);
            }
        }
    }

    private static DateTimeOffset Day(int year, int month, int day) => new(year, month, day, 0, 0, 0, TimeSpan.Zero);
}

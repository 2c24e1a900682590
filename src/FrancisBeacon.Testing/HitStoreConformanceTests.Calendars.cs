// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Calendars: realistic traffic around a zone's offset changes — 23- and 25-hour days, half-hour and 45-minute offsets
/// and changes, a midnight in a gap, a repeated last hour, a skipped day, a year's end — queried by hour, day, week and
/// month, over whole local days (which the rollups answer) and over ranges cut inside a day (raw hits), before and after
/// the rollups are built: every answer must be the reference's.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>
    /// The days around <paramref name="day"/> (a change of <paramref name="zoneId"/>'s offset, or a year's end) match
    /// the reference by every time dimension, for whole local days and for ranges that start or end inside a day.
    /// </summary>
    /// <param name="zoneId">The site's IANA zone.</param>
    /// <param name="day">The local day of interest, <c>yyyy-MM-dd</c>.</param>
    /// <param name="days">How many days of traffic, centred on <paramref name="day"/>.</param>
    [Theory]
    [InlineData("Europe/Berlin", "2025-10-26", 9)]        // 25 hours
    [InlineData("Europe/Berlin", "2025-03-30", 75)]       // 23 hours, and months across the change
    [InlineData("Australia/Lord_Howe", "2025-10-05", 9)]  // 23.5 hours: forward half an hour at 02:00
    [InlineData("Pacific/Chatham", "2025-04-06", 9)]      // +13:45 -> +12:45 at 03:45 local
    [InlineData("Asia/Kolkata", "2020-12-31", 15)]        // +05:30, a week of 53 (2020-W53 runs into 2021)
    [InlineData("America/Santiago", "2024-09-08", 9)]     // midnight in the gap: the day starts at 01:00
    [InlineData("America/Santiago", "2025-04-05", 9)]     // the last hour of the day repeated (23:00 twice)
    [InlineData("America/Scoresbysund", "2024-03-31", 9)] // midnight in the gap, and a new standard offset
    [InlineData("Pacific/Apia", "2011-12-30", 9)]         // the day skipped
    public virtual async Task Calendar_AroundAnOffsetChange_MatchesReferenceByEveryTimeDimension(string zoneId, string day, int days)
    {
        var zone = Zone(zoneId);
        var focus = DateOnly.ParseExact(day, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var lastDay = focus.AddDays(days / 2);
        var firstDay = lastDay.AddDays(1 - days);
        var hits = new RealisticHitGenerator(60) { SiteId = SiteId, TimeZone = zone, Seed = focus.DayNumber }.Generate(Math.Min(days * 160, 2_000), days, lastDay).ToList();
        var store = await CreateStoreWithAsync(hits);
        var reference = await CreateReferenceAsync(hits);

        await AssertCalendarQueriesAsync(store, reference, zone, focus, firstDay, lastDay, "raw");
        var sites = new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal) { [SiteId] = zone };
        if (store is IHitStoreRollups rollups)
        {
            await rollups.RefreshRollupsAsync(sites, TestCancellationToken);
            await AssertCalendarQueriesAsync(store, reference, zone, focus, firstDay, lastDay, "rollups");
        }

        // Visits across the midnights that start the focus day and the day after (a UTC hour that holds both days in
        // zones with :30 and :45 offsets), appended after the rollups were built: the days they dirty are answered
        // from raw hits, then rebuilt (or brought up to date incrementally).
        List<Hit> more = [];
        foreach (var (midnight, k) in new[] { (TimeZoneSegments.StartOfDay(focus, zone), 0), (TimeZoneSegments.StartOfDay(focus.AddDays(1), zone), 1) })
        {
            long before = 9_100_000 + (10 * k), after = before + 1;
            var linked = TimeZoneSegments.LocalDay(midnight.AddMinutes(-6), zone).AddDays(1) == TimeZoneSegments.LocalDay(midnight, zone);
            more.Add(Page(midnight.AddMinutes(-6), before, "/before-midnight"));
            more.Add(Page(midnight.AddMilliseconds(-1), before, "/pricing"));
            more.Add(Page(midnight, after, "/after-midnight") with { PreviousVisitorId = linked ? before : null });
            more.Add(Page(midnight.AddMinutes(50), after + 2, "/"));
        }

        await store.AppendAsync(more, TestCancellationToken);
        await reference.AppendAsync(more, TestCancellationToken);
        await AssertCalendarQueriesAsync(store, reference, zone, focus, firstDay, lastDay, "new hits");
        if (store is IHitStoreRollups again)
        {
            await again.RefreshRollupsAsync(sites, TestCancellationToken);
            await AssertCalendarQueriesAsync(store, reference, zone, focus, firstDay, lastDay, "new hits, rollups");
        }
    }

    private static async ValueTask AssertCalendarQueriesAsync(IHitStore store, InMemoryHitStore reference, TimeZoneInfo zone, DateOnly focus, DateOnly firstDay, DateOnly lastDay, string context)
    {
        DateTimeOffset Start(DateOnly d) => TimeZoneSegments.StartOfDay(d, zone);
        var focusStart = Start(focus);
        List<(DateTimeOffset From, DateTimeOffset To)> ranges =
        [
            (Start(firstDay), Start(lastDay.AddDays(1))),
            (Start(focus), Start(focus.AddDays(1))),
            (Start(focus.AddDays(-1)), Start(focus.AddDays(1))),
            (Start(focus.AddDays(1)), Start(focus.AddDays(2))),
            // Cut inside days: the raw path, buckets still the zone's.
            (focusStart.AddMinutes(-95), focusStart.AddHours(5)),
            (focusStart.AddMinutes(75), focusStart.AddMinutes(1_665)),
        ];
        HitMetric[] eventMetrics = [HitMetric.Visitors, HitMetric.Pageviews, HitMetric.Events];
        HitMetric[] allMetrics = [HitMetric.Visitors, HitMetric.Visits, HitMetric.Pageviews, HitMetric.BounceRate, HitMetric.VisitDuration, HitMetric.ViewsPerVisit, HitMetric.Events];
        // Hourly series and ranges cut inside a day take the raw path whatever the rollups hold: once is enough.
        var raw = context == "raw";
        foreach (var (from, to) in raw ? ranges : ranges[..^2])
        {
            var baseQuery = new HitQuery { SiteId = SiteId, From = from, To = to, TimeZone = zone, Metrics = allMetrics };
            HitQuery[] queries =
            [
                baseQuery,
                baseQuery with { Dimensions = [HitDimension.Hour] },
                baseQuery with { Dimensions = [HitDimension.Day] },
                baseQuery with { Dimensions = [HitDimension.Week] },
                baseQuery with { Dimensions = [HitDimension.Month] },
                baseQuery with { Dimensions = [HitDimension.Day, HitDimension.Source] },
                baseQuery with { Dimensions = [HitDimension.EntryPage] },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Hour, HitDimension.Page] },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Week, HitDimension.EventName] },
                baseQuery with { Dimensions = [HitDimension.Day], Filter = HitFilter.Is(HitDimension.Source, "Google") },
                baseQuery with { Metrics = eventMetrics, Dimensions = [HitDimension.Day], Filter = HitFilter.Is(HitDimension.Page, "/pricing") },
            ];
            foreach (var query in queries.Where(q => raw || !q.Dimensions.Contains(HitDimension.Hour)))
            {
                await AssertSameAnswerAsync(reference, store, query, $"{context}, {zone.Id} {TimeZoneInfo.ConvertTime(from, zone):yyyy-MM-dd HH:mm} to {TimeZoneInfo.ConvertTime(to, zone):yyyy-MM-dd HH:mm}");
            }
        }
    }
}

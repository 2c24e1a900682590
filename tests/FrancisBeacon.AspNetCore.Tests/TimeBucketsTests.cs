using System.Globalization;
using System.Text;
using System.Text.Json;
using FrancisBeacon.Querying;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// <c>v2/query</c>'s time buckets (<c>meta.time_labels</c>, comparison pairing). Session 21's outside probe sent 110
/// copies of a 147-byte query for 99 years of <c>time:hour</c> with <c>time_labels</c> at once: the labels were computed
/// as strings in Parse, before the query waited for its <c>QueryConcurrency</c> slot, so every queued and every refused
/// request paid for 100 000 of them (about 10 MB and 0.1 s of CPU each): the sample's RSS went from 105 MB to 1.5 GB and
/// the pixel waited up to 4.6 s.
/// </summary>
public sealed class TimeBucketsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string HundredYearsOfHours =
        """{"site_id":"example.com","metrics":["visitors"],"date_range":["1927-01-02","2026-01-01"],"dimensions":["time:hour"],"include":{"time_labels":true,"comparisons":{"mode":"year_over_year"}}}""";

    [Fact]
    public void Parse_TimeLabelsOverAHundredYearsOfHours_LeavesTheBucketsToTheGatedPart()
    {
        var options = new BeaconOptions();
        options.Sites.Add(new BeaconSiteOptions { Id = "example.com", TimeZone = "Europe/Berlin" });
        var sites = new SiteResolver(Options.Create(options));
        using var document = JsonDocument.Parse(HundredYearsOfHours);
        QueryEndpoint.Parse(document.RootElement, sites, Now); // JIT and caches

        var before = GC.GetAllocatedBytesForCurrentThread();
        var parsed = QueryEndpoint.Parse(document.RootElement, sites, Now);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(parsed.TimeLabels);
        Assert.True(allocated < 1024 * 1024, $"Parse allocated {allocated:N0} bytes: the time labels were built before the query's slot.");
    }

    [Fact]
    public void Compute_HundredThousandHours_KeepsAboutEightBytesABucket()
    {
        var query = Query("Europe/Berlin", new DateOnly(1927, 1, 2), new DateOnly(2026, 1, 1));
        TimeBuckets.Compute(query, HitDimension.Hour); // JIT and time-zone caches

        var before = GC.GetAllocatedBytesForCurrentThread();
        var buckets = TimeBuckets.Compute(query, HitDimension.Hour);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(TimeBuckets.MaxCount, buckets.Count);
        Assert.Equal("1927-01-02 00:00:00", buckets.Label(0));
        Assert.True(allocated < 3 * 1024 * 1024, $"{allocated:N0} bytes for {buckets.Count} buckets.");
    }

    public static TheoryData<string, string, string, string> Ranges() => new()
    {
        { "Europe/Berlin", "2025-10-26", "2025-10-26", "time:hour" },
        { "Europe/Berlin", "2025-03-30", "2025-03-30", "time:hour" },
        { "Europe/Berlin", "2024-12-20", "2026-01-10", "time:day" },
        { "Europe/Berlin", "2024-12-20", "2026-01-10", "time:week" },
        { "Europe/Berlin", "1990-01-01", "2026-12-31", "time:month" },
        { "Pacific/Chatham", "2025-09-27", "2025-09-29", "time:hour" },
        { "Pacific/Chatham", "2025-04-05", "2025-04-06", "time:hour" },
        { "Australia/Lord_Howe", "2025-04-05", "2025-04-06", "time:hour" },
        { "America/Santiago", "2024-09-07", "2024-09-09", "time:hour" },
        { "America/Santiago", "2024-09-01", "2024-09-30", "time:day" },
        { "Pacific/Apia", "2011-12-25", "2012-01-05", "time:day" },
        { "Pacific/Apia", "2011-12-29", "2011-12-31", "time:hour" },
        { "Pacific/Kiritimati", "1994-12-28", "1995-01-03", "time:week" },
        { "Asia/Kathmandu", "1985-12-31", "1986-01-01", "time:hour" },
        { "UTC", "1900-01-01", "1900-01-08", "time:week" },
        { "Etc/GMT+12", "9998-12-01", "9998-12-31", "time:hour" },
        { "Pacific/Kiritimati", "9998-01-01", "9998-12-31", "time:month" },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public void Compute_AnyZoneAndGranularity_ListsWhatTheStringLabelsListed(string zone, string first, string last, string dimension)
    {
        Assert.True(HitDimension.TryParse(dimension, out var time));
        var query = Query(zone, DateOnly.Parse(first, CultureInfo.InvariantCulture), DateOnly.Parse(last, CultureInfo.InvariantCulture));

        var buckets = TimeBuckets.Compute(query, time);

        var expected = StringLabels(query, time);
        Assert.Equal(expected, Enumerable.Range(0, buckets.Count).Select(buckets.Label).ToList());
        Assert.All(Enumerable.Range(0, buckets.Count), i => Assert.Equal(i, buckets.IndexOf(expected[i])));
    }

    [Theory]
    [InlineData("2026-03-03")] // a Tuesday: no week bucket starts there
    [InlineData("2026-03-02 00:00:00")]
    [InlineData("2026-02-16")] // a Monday before the range (2026-03-01, a Sunday, is in the week 2026-02-23)
    [InlineData("")]
    [InlineData("(not set)")]
    public void IndexOf_LabelOfNoBucket_IsMinusOne(string label)
    {
        var buckets = TimeBuckets.Compute(Query("Europe/Berlin", new DateOnly(2026, 3, 1), new DateOnly(2026, 3, 31)), HitDimension.Week);

        Assert.Equal(-1, buckets.IndexOf(label));
    }

    [Fact]
    public async Task Query_TimeLabelsOfAHundredYearsOfHours_ListTheFirstHundredThousandInOneAnswer()
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", TimeZone = "Europe/Berlin" }), store: b => b.UseInMemory());
        await host.Store.AppendAsync([new Hit { SiteId = "example.com", Path = "/", Timestamp = new DateTimeOffset(1927, 1, 2, 9, 30, 0, TimeSpan.Zero), VisitorId = 1 }], Ct);

        using var content = new StringContent(HundredYearsOfHours, Encoding.UTF8, "application/json");
        using var response = await host.Client.PostAsync("/beacon/api/v2/query", content, Ct);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));

        var labels = doc.RootElement.GetProperty("meta").GetProperty("time_labels");
        Assert.Equal(TimeBuckets.MaxCount, labels.GetArrayLength());
        Assert.Equal("1927-01-02 00:00:00", labels[0].GetString());
        var row = Assert.Single(doc.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal("1927-01-02 10:00:00", row.GetProperty("dimensions")[0].GetString());
        Assert.Equal("1926-01-02 10:00:00", row.GetProperty("comparison").GetProperty("dimensions")[0].GetString());
    }

    private static HitQuery Query(string zone, DateOnly first, DateOnly last)
    {
        var timeZone = TimeZoneInfo.FindSystemTimeZoneById(zone);
        var (from, to) = QueryDateRange.Custom(first, last).Resolve(timeZone, Now);
        return new HitQuery { SiteId = "example.com", From = from, To = to, TimeZone = timeZone, Metrics = [HitMetric.Visitors] };
    }

    // The labels as QueryEndpoint built them before TimeBuckets (session 20's walk): strings, a set, then sorted.
    private static List<string> StringLabels(HitQuery query, HitDimension time)
    {
        var labels = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var segment in TimeZoneSegments.Compute(query.TimeZone, query.From, query.To))
        {
            var offset = segment.Offset;
            for (var t = segment.StartUtc; t < segment.EndUtc && labels.Count < 100_000;)
            {
                var local = t.UtcDateTime + offset;
                var label = time.BucketLabel(local);
                if (seen.Add(label))
                {
                    labels.Add(label);
                }

                var next = time == HitDimension.Hour
                    ? new DateTime(local.Year, local.Month, local.Day, local.Hour, 0, 0, DateTimeKind.Unspecified).AddHours(1)
                    : local.Date.AddDays(1);
                t = new DateTimeOffset(next.Ticks - offset.Ticks, TimeSpan.Zero);
            }
        }

        labels.Sort(StringComparer.Ordinal);
        return labels;
    }
}

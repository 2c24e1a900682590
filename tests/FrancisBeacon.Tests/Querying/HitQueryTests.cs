// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;

namespace FrancisBeacon.Tests.Querying;

public sealed class HitQueryTests
{
    private static readonly HitQuery Valid = new()
    {
        SiteId = "example.com",
        From = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero),
        To = new DateTimeOffset(2025, 1, 2, 0, 0, 0, TimeSpan.Zero),
    };

    public static TheoryData<string, string> InvalidCases { get; } = new()
    {
        { "empty site", "site_id" },
        { "end before start", "date_range" },
        { "no metrics", "metrics" },
        { "null metrics", "metrics" },
        { "metric twice", "metrics" },
        { "unknown metric", "metrics" },
        { "dimension twice", "dimensions" },
        { "null dimension", "dimensions" },
        { "null dimensions", "dimensions" },
        { "null time zone", "time_zone" },
        { "negative limit", "limit" },
        { "negative offset", "offset" },
        { "nested has_done", "filters" },
        { "has_done without filter", "filters" },
        { "bad revenue currency", "revenue_currency" },
    };

    [Fact]
    public void Validate_Defaults_Passes()
    {
        Valid.Validate();

        Assert.Equal([HitMetric.Visitors, HitMetric.Pageviews], Valid.Metrics);
        Assert.Empty(Valid.Dimensions);
        Assert.Same(TimeZoneInfo.Utc, Valid.TimeZone);
    }

    [Fact]
    public void Validate_EmptyRangeAndZeroLimit_Passes()
    {
        (Valid with { To = Valid.From, Limit = 0, Offset = 10, Dimensions = [HitDimension.Day, HitDimension.Page] }).Validate();
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Validate_Invalid_ThrowsNamingTheField(string @case, string field)
    {
        var query = @case switch
        {
            "empty site" => Valid with { SiteId = string.Empty },
            "end before start" => Valid with { To = Valid.From.AddMilliseconds(-1) },
            "no metrics" => Valid with { Metrics = [] },
            "null metrics" => Valid with { Metrics = null! },
            "metric twice" => Valid with { Metrics = [HitMetric.Pageviews, HitMetric.Pageviews] },
            "unknown metric" => Valid with { Metrics = [(HitMetric)42] },
            "dimension twice" => Valid with { Dimensions = [HitDimension.Day, HitDimension.Day] },
            "null dimension" => Valid with { Dimensions = [null!] },
            "null dimensions" => Valid with { Dimensions = null! },
            "null time zone" => Valid with { TimeZone = null! },
            "negative limit" => Valid with { Limit = -1 },
            "negative offset" => Valid with { Offset = -1 },
            "nested has_done" => Valid with { Filter = HitFilter.HasNotDone(HitFilter.And(HitFilter.Is(HitDimension.Page, "/"), HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/a")))) },
            "has_done without filter" => Valid with { Filter = new HitFilterHasDone(null!) },
            "bad revenue currency" => Valid with { Metrics = [HitMetric.TotalRevenue, HitMetric.Visits], Dimensions = [HitDimension.Source], RevenueCurrency = "eur" },
            _ => throw new ArgumentOutOfRangeException(nameof(@case)),
        };

        var error = Assert.Throws<HitQueryException>(query.Validate);

        Assert.Equal(field, error.Field);
        Assert.StartsWith(field + ": ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BehavioralFiltersAndRevenueWithSessions_Pass()
    {
        var query = Valid with
        {
            Metrics = [HitMetric.Visits, HitMetric.TotalRevenue, HitMetric.AverageRevenue],
            Dimensions = [HitDimension.Source],
            Filter = HitFilter.Or(HitFilter.HasDone(HitFilter.Is(HitDimension.Goal, "Signup")), HitFilter.Not(HitFilter.HasNotDone(HitFilter.Is(HitDimension.Page, "/")))),
        };

        query.Validate();
        Assert.True(query.NeedsSessions);
        Assert.True(HitFilter.IsBehavioral(query.Filter));
        Assert.False(HitFilter.IsBehavioral(HitFilter.Not(HitFilter.Is(HitDimension.Page, "/"))));
        Assert.True((Valid with { Filter = HitFilter.HasDone(HitFilter.Is(HitDimension.Page, "/")) }).FilterNeedsSessions);
    }

    [Fact]
    public void HitDimension_TryParse_KnowsApiNames()
    {
        Assert.True(HitDimension.TryParse("event:page", out var page));
        Assert.Same(HitDimension.Page, page);
        Assert.True(HitDimension.TryParse("time:day", out var day));
        Assert.True(day.IsTime);
        Assert.False(HitDimension.TryParse("event:Page", out _));
    }

    [Fact]
    public void HitMetricNames_RoundTrip()
    {
        foreach (var metric in Enum.GetValues<HitMetric>())
        {
            Assert.True(HitMetricNames.TryParse(metric.ToApiName(), out var parsed));
            Assert.Equal(metric, parsed);
        }
    }
}

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
            _ => throw new ArgumentOutOfRangeException(nameof(@case)),
        };

        var error = Assert.Throws<HitQueryException>(query.Validate);

        Assert.Equal(field, error.Field);
        Assert.StartsWith(field + ": ", error.Message, StringComparison.Ordinal);
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

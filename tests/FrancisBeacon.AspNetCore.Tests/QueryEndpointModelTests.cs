using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>The v2 query endpoint over the whole query model: visit filters, regular expressions, props, goals, CSV.</summary>
public sealed class QueryEndpointModelTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<BeaconTestHost> HostWithDataAsync(Action<BeaconSiteOptions>? site = null)
    {
        var host = await BeaconTestHost.StartAsync(
            o =>
            {
                var options = new BeaconSiteOptions { Id = "example.com", TimeZone = "Europe/Berlin" };
                site?.Invoke(options);
                o.Sites.Add(options);
            },
            store: b => b.UseInMemory());
        var t0 = DateTimeOffset.Parse("2026-03-02T10:00:00Z", CultureInfo.InvariantCulture);
        await host.Store.AppendAsync(
        [
            new Hit { SiteId = "example.com", Path = "/", Timestamp = t0, VisitorId = 1, ReferrerSource = "Google", Country = "DE" },
            new Hit { SiteId = "example.com", Path = "/pricing", Timestamp = t0.AddMinutes(2), VisitorId = 1 },
            new Hit { SiteId = "example.com", Path = "/", Timestamp = t0.AddDays(1), VisitorId = 2, Country = "FR" },
            new Hit
            {
                SiteId = "example.com", Path = "/checkout", EventName = "Purchase", Timestamp = t0.AddDays(1).AddMinutes(1), VisitorId = 2,
                RevenueAmount = 20m, RevenueCurrency = "EUR", Properties = new Dictionary<string, string> { ["plan"] = "pro" },
            },
        ], Ct);
        return host;
    }

    [Fact]
    public async Task Query_VisitFilterWithSessionMetrics_CountsMatchingSessions()
    {
        await using var host = await HostWithDataAsync();

        using var doc = await PostAsync(host, """
            {"site_id":"example.com","metrics":["visitors","visits","pageviews","bounce_rate","visit_duration"],"date_range":["2026-03-01","2026-03-31"],
             "filters":[["is","visit:country",["DE"]]]}
            """);

        var row = Assert.Single(doc.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal([1, 1, 2, 0, 120], row.GetProperty("metrics").EnumerateArray().Select(m => m.GetDouble()).ToArray());
    }

    [Fact]
    public async Task Query_MatchesAndCaseInsensitiveContains_AreApplied()
    {
        await using var host = await HostWithDataAsync();

        using var matches = await PostAsync(host, """
            {"site_id":"example.com","metrics":["events"],"date_range":["2026-03-01","2026-03-31"],"filters":[["matches","event:page",["^/(pricing|checkout)$"]]]}
            """);
        using var contains = await PostAsync(host, """
            {"site_id":"example.com","metrics":["events"],"date_range":["2026-03-01","2026-03-31"],"filters":[["contains","event:page",["PRIC"],{"case_sensitive":false}]]}
            """);

        Assert.Equal(2, matches.RootElement.GetProperty("results")[0].GetProperty("metrics")[0].GetInt64());
        Assert.Equal(1, contains.RootElement.GetProperty("results")[0].GetProperty("metrics")[0].GetInt64());
    }

    [Theory]
    [InlineData("""[["matches","event:page",["(a)\\1"]]]""")]
    [InlineData("""[["matches","event:page",["^/a"],{"case_sensitive":false}]]""")]
    [InlineData("""[["contains","event:page",["a"],{"shout":true}]]""")]
    public async Task Query_CostlyOrUnknownFilterForms_Answer400NamingFilters(string filters)
    {
        await using var host = await HostWithDataAsync();

        var (status, field, text) = await PostRawAsync(host, $$"""{"site_id":"example.com","metrics":["events"],"date_range":"7d","filters":{{filters}}}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(field == "filters", text);
    }

    [Fact]
    public async Task Query_GoalsConfiguredForTheSite_AnswerGoalDimensionAndConversionRate()
    {
        await using var host = await HostWithDataAsync(site =>
        {
            site.Goals.Add(new BeaconGoalOptions { EventName = "Purchase" });
            site.Goals.Add(new BeaconGoalOptions { PagePath = "/pric*" });
        });

        using var doc = await PostAsync(host, """{"site_id":"example.com","metrics":["visitors","events","conversion_rate"],"date_range":["2026-03-01","2026-03-31"],"dimensions":["event:goal"]}""");

        var rows = doc.RootElement.GetProperty("results").EnumerateArray()
            .Select(r => (r.GetProperty("dimensions")[0].GetString(), r.GetProperty("metrics")[2].GetDouble())).ToList();
        Assert.Equal([("Purchase", 50d), ("Visit /pric*", 50d)], rows);
    }

    [Fact]
    public async Task Query_UnknownGoalSetup_Answers400NamingTheField()
    {
        await using var host = await HostWithDataAsync();

        var (status, field, _) = await PostRawAsync(host, """{"site_id":"example.com","metrics":["visitors","conversion_rate"],"date_range":"7d"}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("metrics", field);
    }

    [Fact]
    public async Task Query_IsoDatetimeRange_IncludesBothInstantsToTheSecond()
    {
        await using var host = await HostWithDataAsync();

        using var doc = await PostAsync(host, """{"site_id":"example.com","metrics":["events"],"date_range":["2026-03-02T11:00:00+01:00","2026-03-02T11:02:00+01:00"],"dimensions":["time:hour"]}""");

        var row = Assert.Single(doc.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal("2026-03-02 11:00:00", row.GetProperty("dimensions")[0].GetString());
        Assert.Equal(2, row.GetProperty("metrics")[0].GetInt64());
    }

    [Fact]
    public async Task Query_ComparisonOverTimeDimension_PairsBucketsByPosition()
    {
        await using var host = await HostWithDataAsync();

        using var doc = await PostAsync(host, """{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-03","2026-03-03"],"dimensions":["time:day"],"include":{"comparisons":{"mode":"previous_period"}}}""");

        var row = Assert.Single(doc.RootElement.GetProperty("results").EnumerateArray());
        var comparison = row.GetProperty("comparison");
        Assert.Equal("2026-03-02", comparison.GetProperty("dimensions")[0].GetString());
        Assert.Equal(1, comparison.GetProperty("metrics")[0].GetInt64());
        Assert.Equal(0, comparison.GetProperty("change")[0].GetInt64());
    }

    [Fact]
    public async Task Query_FormatCsv_AnswersHeaderAndRows()
    {
        await using var host = await HostWithDataAsync();
        using var content = new StringContent("""{"site_id":"example.com","metrics":["pageviews","visitors"],"date_range":["2026-03-01","2026-03-31"],"dimensions":["event:page"]}""", Encoding.UTF8, "application/json");

        using var response = await host.Client.PostAsync("/beacon/api/v2/query?format=csv", content, Ct);

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("event:page,pageviews,visitors\r\n/,2,2\r\n/pricing,1,1\r\n/checkout,0,1\r\n", await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Query_RevenueMetrics_SumTheSiteCurrency()
    {
        await using var host = await HostWithDataAsync();

        using var doc = await PostAsync(host, """{"site_id":"example.com","metrics":["total_revenue","average_revenue"],"date_range":["2026-03-01","2026-03-31"],"filters":[["is","event:name",["Purchase"]]]}""");

        Assert.Equal([20d, 20d], doc.RootElement.GetProperty("results")[0].GetProperty("metrics").EnumerateArray().Select(m => m.GetDouble()).ToArray());
    }

    [Theory]
    [InlineData("""{ "site_id": "example.com", "metrics": ["visitors"], "date_range": "7d" }""")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors","visits","pageviews","views_per_visit","bounce_rate","visit_duration","events"],"date_range":"7d","include":{"imports":true}}""")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":"30d","dimensions":["time:day"],"include":{"time_labels":true}}""")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors","pageviews","bounce_rate"],"date_range":"7d","filters":[["is_not","visit:country",[""]]],"dimensions":["visit:country","visit:city"]}""")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors","pageviews"],"date_range":"all","dimensions":["event:props:plan"],"filters":[["is_not","event:props:plan",["(none)"]]]}""")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":["2024-01-01T12:00:00+02:00","2024-01-01T15:59:59+02:00"],"dimensions":["time:hour"]}""")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors","bounce_rate"],"date_range":"month","filters":[["contains","event:page",["/blog/"]],["is","visit:source",["Google"]]],"dimensions":["visit:source"],"order_by":[["visitors","desc"]],"pagination":{"limit":3,"offset":0}}""")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":"12mo","filters":[["matches","event:page",["^/blog/.*"]]],"include":{"comparisons":{"mode":"year_over_year"}}}""")]
    public async Task Query_PlausibleDocumentedShapes_AreAccepted(string body)
    {
        await using var host = await HostWithDataAsync();

        using var doc = await PostAsync(host, body);

        Assert.True(doc.RootElement.TryGetProperty("results", out _));
    }

    internal static async Task<JsonDocument> PostAsync(BeaconTestHost host, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await host.Client.PostAsync("/beacon/api/v2/query", content, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text);
    }

    internal static async Task<(HttpStatusCode Status, string? Field, string Text)> PostRawAsync(BeaconTestHost host, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await host.Client.PostAsync("/beacon/api/v2/query", content, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        string? field = null;
        if (response.StatusCode != HttpStatusCode.OK)
        {
            using var doc = JsonDocument.Parse(text);
            field = doc.RootElement.GetProperty("field").GetString();
        }

        return (response.StatusCode, field, text);
    }
}

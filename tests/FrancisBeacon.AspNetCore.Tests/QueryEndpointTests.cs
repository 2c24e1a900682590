using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class QueryEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<BeaconTestHost> HostWithDataAsync()
    {
        var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", TimeZone = "Europe/Berlin" }), store: b => b.UseInMemory());
        var t0 = DateTimeOffset.Parse("2026-03-02T10:00:00Z", CultureInfo.InvariantCulture);
        await host.Store.AppendAsync(
        [
            new Hit { SiteId = "example.com", Path = "/", Timestamp = t0, VisitorId = 1, ReferrerSource = "Google" },
            new Hit { SiteId = "example.com", Path = "/pricing", Timestamp = t0.AddMinutes(2), VisitorId = 1 },
            new Hit { SiteId = "example.com", Path = "/", Timestamp = t0.AddDays(1), VisitorId = 2 },
            new Hit { SiteId = "example.com", Path = "/", EventName = "Signup", Timestamp = t0.AddDays(1).AddMinutes(1), VisitorId = 2 },
        ], Ct);
        return host;
    }

    [Fact]
    public async Task Query_PlausibleShapedAggregate_AnswersResultsMetaAndQuery()
    {
        await using var host = await HostWithDataAsync();

        using var doc = await PostAsync(host, """{"site_id":"example.com","metrics":["visitors","pageviews","visits","bounce_rate","views_per_visit"],"date_range":["2026-03-01","2026-03-31"]}""");

        var row = Assert.Single(doc.RootElement.GetProperty("results").EnumerateArray());
        Assert.Empty(row.GetProperty("dimensions").EnumerateArray());
        Assert.Equal([2, 3, 2, 0, 1.5], row.GetProperty("metrics").EnumerateArray().Select(m => m.GetDouble()).ToArray());
        var query = doc.RootElement.GetProperty("query");
        Assert.Equal("2026-03-01T00:00:00+01:00", query.GetProperty("date_range")[0].GetString());
        Assert.Equal("2026-03-31T23:59:59+02:00", query.GetProperty("date_range")[1].GetString());
        Assert.True(doc.RootElement.TryGetProperty("meta", out _));
    }

    [Fact]
    public async Task Query_PagesOrderedAndPaginated_FollowsOrderBy()
    {
        await using var host = await HostWithDataAsync();

        using var doc = await PostAsync(host, """
            {"site_id":"example.com","metrics":["pageviews"],"date_range":["2026-03-01","2026-03-31"],"dimensions":["event:page"],
             "order_by":[["pageviews","asc"]],"pagination":{"limit":1,"offset":0}}
            """);

        var row = Assert.Single(doc.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal("/pricing", row.GetProperty("dimensions")[0].GetString());
        Assert.Equal(1, row.GetProperty("metrics")[0].GetInt64());
    }

    [Fact]
    public async Task Query_TimeDimensionOverAMonth_GroupsByDayInSiteZone()
    {
        await using var host = await HostWithDataAsync();

        using var doc = await PostAsync(host, """{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-01","2026-03-31"],"dimensions":["time"],"include":{"time_labels":true}}""");

        var rows = doc.RootElement.GetProperty("results").EnumerateArray().Select(r => (r.GetProperty("dimensions")[0].GetString(), r.GetProperty("metrics")[0].GetInt64())).ToList();
        Assert.Equal([("2026-03-02", 1L), ("2026-03-03", 1L)], rows);
        Assert.Equal("time:day", doc.RootElement.GetProperty("query").GetProperty("dimensions")[0].GetString());
    }

    [Theory]
    [InlineData("desc", "2026-03-03", "2026-03-02")]
    [InlineData("asc", "2026-03-02", "2026-03-03")]
    public async Task Query_OrderByTheTimeAlias_SortsByTheResolvedTimeDimension(string direction, string first, string second)
    {
        await using var host = await HostWithDataAsync();

        using var doc = await PostAsync(host, $$"""{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-01","2026-03-31"],"dimensions":["time"],"order_by":[["time","{{direction}}"]]}""");

        var days = doc.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("dimensions")[0].GetString()).ToList();
        Assert.Equal([first, second], days);
    }

    /// <summary>
    /// A property key written with a NUL is cleaned (U+FFFD) when the dimension is parsed; order_by by the body's name
    /// found no dimension in Sort once the answer had started (a cut JSON answer, a CSV 500).
    /// </summary>
    [Theory]
    [InlineData("")]
    [InlineData("?format=csv")]
    public async Task Query_OrderByACleanedPropertyKey_SortsByThatDimension(string suffix)
    {
        await using var host = await HostWithDataAsync();
        var t0 = DateTimeOffset.Parse("2026-03-04T10:00:00Z", CultureInfo.InvariantCulture);
        await host.Store.AppendAsync(
        [
            new Hit { SiteId = "example.com", Path = "/", Timestamp = t0, VisitorId = 3, Properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["k\uFFFD"] = "a" } },
            new Hit { SiteId = "example.com", Path = "/", Timestamp = t0.AddMinutes(1), VisitorId = 4, Properties = new Dictionary<string, string>(StringComparer.Ordinal) { ["k\uFFFD"] = "b" } },
        ], Ct);
        using var content = new StringContent("""{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-01","2026-03-31"],"dimensions":["event:props:k\u0000"],"order_by":[["event:props:k\u0000","desc"]]}""", Encoding.UTF8, "application/json");

        using var response = await host.Client.PostAsync("/beacon/api/v2/query" + suffix, content, Ct);

        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        var values = suffix.Length == 0
            ? JsonDocument.Parse(text).RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("dimensions")[0].GetString()!).ToList()
            : text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line.Split(',')[0]).ToList();
        Assert.Equal(["b", "a", "(not set)"], values);
    }

    [Fact]
    public async Task Query_VisitSource_AttributesSessions()
    {
        await using var host = await HostWithDataAsync();

        using var doc = await PostAsync(host, """{"site_id":"example.com","metrics":["visits","pageviews"],"date_range":"all","dimensions":["visit:source"]}""");

        var rows = doc.RootElement.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("dimensions")[0].GetString()).ToList();
        Assert.Equal(["(not set)", "Google"], rows.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("""{"site_id":"example.com","metrics":["hugs"],"date_range":"7d"}""", "metrics")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":"fortnight"}""", "date_range")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"]}""", "date_range")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-01T12:00:00+01:00","2026-03-05"]}""", "date_range")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-01","2026-03-05T12:00:00+01:00"]}""", "date_range")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-01 and more","2026-03-05"]}""", "date_range")]
    [InlineData("""{"site_id":"example.com","metrics":["bounce_rate"],"date_range":"7d","dimensions":["event:page"]}""", "metrics")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":"7d","dimensions":["event:colour"]}""", "dimensions")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":"7d","filters":[["is","time:day",["2026-01-01"]]]}""", "filters")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":"7d","filters":[["matches","event:page",["(?=a)b"]]]}""", "filters")]
    [InlineData("""{"site_id":"example.com","metrics":["visits"],"date_range":"7d","filters":[["is","visit:country",[]]]}""", "filters")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":"7d","filters":[["is","event:page"]]}""", "filters")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":"7d","order_by":[["visits","desc"]]}""", "order_by")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":"7d","sneaky":1}""", "sneaky")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":"7d","metrics":["pageviews"]}""", "metrics")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":"7d","dimensions":["time","time"]}""", "dimensions")]
    [InlineData("""{"site_id":"example.com","metrics":["visitors"],"date_range":"7d","filters":[["matches","event:page",["(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa){100}"]]]}""", "filters")]
    [InlineData("""[1,2]""", "body")]
    [InlineData("""{not json""", "body")]
    public async Task Query_Invalid_Answers400NamingTheField(string body, string field)
    {
        await using var host = await HostWithDataAsync();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        using var response = await host.Client.PostAsync("/beacon/api/v2/query", content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(field, doc.RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Query_PlausibleFilters_AreApplied()
    {
        await using var host = await HostWithDataAsync();

        using var doc = await PostAsync(host, """
            {"site_id":"example.com","metrics":["events"],"date_range":["2026-03-01","2026-03-31"],
             "filters":[["or",[["is","event:name",["Signup"]],["contains","event:page",["pric"]]]],["not",["is","event:hostname",["nowhere"]]]]}
            """);

        Assert.Equal(2, doc.RootElement.GetProperty("results")[0].GetProperty("metrics")[0].GetInt64());
        Assert.Equal("or", doc.RootElement.GetProperty("query").GetProperty("filters")[0][0].GetString());
    }

    [Fact]
    public async Task Query_TimeLabels_ListEveryBucketOfTheRange()
    {
        await using var host = await HostWithDataAsync();

        using var doc = await PostAsync(host, """{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-01","2026-03-05"],"dimensions":["time:day"],"include":{"time_labels":true}}""");

        Assert.Equal(
            ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"],
            doc.RootElement.GetProperty("meta").GetProperty("time_labels").EnumerateArray().Select(l => l.GetString()!).ToArray());
    }

    [Fact]
    public async Task Query_TimeLabelsOnChathamsSpringChange_ListTheQuarterHourLeftOfThreeOClock()
    {
        // 2025-09-28 in Pacific/Chatham: clocks jump from 02:45 (+12:45) to 03:45 (+13:45), so the 03:00 bucket holds
        // 15 minutes; labels stepped by 30 minutes went from 02:00 to 04:00 and left the row of a hit at 03:50 unlisted.
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.nz", TimeZone = "Pacific/Chatham" }), store: b => b.UseInMemory());
        await host.Store.AppendAsync([new Hit { SiteId = "example.nz", Path = "/", Timestamp = DateTimeOffset.Parse("2025-09-27T14:05:00Z", CultureInfo.InvariantCulture), VisitorId = 1 }], Ct);

        using var doc = await PostAsync(host, """{"site_id":"example.nz","metrics":["pageviews"],"date_range":["2025-09-28","2025-09-28"],"dimensions":["time:hour"],"include":{"time_labels":true}}""");
        var labels = doc.RootElement.GetProperty("meta").GetProperty("time_labels").EnumerateArray().Select(l => l.GetString()!).ToList();

        Assert.Equal("2025-09-28 03:00:00", doc.RootElement.GetProperty("results")[0].GetProperty("dimensions")[0].GetString());
        Assert.Equal([.. Enumerable.Range(0, 24).Select(h => $"2025-09-28 {h:00}:00:00")], labels);
    }

    [Fact]
    public async Task Query_TimeLabelsOnBerlinsAutumnChange_ListTheRepeatedHourOnce()
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.de", TimeZone = "Europe/Berlin" }), store: b => b.UseInMemory());

        using var doc = await PostAsync(host, """{"site_id":"example.de","metrics":["pageviews"],"date_range":["2025-10-26","2025-10-26"],"dimensions":["time:hour"],"include":{"time_labels":true}}""");
        var labels = doc.RootElement.GetProperty("meta").GetProperty("time_labels").EnumerateArray().Select(l => l.GetString()!).ToList();

        Assert.Equal([.. Enumerable.Range(0, 24).Select(h => $"2025-10-26 {h:00}:00:00")], labels);
    }

    [Fact]
    public async Task Query_PreviousPeriodComparison_GivesPreviousValuesAndChange()
    {
        await using var host = await HostWithDataAsync();

        // 3 March alone (visitor 2: one page view) against 2 March (visitor 1: two page views).
        using var doc = await PostAsync(host, """{"site_id":"example.com","metrics":["visitors","pageviews"],"date_range":["2026-03-03","2026-03-03"],"include":{"comparisons":{"mode":"previous_period"}}}""");
        var row = doc.RootElement.GetProperty("results")[0];

        Assert.Equal([1.0, 1.0], row.GetProperty("metrics").EnumerateArray().Select(m => m.GetDouble()).ToArray());
        Assert.Equal([1.0, 2.0], row.GetProperty("comparison").GetProperty("metrics").EnumerateArray().Select(m => m.GetDouble()).ToArray());
        Assert.Equal([0.0, -50.0], row.GetProperty("comparison").GetProperty("change").EnumerateArray().Select(m => m.GetDouble()).ToArray());
        Assert.StartsWith("2026-03-02T00:00:00", doc.RootElement.GetProperty("meta").GetProperty("comparison_date_range")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_UnknownSite_Answers404()
    {
        await using var host = await HostWithDataAsync();
        using var content = new StringContent("""{"site_id":"other.com","metrics":["visitors"],"date_range":"7d"}""", Encoding.UTF8, "application/json");

        using var response = await host.Client.PostAsync("/beacon/api/v2/query", content, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static async Task<JsonDocument> PostAsync(BeaconTestHost host, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await host.Client.PostAsync("/beacon/api/v2/query", content, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text);
    }
}

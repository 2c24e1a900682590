using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using FrancisBeacon.Querying;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests.Hostile;

/// <summary>
/// Query-API inputs found by the outside red-team corpus of session 14 (docs/deployment.md, "Hostile input"): each was a
/// 500 or an unbounded cost against the real sample process before its fix.
/// </summary>
public sealed class RedTeamQueryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<BeaconTestHost> StartAsync(Func<IBeaconBuilder, IBeaconBuilder>? store = null) =>
        BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", TimeZone = "Europe/Berlin" }), store: store ?? InMemory);

    private static IBeaconBuilder InMemory(IBeaconBuilder builder) => builder.UseInMemory();

    internal static async Task<(HttpStatusCode Status, string Body)> PostAsync(BeaconTestHost host, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await host.Client.PostAsync("/beacon/api/v2/query", content, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Comparison_HourlyRowsPastTheLabelCap_AreAnsweredNot500()
    {
        // The previous period of a 20-year range starts in 2007; hours of 2026 lie past the 100 000 labels kept for
        // pairing buckets by position, and every such row used to get the same key (-1): a duplicate key, a 500.
        await using var host = await StartAsync();
        var t0 = DateTimeOffset.Parse("2026-10-01T10:00:00Z", CultureInfo.InvariantCulture);
        await host.Store.AppendAsync(
        [
            new Hit { SiteId = "example.com", Path = "/", Timestamp = t0, VisitorId = 1 },
            new Hit { SiteId = "example.com", Path = "/", Timestamp = t0.AddHours(2), VisitorId = 2 },
            new Hit { SiteId = "example.com", Path = "/", Timestamp = t0.AddHours(5), VisitorId = 3 },
        ], Ct);

        var (status, body) = await PostAsync(host, """{"site_id":"example.com","metrics":["visitors"],"date_range":["2027-01-01","2046-12-31"],"dimensions":["time:hour"],"include":{"comparisons":{"mode":"previous_period"}}}""");

        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {body}");
        using var doc = JsonDocument.Parse(body);
        Assert.Empty(doc.RootElement.GetProperty("results").EnumerateArray());
    }

    [Fact]
    public async Task Comparison_DimensionValuesHoldingTheKeySeparator_PairOnlyEqualRows()
    {
        // ("x\u0001y", "z") and ("x", "y\u0001z") joined with \u0001 were one key: a duplicate key, a 500 (and, with only
        // one of them in the previous period, a wrong pairing).
        await using var host = await StartAsync();
        var previousDay = DateTimeOffset.Parse("2026-03-02T10:00:00Z", CultureInfo.InvariantCulture);
        Dictionary<string, string> Props(string a, string b) => new(StringComparer.Ordinal) { ["a"] = a, ["b"] = b };
        await host.Store.AppendAsync(
        [
            new Hit { SiteId = "example.com", Path = "/", Timestamp = previousDay, VisitorId = 1, Properties = Props("x\u0001y", "z") },
            new Hit { SiteId = "example.com", Path = "/", Timestamp = previousDay.AddMinutes(1), VisitorId = 2, Properties = Props("x", "y\u0001z") },
            new Hit { SiteId = "example.com", Path = "/", Timestamp = previousDay.AddMinutes(2), VisitorId = 3, Properties = Props("x", "y\u0001z") },
            new Hit { SiteId = "example.com", Path = "/", Timestamp = previousDay.AddDays(1), VisitorId = 4, Properties = Props("x\u0001y", "z") },
        ], Ct);

        var (status, body) = await PostAsync(host, """{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-03","2026-03-03"],"dimensions":["event:props:a","event:props:b"],"include":{"comparisons":{"mode":"previous_period"}}}""");

        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {body}");
        using var doc = JsonDocument.Parse(body);
        var row = Assert.Single(doc.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal(["x\u0001y", "z"], row.GetProperty("dimensions").EnumerateArray().Select(d => d.GetString()!).ToArray());
        Assert.Equal(1.0, row.GetProperty("comparison").GetProperty("metrics")[0].GetDouble());
    }
}

/// <summary>
/// The shape of a query is bounded before any SQL is built: a 64 KiB body used to fit 3 000 <c>event:props:*</c>
/// dimensions (SQLite: "too many columns in result set", a 500; 1 000 of them cost seconds of CPU), 1 400 OR-ed
/// conditions (SQLite: "Expression tree is too large", a 500), 800 behavioural filters (20 s of CPU on 16 000 hits),
/// 9 000 <c>contains</c> values (8 s; PostgreSQL: its 30 s timeout, a 503) or 1 000 regular expressions (11 s).
/// </summary>
public sealed class RedTeamQueryShapeTests
{
    private static string Query(string extra) => $$"""{"site_id":"example.com","metrics":["visitors"],"date_range":"all"{{extra}}}""";

    private static string Dimensions(int count) =>
        Query(",\"dimensions\":[" + string.Join(',', Enumerable.Range(0, count).Select(i => $"\"event:props:k{i}\"")) + "]");

    private static string OrOf(int count, string condition) =>
        Query(",\"filters\":[[\"or\",[" + string.Join(',', Enumerable.Range(0, count).Select(i => string.Format(CultureInfo.InvariantCulture, condition, i))) + "]]]");

    public static TheoryData<string, string> TooLarge() => new()
    {
        { Dimensions(3000), "dimensions" },
        { Dimensions(HitQuery.MaxDimensions + 1), "dimensions" },
        { OrOf(1400, """["is","event:page",["/x{0}"]]"""), "filters" },
        { OrOf(HitQuery.MaxFilterConditions + 1, """["contains","visit:source",["x{0}"],{{"case_sensitive":false}}]"""), "filters" },
        { OrOf(HitQuery.MaxBehavioralFilters + 1, """["has_done",["matches","event:page",["x{0}"]]]"""), "filters" },
        { Values("contains", 60, 100), "filters" },
        { Values("is", 4, 100), "filters" },
        { Values("matches", 1, QueryEndpoint.MaxFilterPatterns + 1), "filters" },
    };

    /// <summary>conditions OR-ed conditions of perCondition values each (9 000 contains values: 8 s of CPU in SQLite, PostgreSQL's 30 s timeout).</summary>
    private static string Values(string op, int conditions, int perCondition) =>
        OrOf(conditions, "[\"" + op + "\",\"event:page\",[" + string.Join(',', Enumerable.Range(0, perCondition).Select(j => $"\"x{{0}}_{j}\"")) + "]]");

    [Theory]
    [MemberData(nameof(TooLarge))]
    public async Task Query_ShapeOverTheLimits_Answers400NamingTheField(string json, string field)
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" })); // SQLite

        var (status, body) = await RedTeamQueryTests.PostAsync(host, json);

        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status}: {body}");
        Assert.Equal(field, JsonDocument.Parse(body).RootElement.GetProperty("field").GetString());
    }

    /// <summary>
    /// A <c>visit:country_name</c> condition becomes several conditions on <c>visit:country</c> before the store sees it;
    /// the 400 said "this one holds 700" for 100 conditions sent. It now names both counts, and a plain overflow names
    /// the count as sent.
    /// </summary>
    [Fact]
    public async Task Query_ConditionLimit_NamesTheCountsTheClientCanCheck()
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" })); // SQLite
        const string byName = """["contains","visit:country_name",[""]]"""; // every name passes: the most conditions
        var fit = HitQuery.MaxFilterConditions / LocationNames.MaxCountryConditions;

        var (status, body) = await RedTeamQueryTests.PostAsync(host, OrOf(HitQuery.MaxFilterConditions, byName));
        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status}: {body}");
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error").GetString();
        Assert.Contains($"this one holds {HitQuery.MaxFilterConditions} as sent, {HitQuery.MaxFilterConditions * LocationNames.MaxCountryConditions} counted that way", error, StringComparison.Ordinal);

        (status, body) = await RedTeamQueryTests.PostAsync(host, OrOf(fit, byName));
        Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {body}");

        (status, body) = await RedTeamQueryTests.PostAsync(host, OrOf(fit + 1, byName));
        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status}: {body}");

        (status, body) = await RedTeamQueryTests.PostAsync(host, OrOf(HitQuery.MaxFilterConditions + 1, """["is","event:page",["/x{0}"]]"""));
        Assert.True(status == HttpStatusCode.BadRequest, $"{(int)status}: {body}");
        Assert.EndsWith($"this one holds {HitQuery.MaxFilterConditions + 1}.", JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_ShapeAtTheLimits_IsAnswered()
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" })); // SQLite

        foreach (var json in new[]
        {
            Dimensions(HitQuery.MaxDimensions),
            OrOf(HitQuery.MaxFilterConditions, """["contains","visit:source",["x{0}"],{{"case_sensitive":false}}]"""),
            OrOf(HitQuery.MaxBehavioralFilters, """["has_done",["matches","event:page",["x{0}"]]]"""),
            Values("is", QueryEndpoint.MaxFilterValues / 100, 100),
            Values("matches", 1, QueryEndpoint.MaxFilterPatterns),
        })
        {
            var (status, body) = await RedTeamQueryTests.PostAsync(host, json);
            Assert.True(status == HttpStatusCode.OK, $"{(int)status}: {body}");
        }
    }
}

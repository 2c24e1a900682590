using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class ExportEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Export_Ndjson_StreamsEveryHitOfTheSiteWithEveryField()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());
        var t0 = DateTimeOffset.Parse("2026-03-02T10:00:00Z", CultureInfo.InvariantCulture);
        var hits = Enumerable.Range(0, 1200).Select(i => new Hit
        {
            SiteId = "example.com", Path = $"/p{i}", Timestamp = t0.AddSeconds(i), VisitorId = i,
            Properties = new Dictionary<string, string> { ["k"] = "<script>\"x\"" },
        }).Append(new Hit { SiteId = "other.com", Path = "/", Timestamp = t0 }).ToList();
        await host.Store.AppendAsync(hits, Ct);

        var text = await host.Client.GetStringAsync("/beacon/api/export?site_id=example.com&date=2026-03-01,2026-03-31", Ct);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(1200, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal("/p0", first.RootElement.GetProperty("path").GetString());
        Assert.Equal("2026-03-02T10:00:00.000Z", first.RootElement.GetProperty("timestamp").GetString());
        Assert.Equal("<script>\"x\"", first.RootElement.GetProperty("props").GetProperty("k").GetString());
        Assert.DoesNotContain("<script>", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_Csv_QuotesAndDefusesFormulas()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());
        await host.Store.AppendAsync(
        [
            new Hit
            {
                SiteId = "example.com", Path = "/a,b", Timestamp = DateTimeOffset.Parse("2026-03-02T10:00:00Z", CultureInfo.InvariantCulture), UtmCampaign = "=HYPERLINK(\"x\")",
                VisitorId = -8817802091444613361, RevenueAmount = -49.9m, RevenueCurrency = "EUR", UtmTerm = "-1+1",
            },
        ], Ct);

        using var response = await host.Client.GetAsync("/beacon/api/export?site_id=example.com&period=all&format=csv", Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("\r\n", text, StringComparison.Ordinal); // RFC 4180 line ends, as the query CSV
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("id,site_id,timestamp,", lines[0], StringComparison.Ordinal);
        Assert.Contains(",\"/a,b\",", lines[1], StringComparison.Ordinal);
        Assert.Contains(",\"'=HYPERLINK(\"\"x\"\")\",", lines[1], StringComparison.Ordinal);
        Assert.Contains(",'-1+1,", lines[1], StringComparison.Ordinal);
        Assert.Contains(",-8817802091444613361,", lines[1], StringComparison.Ordinal); // numbers stay numbers
        Assert.Contains(",-49.9,EUR", lines[1], StringComparison.Ordinal);
    }

    /// <summary>The file is named by the site's local days (Auckland is UTC+13 in March: the UTC dates were a day early).</summary>
    [Fact]
    public async Task Export_FileName_NamesTheSitesLocalDays()
    {
        await using var host = await BeaconTestHost.StartAsync(
            o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", TimeZone = "Pacific/Auckland" }), store: b => b.UseInMemory());

        using var response = await host.Client.GetAsync("/beacon/api/export?site_id=example.com&period=custom&date=2026-03-01,2026-03-02&format=csv", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("beacon-example.com-20260301-20260302.csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
    }

    /// <summary>
    /// Two dates without a period are a custom range, as for /stats, one date that day (it was the last 30 days, so the
    /// file held other hits than the day asked for); neither is all time.
    /// </summary>
    [Theory]
    [InlineData("&date=2026-03-15", "/march")]
    [InlineData("&date=2026-03-01,2026-03-31", "/march")]
    [InlineData("&period=custom&date=2026-04-01,2026-04-30", "/april")]
    [InlineData("", "/march,/april")]
    public async Task Export_Range_TwoDatesAloneAreACustomRange(string range, string paths)
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());
        await host.Store.AppendAsync(
        [
            new Hit { SiteId = "example.com", Path = "/march", Timestamp = DateTimeOffset.Parse("2026-03-15T12:00:00Z", CultureInfo.InvariantCulture) },
            new Hit { SiteId = "example.com", Path = "/april", Timestamp = DateTimeOffset.Parse("2026-04-15T12:00:00Z", CultureInfo.InvariantCulture) },
        ], Ct);

        var text = await host.Client.GetStringAsync("/beacon/api/export?site_id=example.com" + range, Ct);

        var exported = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => System.Text.Json.Nodes.JsonNode.Parse(line)?["path"]?.GetValue<string>());
        Assert.Equal(paths.Split(','), exported);
    }

    /// <summary>A site id beyond ASCII names the file as it is (filename*, RFC 6266), not as %-escapes.</summary>
    [Fact]
    public async Task Export_FileName_SiteIdBeyondAscii_NamedInUtf8WithAnAsciiFallback()
    {
        await using var host = await BeaconTestHost.StartAsync(
            o => o.Sites.Add(new BeaconSiteOptions { Id = "bücher.de", TimeZone = "UTC" }), store: b => b.UseInMemory());

        using var response = await host.Client.GetAsync("/beacon/api/export?site_id=b%C3%BCcher.de&date=2026-03-01,2026-03-02&format=csv", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var disposition = response.Content.Headers.ContentDisposition;
        Assert.Equal("attachment", disposition?.DispositionType);
        Assert.Equal("beacon-bücher.de-20260301-20260302.csv", disposition?.FileNameStar);
        Assert.Equal("beacon-b_cher.de-20260301-20260302.csv", disposition?.FileName?.Trim('"'));
    }

    /// <summary>A day the site's zone skipped (Apia, 2011-12-30) names itself, not the days around it backwards.</summary>
    [Fact]
    public async Task Export_FileNameOfADaySkippedByTheZone_NamesThatDay()
    {
        await using var host = await BeaconTestHost.StartAsync(
            o => o.Sites.Add(new BeaconSiteOptions { Id = "example.ws", TimeZone = "Pacific/Apia" }), store: b => b.UseInMemory());

        using var response = await host.Client.GetAsync("/beacon/api/export?site_id=example.ws&period=day&date=2011-12-30&format=csv", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("beacon-example.ws-20111230-20111230.csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
    }

    [Theory]
    [InlineData("/beacon/api/export?site_id=example.com&format=xml", HttpStatusCode.BadRequest)]
    [InlineData("/beacon/api/export", HttpStatusCode.BadRequest)]
    [InlineData("/beacon/api/export?site_id=example.com&period=forever", HttpStatusCode.BadRequest)]
    public async Task Export_BadParameters_Answer4xx(string url, HttpStatusCode status)
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());

        using var response = await host.Client.GetAsync(url, Ct);

        Assert.Equal(status, response.StatusCode);
    }

    [Fact]
    public async Task Realtime_CountsVisitorsOfTheLastFiveMinutes()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());
        var now = host.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        await host.Store.AppendAsync(
        [
            new Hit { SiteId = "example.com", Path = "/", Timestamp = now.AddMinutes(-1), VisitorId = 1 },
            new Hit { SiteId = "example.com", Path = "/", Timestamp = now.AddMinutes(-2), VisitorId = 2 },
            new Hit { SiteId = "example.com", Path = "/", Timestamp = now.AddMinutes(-20), VisitorId = 3 },
        ], Ct);

        using var doc = JsonDocument.Parse(await host.Client.GetStringAsync("/beacon/api/realtime?site_id=example.com", Ct));

        Assert.Equal(2, doc.RootElement.GetProperty("visitors").GetInt64());
    }
}

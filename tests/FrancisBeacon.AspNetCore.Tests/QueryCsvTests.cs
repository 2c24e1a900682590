using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>
/// <c>POST v2/query?format=csv</c>, the dashboard's CSV download: values a visitor sent that a spreadsheet would run
/// as a formula are defused, and CSV quoting holds.
/// </summary>
public sealed class QueryCsvTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Query_Csv_PrefixesFormulaTextWithAnApostrophe_ButNotPlainNumbers_AndQuotes()
    {
        await using var host = await BeaconTestHost.StartAsync(
            o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", TimeZone = "UTC" }),
            store: b => b.UseInMemory());
        var t0 = DateTimeOffset.Parse("2026-03-02T10:00:00Z", CultureInfo.InvariantCulture);
        string[] names = ["=HYPERLINK(\"http://x\")", "+1,2", "@SUM(A1)", "-2", "-49.90", "-2+3", "-.5", "\tTab", "plain"];
        await host.Store.AppendAsync(
            [.. names.Select((name, i) => new Hit { SiteId = "example.com", Path = "/", EventName = name, Timestamp = t0.AddMinutes(i), VisitorId = i + 1 })],
            Ct);
        using var content = new StringContent(
            """{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-01","2026-03-31"],"dimensions":["event:name"],"order_by":[["event:name","asc"]]}""",
            Encoding.UTF8,
            "application/json");

        using var response = await host.Client.PostAsync("/beacon/api/v2/query?format=csv", content, Ct);
        var lines = (await response.Content.ReadAsStringAsync(Ct)).Split("\r\n");

        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("event:name,visitors", lines[0]);
        Assert.Contains("\"'=HYPERLINK(\"\"http://x\"\")\",1", lines);
        Assert.Contains("\"'+1,2\",1", lines);
        Assert.Contains("'@SUM(A1),1", lines);
        Assert.Contains("-2,1", lines); // a plain number is data, not a formula
        Assert.Contains("-49.90,1", lines);
        Assert.Contains("'-2+3,1", lines);
        Assert.Contains("'-.5,1", lines);
        Assert.Contains("'\tTab,1", lines);
        Assert.Contains("plain,1", lines);
    }

    /// <summary>
    /// The CSV holds stored text unescaped (a page path "&lt;script&gt;…"): like the export's, it is sent with
    /// <c>nosniff</c> and <c>no-store</c> (session 21's probe found the export's headers but not these).
    /// </summary>
    /// <summary><c>Accept</c> picks CSV by its quality: <c>text/csv;q=0</c> (not acceptable) got CSV from a substring match.</summary>
    [Theory]
    [InlineData("text/csv", "text/csv")]
    [InlineData("application/json, text/csv", "text/csv")]
    [InlineData("application/json;q=0.5, text/csv", "text/csv")]
    [InlineData("text/csv;q=0", "application/json")]
    [InlineData("text/csv;q=0.2, application/json", "application/json")]
    [InlineData("*/*", "application/json")]
    public async Task Query_Accept_ChoosesCsvByQuality(string accept, string expected)
    {
        await using var host = await BeaconTestHost.StartAsync(
            o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", TimeZone = "UTC" }),
            store: b => b.UseInMemory());
        using var request = new HttpRequestMessage(HttpMethod.Post, "/beacon/api/v2/query")
        {
            Content = new StringContent("""{"site_id":"example.com","metrics":["visitors"],"date_range":"7d"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Accept", accept);

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Query_Csv_IsSentNosniffAndNoStore()
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com", TimeZone = "UTC" }), store: b => b.UseInMemory());
        await host.Store.AppendAsync([new Hit { SiteId = "example.com", Path = "/<script>alert(1)</script>", Timestamp = DateTimeOffset.Parse("2026-03-02T10:00:00Z", CultureInfo.InvariantCulture), VisitorId = 1 }], Ct);
        using var content = new StringContent("""{"site_id":"example.com","metrics":["visitors"],"date_range":["2026-03-01","2026-03-31"],"dimensions":["event:page"]}""", Encoding.UTF8, "application/json");

        using var response = await host.Client.PostAsync("/beacon/api/v2/query?format=csv", content, Ct);

        Assert.Contains("/<script>alert(1)</script>,1", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Equal(["nosniff"], response.Headers.GetValues("X-Content-Type-Options"));
        Assert.True(response.Headers.CacheControl?.NoStore, $"Cache-Control: {response.Headers.CacheControl}");
    }
}

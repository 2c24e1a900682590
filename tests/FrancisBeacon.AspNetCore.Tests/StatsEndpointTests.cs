using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class StatsEndpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Stats_AfterPixelHits_ShowsExactCountsPerPageAndDay()
    {
        await using var host = await BeaconTestHost.StartAsync();
        await SendPixelsAsync(host, "http://localhost/page_a", 200);
        await SendPixelsAsync(host, "http://localhost/page_b", 120);
        await host.WaitForHitsAsync(320);

        using var doc = await GetJsonAsync(host, "/beacon/api/stats?site_id=localhost&period=7d");
        var root = doc.RootElement;

        Assert.Equal(320, root.GetProperty("totals").GetProperty("pageviews").GetInt64());
        Assert.Equal(1, root.GetProperty("totals").GetProperty("visitors").GetInt64());
        var pages = root.GetProperty("pages").EnumerateArray().ToList();
        Assert.Equal("/page_a", pages[0].GetProperty("page").GetString());
        Assert.Equal(200, pages[0].GetProperty("pageviews").GetInt64());
        Assert.Equal("/page_b", pages[1].GetProperty("page").GetString());
        Assert.Equal(120, pages[1].GetProperty("pageviews").GetInt64());
        var daily = root.GetProperty("daily").EnumerateArray().ToList();
        Assert.Equal(7, daily.Count);
        Assert.Equal(320, daily[^1].GetProperty("pageviews").GetInt64());
        Assert.All(daily.Take(6), d => Assert.Equal(0, d.GetProperty("pageviews").GetInt64()));
    }

    [Fact]
    public async Task Stats_CustomRange_ZeroFillsEveryDayInclusive()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());
        var store = host.Store;
        await store.AppendAsync(
        [
            new Hit { SiteId = "example.com", Path = "/", Timestamp = At("2026-03-02T10:00:00Z"), VisitorId = 1 },
            new Hit { SiteId = "example.com", Path = "/a", Timestamp = At("2026-03-04T23:30:00Z"), VisitorId = 2 },
            new Hit { SiteId = "example.com", Path = "/a", Timestamp = At("2026-03-06T00:00:00Z"), VisitorId = 2 },
        ], Ct);

        using var doc = await GetJsonAsync(host, "/beacon/api/stats?site_id=example.com&period=custom&date=2026-03-01,2026-03-05");
        var daily = doc.RootElement.GetProperty("daily").EnumerateArray().Select(d => (d.GetProperty("date").GetString(), d.GetProperty("pageviews").GetInt64())).ToList();

        Assert.Equal(
            [("2026-03-01", 0L), ("2026-03-02", 1L), ("2026-03-03", 0L), ("2026-03-04", 1L), ("2026-03-05", 0L)],
            daily);
        Assert.Equal(2, doc.RootElement.GetProperty("totals").GetProperty("visitors").GetInt64());
    }

    [Fact]
    public async Task Stats_SessionTotalsAndEntryPages_ComeFromSessions()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());
        var t0 = At("2026-03-02T10:00:00Z");
        await host.Store.AppendAsync(
        [
            new Hit { SiteId = "example.com", Path = "/", Timestamp = t0, VisitorId = 1 },
            new Hit { SiteId = "example.com", Path = "/pricing", Timestamp = t0.AddMinutes(2), VisitorId = 1 },
            new Hit { SiteId = "example.com", Path = "/blog", Timestamp = t0.AddMinutes(1), VisitorId = 2 },
        ], Ct);

        using var doc = await GetJsonAsync(host, "/beacon/api/stats?site_id=example.com&date=2026-03-02,2026-03-02");
        var totals = doc.RootElement.GetProperty("totals");

        Assert.Equal(2, totals.GetProperty("visits").GetInt64());
        Assert.Equal(50, totals.GetProperty("bounce_rate").GetInt64());
        Assert.Equal(60, totals.GetProperty("visit_duration").GetInt64());
        Assert.Equal(1.5, totals.GetProperty("views_per_visit").GetDouble());
        var entries = doc.RootElement.GetProperty("entry_pages").EnumerateArray().Select(e => e.GetProperty("page").GetString()).ToList();
        Assert.Equal(["/", "/blog"], entries);
        Assert.Equal(2, doc.RootElement.GetProperty("daily")[0].GetProperty("visits").GetInt64());
    }

    [Fact]
    public async Task Stats_SiteTimeZone_DecidesTheDay()
    {
        await using var host = await BeaconTestHost.StartAsync(
            o => o.Sites.Add(new BeaconSiteOptions { Id = "example.de", TimeZone = "Europe/Berlin" }),
            store: b => b.UseInMemory());
        // 23:30 UTC on 1 March is 00:30 on 2 March in Berlin.
        await host.Store.AppendAsync([new Hit { SiteId = "example.de", Path = "/", Timestamp = At("2026-03-01T23:30:00Z"), VisitorId = 1 }], Ct);

        using var doc = await GetJsonAsync(host, "/beacon/api/stats?site_id=example.de&date=2026-03-01,2026-03-02");
        var daily = doc.RootElement.GetProperty("daily").EnumerateArray().ToList();

        Assert.Equal("Europe/Berlin", doc.RootElement.GetProperty("time_zone").GetString());
        Assert.Equal(0, daily[0].GetProperty("pageviews").GetInt64());
        Assert.Equal(1, daily[1].GetProperty("pageviews").GetInt64());
    }

    [Fact]
    public async Task Stats_PeriodAll_RunsFromTheFirstDayWithHitsToToday()
    {
        // The first hit is more than ten years back: "all" is still answered (it used to be 400 whatever the data,
        // since it started in 2000). 2014-06-01 21:30 UTC is 23:30 in Berlin.
        await using var host = await BeaconTestHost.StartAsync(
            o => o.Sites.Add(new BeaconSiteOptions { Id = "example.de", TimeZone = "Europe/Berlin" }),
            store: b => b.UseInMemory(),
            services: s => s.AddSingleton<TimeProvider>(new FakeTimeProvider(At("2026-03-10T12:00:00Z"))));
        await host.Store.AppendAsync(
        [
            new Hit { SiteId = "example.de", Path = "/", Timestamp = At("2014-06-01T21:30:00Z"), VisitorId = 1 },
            new Hit { SiteId = "example.de", Path = "/a", Timestamp = At("2026-03-02T10:00:00Z"), VisitorId = 2 },
        ], Ct);

        using var doc = await GetJsonAsync(host, "/beacon/api/stats?site_id=example.de&period=all");
        var root = doc.RootElement;
        var daily = root.GetProperty("daily").EnumerateArray().ToList();

        Assert.Equal("all", root.GetProperty("period").GetString());
        Assert.Equal("2014-06-01", root.GetProperty("from").GetString());
        Assert.Equal("2026-03-10", root.GetProperty("to").GetString());
        Assert.Equal(new DateOnly(2026, 3, 10).DayNumber - new DateOnly(2014, 6, 1).DayNumber + 1, daily.Count);
        Assert.Equal(("2014-06-01", 1L), (daily[0].GetProperty("date").GetString(), daily[0].GetProperty("pageviews").GetInt64()));
        Assert.Equal(2, root.GetProperty("totals").GetProperty("pageviews").GetInt64());
        Assert.Equal(2, root.GetProperty("totals").GetProperty("visits").GetInt64());
    }

    [Fact]
    public async Task Stats_PeriodAllWithoutHits_IsToday()
    {
        await using var host = await BeaconTestHost.StartAsync(
            o => o.Sites.Add(new BeaconSiteOptions { Id = "example.de", TimeZone = "Europe/Berlin" }),
            store: b => b.UseInMemory(),
            services: s => s.AddSingleton<TimeProvider>(new FakeTimeProvider(At("2026-03-10T23:30:00Z"))));

        using var doc = await GetJsonAsync(host, "/beacon/api/stats?site_id=example.de&period=all");
        var root = doc.RootElement;

        Assert.Equal("2026-03-11", root.GetProperty("from").GetString());
        Assert.Equal("2026-03-11", root.GetProperty("to").GetString());
        Assert.Equal(0, Assert.Single(root.GetProperty("daily").EnumerateArray().ToList()).GetProperty("pageviews").GetInt64());
    }

    [Fact]
    public async Task Stats_DaySkippedBySiteZone_IsZerosAndTheDaysAroundItCountOnce()
    {
        // Pacific/Apia went from 2011-12-29 (-10) straight to 2011-12-31 (+14).
        await using var host = await BeaconTestHost.StartAsync(
            o => o.Sites.Add(new BeaconSiteOptions { Id = "example.ws", TimeZone = "Pacific/Apia" }),
            store: b => b.UseInMemory());
        await host.Store.AppendAsync(
        [
            new Hit { SiteId = "example.ws", Path = "/", Timestamp = At("2011-12-29T12:00:00Z"), VisitorId = 1 }, // 29th, 02:00
            new Hit { SiteId = "example.ws", Path = "/", Timestamp = At("2011-12-30T09:00:00Z"), VisitorId = 2 }, // 29th, 23:00
            new Hit { SiteId = "example.ws", Path = "/", Timestamp = At("2011-12-30T11:00:00Z"), VisitorId = 3 }, // 31st, 01:00
        ], Ct);

        using var skipped = await GetJsonAsync(host, "/beacon/api/stats?site_id=example.ws&period=day&date=2011-12-30");
        using var around = await GetJsonAsync(host, "/beacon/api/stats?site_id=example.ws&date=2011-12-29,2011-12-31");
        var daily = around.RootElement.GetProperty("daily").EnumerateArray().Select(d => (d.GetProperty("date").GetString(), d.GetProperty("pageviews").GetInt64())).ToList();

        Assert.Equal(0, skipped.RootElement.GetProperty("totals").GetProperty("pageviews").GetInt64());
        Assert.Equal([("2011-12-29", 2L), ("2011-12-30", 0L), ("2011-12-31", 1L)], daily);
        Assert.Equal(3, around.RootElement.GetProperty("totals").GetProperty("pageviews").GetInt64());
    }

    [Fact]
    public async Task Stats_Limit_CapsTopPages()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());
        await SendPixelsAsync(host, "http://localhost/a", 3);
        await SendPixelsAsync(host, "http://localhost/b", 2);
        await SendPixelsAsync(host, "http://localhost/c", 1);
        await host.WaitForHitsAsync(6);

        using var doc = await GetJsonAsync(host, "/beacon/api/stats?site_id=localhost&period=day&limit=2");

        Assert.Equal<string>(["/a", "/b"], doc.RootElement.GetProperty("pages").EnumerateArray().Select(p => p.GetProperty("page").GetString()!).ToArray());
    }

    [Theory]
    [InlineData("/beacon/api/stats?site_id=x&period=fortnight", "period")]
    [InlineData("/beacon/api/stats?site_id=x&period=custom", "date")]
    [InlineData("/beacon/api/stats?site_id=x&period=custom&date=2026-13-01,2026-13-02", "date")]
    [InlineData("/beacon/api/stats?site_id=x&period=custom&date=2026-03-05,2026-03-01", "date_range")]
    [InlineData("/beacon/api/stats?site_id=x&limit=0", "limit")]
    [InlineData("/beacon/api/stats?site_id=x&limit=abc", "limit")]
    [InlineData("/beacon/api/stats", "site_id")]
    [InlineData("/beacon/api/stats?site_id=x&period=custom&date=1900-01-01,2026-01-01", "date")]
    [InlineData("/beacon/api/stats?site_id=x&period=7d&date=2026-01-01", "date")] // was ignored: the last 7 days
    public async Task Stats_InvalidParameters_Answer400NamingTheField(string url, string field)
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());

        using var response = await host.Client.GetAsync(url, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal(field, doc.RootElement.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Stats_UnknownSiteWhenSitesConfigured_Answers404()
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" }), store: b => b.UseInMemory());

        using var response = await host.Client.GetAsync("/beacon/api/stats?site_id=other.com", Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Stats_NoSiteIdWithOneConfiguredSite_UsesThatSite()
    {
        await using var host = await BeaconTestHost.StartAsync(o => o.Sites.Add(new BeaconSiteOptions { Id = "example.com" }), store: b => b.UseInMemory());

        using var doc = await GetJsonAsync(host, "/beacon/api/stats");

        Assert.Equal("example.com", doc.RootElement.GetProperty("site_id").GetString());
        Assert.Equal("30d", doc.RootElement.GetProperty("period").GetString());
    }

    [Fact]
    public async Task Api_RemoteCallerWithoutPolicy_Answers403()
    {
        await using var host = await BeaconTestHost.StartAsync(
            store: b => b.UseInMemory(),
            map: app =>
            {
                app.Use((context, next) =>
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.7");
                    return next(context);
                });
                app.MapBeaconApi("/beacon/api");
            });

        using var response = await host.Client.GetAsync("/beacon/api/stats?site_id=x", Ct);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Api_RemoteCallerWithExplicitAllowAnonymous_IsServed()
    {
        await using var host = await BeaconTestHost.StartAsync(
            store: b => b.UseInMemory(),
            map: app =>
            {
                app.Use((context, next) =>
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.7");
                    return next(context);
                });
                app.MapBeaconApi("/beacon/api").AllowAnonymous();
            });

        using var response = await host.Client.GetAsync("/beacon/api/stats?site_id=x", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Api_RequireAuthorization_AnonymousRemoteCaller_Answers401()
    {
        await using var host = await BeaconTestHost.StartAsync(
            store: b => b.UseInMemory(),
            services: s =>
            {
                s.AddAuthentication("Test").AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, NoUserHandler>("Test", null);
                s.AddAuthorization();
            },
            map: app =>
            {
                app.UseAuthentication();
                app.UseAuthorization();
                app.MapBeaconApi("/beacon/api").RequireAuthorization();
            });

        using var response = await host.Client.GetAsync("/beacon/api/stats?site_id=x", Ct);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    private static async Task SendPixelsAsync(BeaconTestHost host, string page, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif");
            request.Headers.Referrer = new Uri(page);
            using var response = await host.Client.SendAsync(request, Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    private static async Task<JsonDocument> GetJsonAsync(BeaconTestHost host, string url)
    {
        using var response = await host.Client.GetAsync(url, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text);
    }

    private sealed class NoUserHandler(
        Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions> options,
        Microsoft.Extensions.Logging.ILoggerFactory logger,
        System.Text.Encodings.Web.UrlEncoder encoder)
        : Microsoft.AspNetCore.Authentication.AuthenticationHandler<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<Microsoft.AspNetCore.Authentication.AuthenticateResult> HandleAuthenticateAsync() =>
            Task.FromResult(Microsoft.AspNetCore.Authentication.AuthenticateResult.NoResult());
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using FrancisBeacon.Sample;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.Browser.Tests;

/// <summary>
/// One Kestrel app for the dashboard tests: the in-memory store filled with the sample's deterministic demo traffic
/// (<c>--seed-demo</c>) plus hostile strings sent through the beacon's own <c>POST /beacon/event</c>.
/// </summary>
public sealed class DashboardSite : IAsyncLifetime
{
    public const string Site = "site.test";

    /// <summary>A configured site that never recorded anything.</summary>
    public const string EmptySite = "empty.test";

    /// <summary>Visitor-supplied strings that must stay text.</summary>
    public const string HostilePath = "/<img src=x onerror=window.__pwned=1>";
    public const string HostileCampaign = "\"><script>window.__pwned=2</script>";
    public const string HostileEvent = "<svg onload=window.__pwned=3>";
    public const string HostileProp = "<img src=x onerror=window.__pwned=4>";

    private WebApplication? _app;

    public int Port { get; private set; }

    public string Dashboard => $"http://127.0.0.1:{Port}/beacon";

    public HttpClient Client { get; } = new();

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddBeacon(o =>
        {
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
            o.IncludeBots = true;
            o.Sites.Add(new BeaconSiteOptions { Id = Site, TimeZone = "UTC" });
            o.Sites.Add(new BeaconSiteOptions { Id = EmptySite, TimeZone = "America/Los_Angeles" });
        }).UseInMemory();
        _app = builder.Build();
        _app.UseBeacon();
        _app.MapBeaconDashboard("/beacon");
        await _app.StartAsync(CancellationToken.None);
        Port = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()).Port;
        Client.BaseAddress = new Uri($"http://127.0.0.1:{Port}");

        var store = _app.Services.GetRequiredService<IHitStore>();
        await DemoTraffic.SeedAsync(store, Site, Site, TimeZoneInfo.Utc, TimeProvider.System, CancellationToken.None);

        // Through the beacon, as a hostile page would send them.
        using var request = new HttpRequestMessage(HttpMethod.Post, "/beacon/event")
        {
            Content = JsonContent.Create(new Dictionary<string, object>
            {
                ["name"] = "pageview",
                ["url"] = $"http://{Site}{HostilePath}?utm_campaign={Uri.EscapeDataString(HostileCampaign)}",
                ["referrer"] = "https://evil.example/\"><script>window.__pwned=5</script>",
            }),
        };
        request.Headers.UserAgent.ParseAdd("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36");
        using var first = await Client.SendAsync(request);
        first.EnsureSuccessStatusCode();
        using var second = new HttpRequestMessage(HttpMethod.Post, "/beacon/event")
        {
            Content = JsonContent.Create(new Dictionary<string, object>
            {
                ["name"] = HostileEvent,
                ["url"] = $"http://{Site}{HostilePath}",
                ["props"] = new Dictionary<string, string> { ["kind"] = HostileProp },
            }),
        };
        second.Headers.UserAgent.ParseAdd("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36");
        using var secondResponse = await Client.SendAsync(second);
        secondResponse.EnsureSuccessStatusCode();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            var rows = await QueryAsync("""{"metrics":["events"],"date_range":"day","filters":[["is","event:page",["/<img src=x onerror=window.__pwned=1>"]]]}""");
            if (rows.Count > 0 && rows[0].GetProperty("metrics")[0].GetDouble() >= 2)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("The hostile hits were not stored.");
    }

    /// <summary>Asks the API what the dashboard should show: <paramref name="json"/> without the site id.</summary>
    public async Task<List<JsonElement>> QueryAsync(string json)
    {
        var body = "{\"site_id\":\"" + Site + "\"," + json.TrimStart()[1..];
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await Client.PostAsync("/beacon/api/v2/query", content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {text} for {body}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.GetProperty("results").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }
}

using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore.Tests.Hostile;

public sealed class AbuseControlTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<BeaconTestHost> StartAsync(Action<BeaconOptions>? configure = null) =>
        BeaconTestHost.StartAsync(
            o =>
            {
                o.Compatibility.Plausible = true;
                configure?.Invoke(o);
            },
            store: b => b.UseInMemory());

    private static HttpRequestMessage Pixel(string remote, string query = "u=https%3A%2F%2Fexample.com%2F")
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/hit.gif?" + query);
        request.Headers.Add("X-Test-Remote", remote);
        return request;
    }

    private static HttpRequestMessage Event(string remote, string path = "/beacon/event")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent("""{"name":"pageview","n":"pageview","url":"https://example.com/","u":"https://example.com/"}""", Encoding.UTF8, "text/plain"),
        };
        request.Headers.Add("X-Test-Remote", remote);
        return request;
    }

    private static async Task<List<HttpStatusCode>> SendAsync(BeaconTestHost host, Func<HttpRequestMessage> request, int count)
    {
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < count; i++)
        {
            using var message = request();
            using var response = await host.Client.SendAsync(message, Ct);
            statuses.Add(response.StatusCode);
        }

        return statuses;
    }

    [Fact]
    public async Task RateLimit_Off_ByDefault_AcceptsEverything()
    {
        await using var host = await StartAsync();

        var statuses = await SendAsync(host, () => Pixel("203.0.113.7"), 150);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(150, (await host.WaitForHitsAsync(150)).Count);
    }

    [Fact]
    public async Task RateLimit_Reject_Answers429WithRetryAfterPastTheLimit_PerClient_AndCounts()
    {
        await using var host = await StartAsync(o =>
        {
            o.RateLimiting.Enabled = true;
            o.RateLimiting.PermitLimit = 3;
            o.RateLimiting.Window = TimeSpan.FromMinutes(10);
        });

        var first = await SendAsync(host, () => Pixel("203.0.113.7"), 5);
        using var lastEvent = Event("203.0.113.7");
        using var rejectedEvent = await host.Client.SendAsync(lastEvent, Ct);
        var other = await SendAsync(host, () => Event("198.51.100.1", "/api/event"), 3);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], first);
        Assert.Equal(HttpStatusCode.TooManyRequests, rejectedEvent.StatusCode);
        Assert.Equal(TimeSpan.FromMinutes(10), rejectedEvent.Headers.RetryAfter?.Delta);
        Assert.All(other, s => Assert.Equal(HttpStatusCode.Accepted, s));
        Assert.Equal(6, (await host.WaitForHitsAsync(6)).Count);
        Assert.Equal(3, host.Services.GetRequiredService<BeaconMetrics>().DroppedBy("rate_limited"));
    }

    [Fact]
    public async Task RateLimit_Drop_AnswersAsUsualButRecordsNothingPastTheLimit()
    {
        await using var host = await StartAsync(o =>
        {
            o.RateLimiting.Enabled = true;
            o.RateLimiting.PermitLimit = 2;
            o.RateLimiting.Action = BeaconRateLimitAction.Drop;
        });

        var statuses = await SendAsync(host, () => Event("2001:db8::1"), 5);
        // Another address in the same /64 is the same client.
        var sameSubnet = await SendAsync(host, () => Event("2001:db8::ffff"), 1);
        await Task.Delay(300, Ct);

        Assert.All(statuses.Concat(sameSubnet), s => Assert.Equal(HttpStatusCode.Accepted, s));
        Assert.Equal(2, (await BeaconTestHost.ReadAllAsync(host.Store)).Count);
        Assert.Equal(4, host.Services.GetRequiredService<BeaconMetrics>().DroppedBy("rate_limited"));
    }

    [Fact]
    public void PartitionKey_MasksToTheConfiguredPrefix()
    {
        var options = new BeaconOptions();
        options.RateLimiting.Ipv4PrefixLength = 24;
        using var limiter = new BeaconRateLimiter(Options.Create(options));

        Assert.Equal(limiter.PartitionKey(IPAddress.Parse("192.0.2.1")), limiter.PartitionKey(IPAddress.Parse("192.0.2.254")));
        Assert.Equal(limiter.PartitionKey(IPAddress.Parse("192.0.2.1")), limiter.PartitionKey(IPAddress.Parse("::ffff:192.0.2.9")));
        Assert.NotEqual(limiter.PartitionKey(IPAddress.Parse("192.0.2.1")), limiter.PartitionKey(IPAddress.Parse("192.0.3.1")));
        Assert.Equal(limiter.PartitionKey(IPAddress.Parse("2001:db8:0:1::1")), limiter.PartitionKey(IPAddress.Parse("2001:db8:0:1:ffff::1")));
        Assert.NotEqual(limiter.PartitionKey(IPAddress.Parse("2001:db8:0:1::1")), limiter.PartitionKey(IPAddress.Parse("2001:db8:0:2::1")));
    }

    [Theory]
    [InlineData(4096, 4097, HttpStatusCode.RequestUriTooLong)]
    [InlineData(4096, 4096, HttpStatusCode.OK)]
    [InlineData(300, 301, HttpStatusCode.RequestUriTooLong)]
    public async Task MaxQueryStringLength_LongerQuery_Answers414(int limit, int length, HttpStatusCode expected)
    {
        await using var host = await StartAsync(o => o.MaxQueryStringLength = limit);
        var prefix = "?u=https%3A%2F%2Fexample.com%2F&x=";
        var query = prefix + new string('a', length - prefix.Length);

        using var response = await host.Client.GetAsync("/beacon/hit.gif" + query, Ct);

        Assert.Equal(expected, response.StatusCode);
    }

    [Theory]
    [InlineData("/beacon/event")]
    [InlineData("/api/event")]
    public async Task MaxBodyBytes_LargerBody_Answers413WithoutRecording(string path)
    {
        await using var host = await StartAsync(o => o.MaxBodyBytes = 1024);
        var body = """{"name":"pageview","n":"pageview","url":"https://example.com/","u":"https://example.com/","x":" """ + new string('a', 1024) + "\"}";

        using var response = await host.Client.PostAsync(path, new StringContent(body, Encoding.UTF8, "text/plain"), Ct);
        using var chunked = await host.Client.PostAsync(path, new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body))), Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, chunked.StatusCode);
        Assert.Equal(2, host.Services.GetRequiredService<BeaconMetrics>().DroppedBy("too_large"));
    }

    [Fact]
    public void Validator_RateLimitOutOfRange_ListsEveryError()
    {
        var options = new BeaconOptions { MaxQueryStringLength = 10 };
        options.RateLimiting.PermitLimit = 0;
        options.RateLimiting.Window = TimeSpan.Zero;
        options.RateLimiting.Ipv4PrefixLength = 33;
        options.RateLimiting.Ipv6PrefixLength = 8;

        var result = new BeaconOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        foreach (var name in new[] { "MaxQueryStringLength", "RateLimiting.PermitLimit", "RateLimiting.Window", "RateLimiting.Ipv4PrefixLength", "RateLimiting.Ipv6PrefixLength" })
        {
            Assert.Contains(name, result.FailureMessage, StringComparison.Ordinal);
        }
    }
}

using System.IO.Compression;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class TrackerScriptTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Script_PlainUrl_IsJavaScriptUnder1KBGzippedWithShortCache()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());

        using var response = await host.Client.GetAsync("/beacon/script.js", Ct);
        var body = await response.Content.ReadAsByteArrayAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromHours(1), response.Headers.CacheControl?.MaxAge);
        Assert.NotNull(response.Headers.ETag);
        Assert.Contains("sendBeacon", System.Text.Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        using var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            gzip.Write(body);
        }

        Assert.True(gzipped.Length < 1024, $"script.js is {gzipped.Length} bytes gzipped");
    }

    [Fact]
    public async Task Script_VersionedUrl_IsImmutableAndMatchesIntegrity()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());
        var script = TrackerScript.Instance;

        using var response = await host.Client.GetAsync($"/beacon/script.{script.Version}.js", Ct);
        var body = await response.Content.ReadAsByteArrayAsync(Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(TimeSpan.FromDays(365), response.Headers.CacheControl?.MaxAge);
        Assert.Contains("immutable", response.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.Equal(script.Integrity, "sha384-" + Convert.ToBase64String(System.Security.Cryptography.SHA384.HashData(body)));
    }

    [Fact]
    public async Task Script_IfNoneMatch_Answers304()
    {
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseInMemory());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/beacon/script.js");
        request.Headers.TryAddWithoutValidation("If-None-Match", $"\"{TrackerScript.Instance.Version}\"");

        using var response = await host.Client.SendAsync(request, Ct);

        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    [Fact]
    public void Tag_UnderPathBase_WritesVersionedSrcIntegrityAndEscapedDomain()
    {
        var services = new ServiceCollection();
        services.AddBeacon(o => o.PathPrefix = "/stats").UseInMemory();
        using var provider = services.BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = provider };
        context.Request.PathBase = "/shop";

        var tag = TrackerScript.Tag(context, "ex\"ample.com", ("outbound", null));

        Assert.Contains($"src=\"/shop/stats/script.{TrackerScript.Instance.Version}.js\"", tag, StringComparison.Ordinal);
        Assert.Contains($"integrity=\"{TrackerScript.Instance.Integrity}\"", tag, StringComparison.Ordinal);
        Assert.Contains("data-domain=\"ex&quot;ample.com\"", tag, StringComparison.Ordinal);
        Assert.Contains(" data-outbound", tag, StringComparison.Ordinal);
        Assert.Contains("window.beacon.q", tag, StringComparison.Ordinal);
    }
}

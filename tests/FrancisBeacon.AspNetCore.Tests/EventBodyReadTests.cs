using System.Net;
using System.Text;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>The event body is read into a buffer that starts small and grows up to <c>MaxBodyBytes</c>.</summary>
public sealed class EventBodyReadTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Event_BodyOfExactlyMaxBodyBytes_IsAcceptedWhetherChunkedOrNot(bool chunked)
    {
        await using var host = await BeaconTestHost.StartAsync();
        var body = Json(8 * 1024);
        using var content = chunked ? new StreamContent(new ChunkedStream(body)) : (HttpContent)new ByteArrayContent(body);

        using var response = await host.Client.PostAsync("/beacon/event", content, Ct);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var hit = Assert.Single(await host.WaitForHitsAsync(1));
        Assert.Equal("/grown", hit.Path);
    }

    [Fact]
    public async Task Event_ChunkedBodyOneByteOverMaxBodyBytes_Answers413()
    {
        await using var host = await BeaconTestHost.StartAsync();
        using var content = new StreamContent(new ChunkedStream(Json((8 * 1024) + 1)));

        using var response = await host.Client.PostAsync("/beacon/event", content, Ct);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    /// <summary>A JSON event of exactly <paramref name="length"/> UTF-8 bytes, padded by a field the endpoint ignores.</summary>
    private static byte[] Json(int length)
    {
        const string Head = "{\"url\":\"https://example.com/grown\",\"pad\":\"";
        const string Tail = "\"}";
        return Encoding.UTF8.GetBytes(Head + new string('x', length - Head.Length - Tail.Length) + Tail);
    }

    /// <summary>No length known up front, and reads of at most 700 bytes: the buffer has to grow several times.</summary>
    private sealed class ChunkedStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 700));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(buffer.Length, 700)], cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            base.ReadAsync(buffer, offset, Math.Min(count, 700), cancellationToken);
    }
}

using System.Net;
using System.Text.Json;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>A store that does not answer (timeout, dropped connection) gives the query API a 503, not a 500.</summary>
public sealed class StoreUnavailableTests
{
    [Theory]
    [InlineData("/beacon/api/stats?site_id=localhost&period=day", null)]
    [InlineData("/beacon/api/v2/query", """{"site_id":"localhost","metrics":["visitors"],"date_range":"7d"}""")]
    public async Task QueryApi_StoreTimesOut_Answers503WithRetryAfterAndJsonError(string path, string? body)
    {
        var store = new TimingOutHitStore();
        await using var host = await BeaconTestHost.StartAsync(store: b => b.UseStore(_ => store));
        var ct = TestContext.Current.CancellationToken;

        using var content = body is null ? null : new StringContent(body);
        using var response = body is null
            ? await host.Client.GetAsync(new Uri(path, UriKind.Relative), ct)
            : await host.Client.PostAsync(new Uri(path, UriKind.Relative), content, ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        Assert.Equal("store", json.RootElement.GetProperty("field").GetString());
        Assert.True(store.Queries > 0);
    }

    [Fact]
    public void IsUnavailable_OnlyTimeoutsAndTransientDatabaseErrors()
    {
        Assert.True(StoreUnavailableFilter.IsUnavailable(new InvalidOperationException("wrapped", new TimeoutException())));
        Assert.True(StoreUnavailableFilter.IsUnavailable(new TransientDbException(transient: true)));
        Assert.False(StoreUnavailableFilter.IsUnavailable(new TransientDbException(transient: false)));
        Assert.False(StoreUnavailableFilter.IsUnavailable(new InvalidOperationException("a bug")));
    }

    private sealed class TransientDbException(bool transient) : System.Data.Common.DbException("database")
    {
        public override bool IsTransient => transient;
    }

    private sealed class TimingOutHitStore : IHitStore
    {
        private int _queries;

        public int Queries => Volatile.Read(ref _queries);

        public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _queries);
            throw new InvalidOperationException("Exception while reading from stream", new TimeoutException("Timeout during reading attempt"));
        }

        public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => AsyncEnumerable.Empty<Hit>();

        public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => ValueTask.FromResult(0L);
    }
}

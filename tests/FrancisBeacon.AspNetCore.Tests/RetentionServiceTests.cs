using FrancisBeacon.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class RetentionServiceTests
{
    [Fact]
    public async Task PurgeOnce_DeletesOnlyHitsOlderThanTheRetentionPeriod()
    {
        var ct = TestContext.Current.CancellationToken;
        var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(now);
        var store = new InMemoryHitStore();
        await store.AppendAsync(
        [
            new Hit { SiteId = "a", Path = "/old", Timestamp = now.AddDays(-91) },
            new Hit { SiteId = "b", Path = "/old", Timestamp = now.AddDays(-90).AddSeconds(-1) },
            new Hit { SiteId = "a", Path = "/kept", Timestamp = now.AddDays(-89) },
        ], ct);
        var services = new ServiceCollection().AddSingleton<IHitStore>(store).BuildServiceProvider();
        var retention = new RetentionService(services, Options.Create(new BeaconOptions { RetentionPeriod = TimeSpan.FromDays(90) }), time, NullLogger<RetentionService>.Instance);

        var deleted = await retention.PurgeOnceAsync(ct);

        Assert.Equal(2, deleted);
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public async Task PurgeOnce_RollupsAsLongAsHits_PurgesBothAtTheSameCutoff()
    {
        var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        var store = new RecordingStore();
        var retention = Retention(store, now, new BeaconOptions { RetentionPeriod = TimeSpan.FromDays(90) });

        await retention.PurgeOnceAsync(TestContext.Current.CancellationToken);

        var purge = Assert.Single(store.Purges);
        Assert.Equal(now.AddDays(-90), purge.To);
        Assert.True(purge.IncludeDerivedData);
    }

    [Fact]
    public async Task PurgeOnce_RollupsKeptLonger_PurgesRawHitsThenOlderRollups()
    {
        var ct = TestContext.Current.CancellationToken;
        var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        var store = new RecordingStore();
        await store.AppendAsync([new Hit { SiteId = "a", Path = "/old", Timestamp = now.AddDays(-91) }, new Hit { SiteId = "a", Path = "/kept", Timestamp = now.AddDays(-89) }], ct);
        var retention = Retention(store, now, new BeaconOptions { RetentionPeriod = TimeSpan.FromDays(90), RollupRetentionPeriod = TimeSpan.FromDays(730) });

        Assert.Equal(1, await retention.PurgeOnceAsync(ct));

        Assert.Equal(2, store.Purges.Count);
        Assert.Equal((now.AddDays(-90), false), (store.Purges[0].To, store.Purges[0].IncludeDerivedData));
        Assert.Equal((now.AddDays(-730), true), (store.Purges[1].To, store.Purges[1].IncludeDerivedData));
    }

    [Fact]
    public async Task PurgeOnce_RollupsKeptForever_PurgesRawHitsOnly()
    {
        var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        var store = new RecordingStore();
        var retention = Retention(store, now, new BeaconOptions { RetentionPeriod = TimeSpan.FromDays(90), RollupRetentionPeriod = TimeSpan.Zero });

        await retention.PurgeOnceAsync(TestContext.Current.CancellationToken);

        var purge = Assert.Single(store.Purges);
        Assert.False(purge.IncludeDerivedData);
    }

    [Theory]
    [InlineData(90, 30)] // shorter than the hits' period
    [InlineData(0, 30)] // hits kept forever
    [InlineData(90, -1)]
    public void Validator_BadRollupRetention_IsRejected(int hitDays, int rollupDays)
    {
        var result = new BeaconOptionsValidator().Validate(null, new BeaconOptions { RetentionPeriod = TimeSpan.FromDays(hitDays), RollupRetentionPeriod = TimeSpan.FromDays(rollupDays) });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("RollupRetentionPeriod", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(90, 90)]
    [InlineData(90, 3650)]
    [InlineData(90, 0)]
    public void Validator_GoodRollupRetention_IsAccepted(int hitDays, int rollupDays)
    {
        var result = new BeaconOptionsValidator().Validate(null, new BeaconOptions { RetentionPeriod = TimeSpan.FromDays(hitDays), RollupRetentionPeriod = TimeSpan.FromDays(rollupDays) });

        Assert.False(result.Failed, result.FailureMessage);
    }

    [Fact]
    public void Validator_RetentionUnderADay_IsRejected()
    {
        var result = new BeaconOptionsValidator().Validate(null, new BeaconOptions { RetentionPeriod = TimeSpan.FromHours(2) });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("RetentionPeriod", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("fails")]
    [InlineData("cancelled")]
    public async Task PurgeOnce_WhileItRuns_EverySiteIsPurging_AndLeftAfterHoweverItEnds(string? outcome)
    {
        // Retention purges every site's hits: the rollup worker pauses its passes until the round ends (HitPurgeRegistry).
        var purges = new HitPurgeRegistry();
        var seen = new List<bool>();
        var store = new PurgeHookStore
        {
            OnPurge = _ =>
            {
                seen.Add(purges.IsPurging("any.example"));
                switch (outcome)
                {
                    case "fails":
                        throw new InvalidOperationException("the store failed");
                    case "cancelled":
                        throw new OperationCanceledException();
                }
            },
        };
        var retention = new RetentionService(
            new ServiceCollection().AddSingleton<IHitStore>(store).AddSingleton(purges).BuildServiceProvider(),
            Options.Create(new BeaconOptions { RetentionPeriod = TimeSpan.FromDays(90) }),
            new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero)),
            NullLogger<RetentionService>.Instance);

        if (outcome == "cancelled")
        {
            await Assert.ThrowsAsync<OperationCanceledException>(() => retention.PurgeOnceAsync(TestContext.Current.CancellationToken));
        }
        else
        {
            await retention.PurgeOnceAsync(TestContext.Current.CancellationToken); // a failure is logged, not thrown
        }

        Assert.Equal([true], seen);
        Assert.False(purges.Any);
    }

    private static RetentionService Retention(IHitStore store, DateTimeOffset now, BeaconOptions options) =>
        new(new ServiceCollection().AddSingleton(store).BuildServiceProvider(), Options.Create(options), new FakeTimeProvider(now), NullLogger<RetentionService>.Instance);

    private sealed class RecordingStore : IHitStore
    {
        private readonly InMemoryHitStore _inner = new();

        public List<HitRange> Purges { get; } = [];

        public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) => _inner.AppendAsync(hits, cancellationToken);

        public ValueTask<Querying.AggregateResult> QueryAsync(Querying.HitQuery query, CancellationToken cancellationToken) => _inner.QueryAsync(query, cancellationToken);

        public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => _inner.ReadAsync(range, cancellationToken);

        public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken)
        {
            Purges.Add(range);
            return _inner.PurgeAsync(range, cancellationToken);
        }
    }
}

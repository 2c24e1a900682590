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
    public void Validator_RetentionUnderADay_IsRejected()
    {
        var result = new BeaconOptionsValidator().Validate(null, new BeaconOptions { RetentionPeriod = TimeSpan.FromHours(2) });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.Contains("RetentionPeriod", StringComparison.Ordinal));
    }
}

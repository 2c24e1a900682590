using FrancisBeacon.Sample;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Browser.Tests;

/// <summary>The sample's <c>--seed-demo</c> data: deterministic, idempotent, never in the future, and varied.</summary>
public sealed class DemoTrafficTests
{
    [Fact]
    public async Task Seeding_IsDeterministic_Idempotent_AndStopsAtNow()
    {
        var now = new FixedTime(new DateTimeOffset(2026, 3, 29, 10, 30, 0, TimeSpan.Zero));
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var first = new InMemoryHitStore();
        var second = new InMemoryHitStore();

        var count = await DemoTraffic.SeedAsync(first, "demo", "demo", berlin, now, TestContext.Current.CancellationToken);
        await DemoTraffic.SeedAsync(second, "demo", "demo", berlin, now, TestContext.Current.CancellationToken);
        await DemoTraffic.SeedAsync(second, "demo", "demo", berlin, now, TestContext.Current.CancellationToken); // again: nothing new

        var a = await ReadAsync(first);
        var b = await ReadAsync(second);
        Assert.Equal(count, a.Count);
        Assert.Equal(a.Select(h => (h.Id, h.Timestamp, h.Path, h.VisitorId)), b.Select(h => (h.Id, h.Timestamp, h.Path, h.VisitorId)));
        Assert.All(a, h => Assert.True(h.Timestamp <= now.GetUtcNow(), $"{h.Timestamp} is in the future"));
        Assert.True(a.Min(h => h.Timestamp) < now.GetUtcNow().AddDays(-DemoTraffic.Days + 1));
        Assert.True(a.Select(h => h.ReferrerSource).Distinct().Count() >= 5);
        Assert.True(a.Select(h => h.Country).Distinct().Count() >= 5);
        Assert.True(a.Select(h => h.DeviceType).Distinct().Count() >= 3);
        Assert.Contains(a, h => h.EventName == "Purchase" && h.Properties.ContainsKey("product") && h.RevenueAmount > 0);
    }

    private static async Task<List<Hit>> ReadAsync(InMemoryHitStore store)
    {
        var hits = new List<Hit>();
        await foreach (var hit in store.ReadAsync(HitRange.All, TestContext.Current.CancellationToken))
        {
            hits.Add(hit);
        }

        return [.. hits.OrderBy(h => h.Id)];
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

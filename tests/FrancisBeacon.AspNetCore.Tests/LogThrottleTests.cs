using Microsoft.Extensions.Time.Testing;

namespace FrancisBeacon.AspNetCore.Tests;

public sealed class LogThrottleTests
{
    [Fact]
    public void Count_FirstAtOnce_ThenOneLinePerInterval_CarryingEverythingSince()
    {
        var clock = new FakeTimeProvider();
        var throttle = new LogThrottle(clock, TimeSpan.FromMinutes(1));

        Assert.Equal(1, throttle.Count());
        Assert.All(Enumerable.Range(0, 49), _ => Assert.Equal(0, throttle.Count()));
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, throttle.Count());
        clock.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(51, throttle.Count());
        Assert.Equal(0, throttle.Count());
    }

    [Fact]
    public void Count_FromManyThreads_NothingLostOrCountedTwice()
    {
        var clock = new FakeTimeProvider();
        var throttle = new LogThrottle(clock, TimeSpan.FromTicks(1));
        long reported = 0;

        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                Interlocked.Add(ref reported, throttle.Count());
                if (i % 100 == 0)
                {
                    clock.Advance(TimeSpan.FromTicks(1));
                }
            }
        });
        clock.Advance(TimeSpan.FromSeconds(1));
        reported += throttle.Count();

        Assert.Equal((8 * 20_000) + 1, reported);
    }
}

namespace FrancisBeacon.Tests;

public sealed class HitIdsTests
{
    [Fact]
    public void NewVersion7_IsAVersion7RfcGuid_WithTheGivenMillisecond()
    {
        var now = new DateTimeOffset(2026, 11, 28, 14, 15, 16, 789, TimeSpan.Zero);

        var id = HitIds.NewVersion7(now);

        Assert.Equal(7, id.Version);
        Assert.Equal(0b10, id.Variant >> 2);
        var bytes = id.ToByteArray(bigEndian: true);
        var milliseconds = 0L;
        for (var i = 0; i < 6; i++)
        {
            milliseconds = (milliseconds << 8) | bytes[i];
        }

        Assert.Equal(now.ToUnixTimeMilliseconds(), milliseconds);
    }

    [Fact]
    public void NewVersion7_OrdersByTime_AndDoesNotRepeatAcrossRefillsAndThreads()
    {
        var earlier = HitIds.NewVersion7(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero));
        var later = HitIds.NewVersion7(new DateTimeOffset(2026, 11, 28, 0, 0, 0, 1, TimeSpan.Zero));
        Assert.True(earlier.CompareTo(later) < 0);

        // Many refills of the per-thread buffer on several threads at once, all in the same millisecond.
        var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        var ids = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            for (var i = 0; i < 5_000; i++)
            {
                ids.Add(HitIds.NewVersion7(now));
            }
        });

        Assert.Equal(20_000, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(7, id.Version));
    }

    [Fact]
    public void Hit_DefaultId_IsVersion7AndNew()
    {
        var a = new Hit { SiteId = "s", Timestamp = DateTimeOffset.UnixEpoch, Path = "/" };
        var b = new Hit { SiteId = "s", Timestamp = DateTimeOffset.UnixEpoch, Path = "/" };

        Assert.Equal(7, a.Id.Version);
        Assert.NotEqual(a.Id, b.Id);
    }
}

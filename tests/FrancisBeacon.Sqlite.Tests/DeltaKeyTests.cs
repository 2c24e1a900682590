using FrancisBeacon.Sql.Rollups;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// The upkeep's packed delta keys (SessionRollups.DeltaKeys.cs): fdim + 1 in 4 bits, dim in 5, two string numbers in 27
/// bits each. Every filter and visit dimension the rollups have must fit, and the extreme keys must come back whole.
/// </summary>
public sealed class DeltaKeyTests
{
    [Fact]
    public void Key_EveryRollupDimension_FitsItsBits()
    {
        // fdim runs from -1 (day rows) to the number of segment dimensions; dim from 0 to the number of visit dimensions.
        Assert.InRange(RollupDimensions.Segment.Length + 1, 1, 15);
        Assert.InRange(RollupDimensions.Visit.Length, 1, 31);
    }

    [Fact]
    public void ToKeys_ExtremeKeys_ComeBackAsTheirOwnSegmentKeys()
    {
        var strings = new SessionRollups.DeltaStrings();
        var table = new SessionRollups.DeltaTable(2);
        int[] fdims = [-1, 0, RollupDimensions.Segment.Length];
        int[] dims = [0, 1, RollupDimensions.Visit.Length];
        var expected = new Dictionary<SessionRollups.SegmentKey, long[]>();
        var n = 0;
        foreach (var fdim in fdims)
        {
            foreach (var dim in dims)
            {
                var fvalue = $"f{fdim}";
                var value = $"v{dim}";
                n++;
                var sums = table.Slot(SessionRollups.DeltaTable.Key(fdim, strings.Id(fvalue), dim, strings.Id(value)), out var added);
                Assert.True(added);
                sums[0] += n;
                sums[1] -= 2 * n;
                expected[new SessionRollups.SegmentKey(fdim, fvalue, dim, value)] = [n, -2 * n];
            }
        }

        // A key whose sums cancel out is left out.
        var gone = table.Slot(SessionRollups.DeltaTable.Key(-1, strings.Id("gone"), 2, strings.Id("gone")), out _);
        gone[0] += 1;
        gone[0] -= 1;

        var keys = table.ToKeys(strings);
        Assert.Equal(expected.Count, keys.Count);
        foreach (var (key, sums) in expected)
        {
            Assert.Equal(sums, keys[key]);
        }
    }
}

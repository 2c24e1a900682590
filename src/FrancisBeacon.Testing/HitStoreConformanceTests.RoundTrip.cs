// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>Round trips: what goes in through AppendAsync comes back out of ReadAsync unchanged.</content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>Every field of a hit, properties included, comes back exactly.</summary>
    [Fact]
    public virtual async Task AppendAsync_EveryFieldSet_ReadAsyncReturnsItUnchanged()
    {
        var hit = HitScenario.EveryField();
        var store = await CreateStoreWithAsync([hit]);

        var read = await ReadAllAsync(store, HitRange.All);

        HitAssert.Equal([hit], read);
    }

    /// <summary>
    /// Text outside ASCII comes back exactly: emoji and other surrogate pairs, ZWJ sequences, right-to-left scripts,
    /// CJK, combining accents (not normalised), private-use characters, quotes, backslashes, tabs and newlines, in
    /// fields and in property keys and values.
    /// </summary>
    [Fact]
    public virtual async Task AppendAsync_UnicodeText_ReadAsyncReturnsItUnchanged()
    {
        var hits = HitScenario.Unicode();
        var store = await CreateStoreWithAsync(hits);

        var read = await ReadAllAsync(store, HitRange.All);

        HitAssert.Equal(await ReadAllAsync(await CreateReferenceAsync(hits), HitRange.All), read);
    }

    /// <summary>Values exactly as long as <see cref="HitLimits"/> allows are kept whole, never truncated.</summary>
    [Fact]
    public virtual async Task AppendAsync_ValuesAtHitLimits_ReadAsyncReturnsThemWhole()
    {
        var hits = HitScenario.AtLimits();
        var store = await CreateStoreWithAsync(hits);

        var read = await ReadAllAsync(store, HitRange.All);

        HitAssert.Equal(hits, read);
    }

    /// <summary>Optional fields that are <see langword="null"/> stay <see langword="null"/>; no properties stays an empty collection.</summary>
    [Fact]
    public virtual async Task AppendAsync_OptionalFieldsNull_ReadAsyncKeepsThemNull()
    {
        var hit = HitScenario.NullOptionalFields();
        var store = await CreateStoreWithAsync([hit]);

        var read = await ReadAllAsync(store, HitRange.All);

        HitAssert.Equal([hit], read);
        Assert.Null(read[0].ScreenWidth);
        Assert.Empty(read[0].Properties);
    }

    /// <summary>Empty strings stay empty strings: never turned into <see langword="null"/>, and an empty property key and value survive.</summary>
    [Fact]
    public virtual async Task AppendAsync_EmptyStrings_ReadAsyncKeepsThemEmpty()
    {
        var hit = HitScenario.EmptyStrings();
        var store = await CreateStoreWithAsync([hit]);

        var read = await ReadAllAsync(store, HitRange.All);

        HitAssert.Equal([hit], read);
    }

    /// <summary>Visitor ids use the whole range of <see cref="long"/>, negative values and 2^53 + 1 included.</summary>
    [Fact]
    public virtual async Task AppendAsync_ExtremeVisitorIds_ReadAsyncReturnsThemExactly()
    {
        var hits = HitScenario.ExtremeVisitorIds();
        var store = await CreateStoreWithAsync(hits);

        var read = await ReadAllAsync(store, HitRange.All);

        HitAssert.Equal(hits, read);
        Assert.Equal(hits.Select(h => h.VisitorId), read.Select(h => h.VisitorId));
    }

    /// <summary>Distinct visitor ids that a <see cref="double"/> would merge are still counted as distinct visitors.</summary>
    [Fact]
    public virtual async Task QueryAsync_VisitorIdsBeyondDoublePrecision_CountedDistinctly()
    {
        var b = HitBuilder.Pageview("/").At(Utc(2025, 1, 1, 12));
        var store = await CreateStoreWithAsync(
        [
            b.ByVisitor((1L << 53) + 1).Build(),
            b.ByVisitor(1L << 53).Build(),
            b.ByVisitor(long.MaxValue).Build(),
            b.ByVisitor(long.MaxValue - 1).Build(),
        ]);

        var result = await store.QueryAsync(Query(Utc(2025, 1, 1), Utc(2025, 1, 2)), TestCancellationToken);

        AssertRows([Row([], 4, 4)], result);
    }

    /// <summary>A timestamp with ticks below the millisecond comes back truncated to the millisecond.</summary>
    [Fact]
    public virtual async Task AppendAsync_SubMillisecondTimestamp_KeptToTheMillisecond()
    {
        var exact = Utc(2025, 8, 9, 10, 11, 12, 345);
        var hit = new HitBuilder().At(exact).Build() with { Timestamp = exact.AddTicks(9_999) };
        var store = await CreateStoreWithAsync([hit]);

        var read = await ReadAllAsync(store, HitRange.All);

        HitAssert.Equal([hit with { Timestamp = exact }], read);
    }

    /// <summary>A timestamp given with a non-zero offset is stored as the same instant and read back in UTC.</summary>
    [Fact]
    public virtual async Task AppendAsync_TimestampWithOffset_ReadBackAsSameInstantInUtc()
    {
        var local = new DateTimeOffset(2025, 8, 9, 23, 30, 0, 250, TimeSpan.FromHours(5.5));
        var hit = new HitBuilder().Build() with { Timestamp = local };
        var store = await CreateStoreWithAsync([hit]);

        var read = await ReadAllAsync(store, HitRange.All);

        var only = Assert.Single(read);
        Assert.Equal(local.UtcDateTime, only.Timestamp.UtcDateTime);
        Assert.Equal(TimeSpan.Zero, only.Timestamp.Offset);
    }

    /// <summary>
    /// ReadAsync returns hits oldest first and breaks ties by id in <see cref="Guid.CompareTo(Guid)"/> order, which
    /// is the order of the ids' canonical lower-case text (and of PostgreSQL's <c>uuid</c>, or of big-endian bytes).
    /// </summary>
    [Fact]
    public virtual async Task ReadAsync_HitsAppendedOutOfOrder_ReturnsOldestFirstThenById()
    {
        var at = Utc(2025, 9, 1, 8);
        var b = HitBuilder.Pageview("/");
        Hit[] hits =
        [
            b.At(at.AddMilliseconds(1)).WithId(new Guid("00000000-0000-0000-0000-000000000001")).Build(),
            b.At(at).WithId(new Guid("ffffffff-0000-0000-0000-000000000000")).Build(),
            b.At(at).WithId(new Guid("80000000-0000-0000-0000-000000000000")).Build(),
            b.At(at).WithId(new Guid("7fffffff-ffff-ffff-ffff-ffffffffffff")).Build(),
            b.At(at).WithId(new Guid("00000000-8000-0000-0000-000000000000")).Build(),
            b.At(at).WithId(new Guid("00000000-0000-8000-0000-000000000000")).Build(),
            b.At(at).WithId(new Guid("00000000-0000-0000-8000-000000000000")).Build(),
            b.At(at).WithId(new Guid("00000000-0000-0000-0000-000000000080")).Build(),
            b.At(at.AddMilliseconds(-1)).WithId(new Guid("ffffffff-ffff-ffff-ffff-ffffffffffff")).Build(),
        ];
        var store = await CreateStoreWithAsync(hits);

        var read = await ReadAllAsync(store, HitRange.All);

        var expected = hits.OrderBy(h => h.Timestamp).ThenBy(h => h.Id.ToString("D"), StringComparer.Ordinal).ToList();
        HitAssert.Equal(expected, read);
    }

    /// <summary>ReadAsync keeps to its range: one site, <c>[From, To)</c>.</summary>
    [Fact]
    public virtual async Task ReadAsync_SiteAndRange_ReturnsOnlyThoseHitsHalfOpen()
    {
        var from = Utc(2025, 1, 10, 10);
        var to = Utc(2025, 1, 11, 8);
        var hits = HitScenario.SmallSite();
        var store = await CreateStoreWithAsync(hits);

        var read = await ReadAllAsync(store, new HitRange { SiteId = SiteId, From = from, To = to });

        var expected = hits.Where(h => h.SiteId == SiteId && h.Timestamp >= from && h.Timestamp < to).OrderBy(h => h.Timestamp).ToList();
        Assert.Equal(3, expected.Count);
        HitAssert.Equal(expected, read);
    }

    /// <summary>ReadAsync without a site returns the hits of every site.</summary>
    [Fact]
    public virtual async Task ReadAsync_AllSites_ReturnsEverySite()
    {
        var hits = HitScenario.SmallSite();
        var store = await CreateStoreWithAsync(hits);

        var read = await ReadAllAsync(store, HitRange.All);

        HitAssert.Equal(hits.OrderBy(h => h.Timestamp).ToList(), read);
    }
}

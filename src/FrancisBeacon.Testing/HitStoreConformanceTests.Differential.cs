// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <content>
/// Randomised differential checks: a reproducible random hit set and random queries, answered by the store and by a
/// fresh <see cref="InMemoryHitStore"/> loaded the same way; the answers must be identical. A failure names the seed,
/// the query and both answers, so it can be replayed.
/// </content>
public abstract partial class HitStoreConformanceTests<TFixture>
{
    /// <summary>How many hits each differential test generates.</summary>
    protected virtual int DifferentialHitCount => 1_500;

    /// <summary>How many random queries each seed asks.</summary>
    protected virtual int DifferentialQueryCount => 30;

    /// <summary>
    /// Random queries (metric subsets in either order; no dimension, page, day, page and day, day and page; eight
    /// time zones including Asia/Kolkata, Asia/Kathmandu, Australia/Lord_Howe and America/Santiago; empty,
    /// edge-aligned, day-aligned and arbitrary ranges; random Limit and Offset) get the reference's answers.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public virtual async Task QueryAsync_RandomQueries_MatchReference(int seed)
    {
        var (store, reference, hits, random) = await LoadRandomAsync(seed);
        var failures = new List<string>();

        for (var i = 0; i < DifferentialQueryCount; i++)
        {
            var query = RandomQueries.Query(random, hits);
            var context = string.Create(CultureInfo.InvariantCulture, $"Seed {seed}, query #{i}: {RandomQueries.Describe(query)}");
            var expected = await reference.QueryAsync(query, TestCancellationToken);
            AggregateResult actual;
            try
            {
                actual = await store.QueryAsync(query, TestCancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add($"{context}{Environment.NewLine}The store threw instead of answering: {e}");
                continue;
            }

            if (!expected.Equals(actual))
            {
                failures.Add(ResultDiff.Describe(context, expected, actual, Reference));
            }
        }

        AssertNoFailures(seed, failures, DifferentialQueryCount, "queries");
    }

    /// <summary>ReadAsync over random site filters and ranges returns exactly the reference's hits in the reference's order.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public virtual async Task ReadAsync_RandomRanges_MatchReference(int seed)
    {
        var (store, reference, hits, random) = await LoadRandomAsync(seed);
        var failures = new List<string>();

        for (var i = 0; i < 15; i++)
        {
            var range = RandomQueries.HitRange(random, hits);
            var expected = await ReadAllAsync(reference, range);
            var actual = await ReadAllAsync(store, range);
            try
            {
                HitAssert.Equal(expected, actual);
            }
            catch (Xunit.Sdk.XunitException e)
            {
                failures.Add(string.Create(CultureInfo.InvariantCulture, $"Seed {seed}, range #{i}: {RandomQueries.Describe(range)}{Environment.NewLine}{e.Message}"));
            }
        }

        AssertNoFailures(seed, failures, 15, "ranges");
    }

    /// <summary>A sequence of random purges deletes the same counts as the reference and leaves the same hits and answers.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public virtual async Task PurgeAsync_RandomRanges_MatchReference(int seed)
    {
        var (store, reference, hits, random) = await LoadRandomAsync(seed);

        for (var i = 0; i < 6; i++)
        {
            var range = RandomQueries.HitRange(random, hits);
            var expected = await reference.PurgeAsync(range, TestCancellationToken);
            var actual = await store.PurgeAsync(range, TestCancellationToken);

            Assert.True(expected == actual, string.Create(CultureInfo.InvariantCulture, $"Seed {seed}, purge #{i} of {RandomQueries.Describe(range)}: the reference deleted {expected} hits, the store {actual}."));
        }

        HitAssert.Equal(await ReadAllAsync(reference, HitRange.All), await ReadAllAsync(store, HitRange.All));
        for (var i = 0; i < 5; i++)
        {
            await AssertSameAnswerAsync(reference, store, RandomQueries.Query(random, hits), string.Create(CultureInfo.InvariantCulture, $"Seed {seed}, after purging, query #{i}"));
        }
    }

    private async Task<(IHitStore Store, InMemoryHitStore Reference, IReadOnlyList<Hit> Hits, Random Random)> LoadRandomAsync(int seed)
    {
        var hits = HitScenario.Random(seed, DifferentialHitCount);
        var random = new Random(seed);
        var store = await CreateStoreAsync();
        var reference = new InMemoryHitStore();

        // Random batch sizes, then a batch re-sending some hits with changed paths: duplicates keep the first.
        var position = 0;
        while (position < hits.Count)
        {
            var size = Math.Min(hits.Count - position, 1 + random.Next(400));
            var batch = hits.Skip(position).Take(size).ToList();
            await store.AppendAsync(batch, TestCancellationToken);
            await reference.AppendAsync(batch, TestCancellationToken);
            position += size;
        }

        var resent = hits.Where(_ => random.Next(20) == 0).Select(h => h with { Path = "/resent" }).ToList();
        await store.AppendAsync(resent, TestCancellationToken);
        await reference.AppendAsync(resent, TestCancellationToken);
        return (store, reference, hits, random);
    }

    private static void AssertNoFailures(int seed, List<string> failures, int total, string what)
    {
        if (failures.Count == 0)
        {
            return;
        }

        var shown = failures.Take(3);
        Assert.Fail(string.Create(
            CultureInfo.InvariantCulture,
            $"Seed {seed}: {failures.Count} of {total} {what} differ from the reference (first {Math.Min(3, failures.Count)} shown).{Environment.NewLine}{string.Join(Environment.NewLine + Environment.NewLine, shown)}"));
    }
}

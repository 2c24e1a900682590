// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using FrancisBeacon.Testing;
using Xunit.Sdk;

namespace FrancisBeacon.Tests.Testing;

/// <summary>
/// The kit must catch wrong stores, not only pass right ones: each test runs kit tests against a store with one
/// deliberate, realistic bug and expects them to fail.
/// </summary>
public sealed class HitStoreConformanceTestsTests
{
    [Fact]
    public async Task Kit_StoreOrderingPagesByUtf16_FailsOrderingAndDifferentialTests()
    {
        await using var kit = Kit(Mutation.Utf16Order);

        await AssertFailsAsync(kit.QueryAsync_TiesOnFirstMetric_OrderedByUtf8Bytes);
        // Random queries now include session queries, so one seed no longer always meets a tie between a surrogate
        // page and a U+E000..U+FFFF page; any of the first five does.
        await AssertFailsAsync(async () =>
        {
            for (var seed = 1; seed <= 5; seed++)
            {
                await kit.QueryAsync_RandomQueries_MatchReference(seed);
            }
        });
    }

    [Fact]
    public async Task Kit_StoreBucketingDaysInUtc_FailsTimeZoneAndDifferentialTests()
    {
        await using var kit = Kit(Mutation.UtcDays);

        await AssertFailsAsync(kit.QueryAsync_DayInBerlinAcrossSpringForward_BucketsByLocalDay);
        await AssertFailsAsync(kit.QueryAsync_DayInSantiagoWithSkippedAndRepeatedHour_BucketsByLocalDay);
        await AssertFailsAsync(() => kit.QueryAsync_RandomQueries_MatchReference(2));
    }

    [Fact]
    public async Task Kit_StoreIncludingTheEndInstant_FailsHalfOpenAndDifferentialTests()
    {
        await using var kit = Kit(Mutation.InclusiveTo);

        await AssertFailsAsync(kit.QueryAsync_HitExactlyAtTo_IsExcluded);
        await AssertFailsAsync(() => kit.QueryAsync_RandomQueries_MatchReference(3));
    }

    [Fact]
    public async Task Kit_StoreWhereLastWriteWins_FailsDuplicateTests()
    {
        await using var kit = Kit(Mutation.LastWriteWins);

        await AssertFailsAsync(kit.AppendAsync_SameIdAgain_IsNoOp);
        await AssertFailsAsync(kit.AppendAsync_DuplicateIdWithinBatch_StoresItOnce);
    }

    [Fact]
    public async Task Kit_StoreTruncatingAt255Characters_FailsLimitsTest()
    {
        await using var kit = Kit(Mutation.Truncate255);

        await AssertFailsAsync(kit.AppendAsync_ValuesAtHitLimits_ReadAsyncReturnsThemWhole);
    }

    [Fact]
    public async Task Kit_StoreFoldingPathCase_FailsCaseTests()
    {
        await using var kit = Kit(Mutation.CaseInsensitivePaths);

        await AssertFailsAsync(kit.QueryAsync_PathsDifferingOnlyInCaseOrNormalisation_AreDifferentPages);
        await AssertFailsAsync(() => kit.QueryAsync_RandomQueries_MatchReference(4));
    }

    [Fact]
    public async Task Kit_StoreWithoutTotalsRowWhenEmpty_FailsEmptyStoreTest()
    {
        await using var kit = Kit(Mutation.NoEmptyTotalsRow);

        await AssertFailsAsync(kit.QueryAsync_EmptyStoreWithoutDimensions_ReturnsOneRowOfZeros);
    }

    [Fact]
    public async Task Kit_StoreIgnoringCancellation_FailsCancellationTests()
    {
        await using var kit = Kit(Mutation.IgnoresCancellation);

        await AssertFailsAsync(kit.AppendAsync_CancelledToken_ThrowsAndStoresNothing);
        await AssertFailsAsync(kit.QueryAsync_CancelledToken_Throws);
        await AssertFailsAsync(kit.PurgeAsync_CancelledToken_ThrowsAndDeletesNothing);
        await AssertFailsAsync(kit.ReadAsync_CancelledToken_ThrowsWhenEnumerated);
    }

    [Fact]
    public async Task SchemaKit_StoreWithoutSchema_FailsNamingTheBaseKit()
    {
        await using var kit = new SchemaProbe(new MutantFixture(Mutation.None));

        var failure = await Assert.ThrowsAnyAsync<InvalidOperationException>(kit.MigrateAsync_EmptyDatabase_ReachesLatestVersion);

        Assert.Contains("derive its tests from HitStoreConformanceTests<TFixture>", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kit_CorrectStore_PassesTheProbedTests()
    {
        await using var kit = Kit(Mutation.None);

        await kit.QueryAsync_TiesOnFirstMetric_OrderedByUtf8Bytes();
        await kit.QueryAsync_RandomQueries_MatchReference(1);
        await kit.AppendAsync_SameIdAgain_IsNoOp();
    }

    private static Probe Kit(Mutation mutation) => new(new MutantFixture(mutation));

    private static async Task AssertFailsAsync(Func<Task> test)
    {
        var failure = await Assert.ThrowsAnyAsync<XunitException>(test);

        Assert.DoesNotContain("IHitStoreSchema", failure.Message, StringComparison.Ordinal);
    }

    private enum Mutation
    {
        None,
        Utf16Order,
        UtcDays,
        InclusiveTo,
        LastWriteWins,
        Truncate255,
        CaseInsensitivePaths,
        NoEmptyTotalsRow,
        IgnoresCancellation,
    }

    // Not public, so xUnit does not discover it as a test class of its own.
    private sealed class Probe(MutantFixture fixture) : HitStoreConformanceTests<MutantFixture>(fixture);

    private sealed class SchemaProbe(MutantFixture fixture) : HitStoreSchemaConformanceTests<MutantFixture>(fixture);

    private sealed class MutantFixture(Mutation mutation) : IHitStoreFixture
    {
        public ValueTask<IHitStore> CreateStoreAsync(string isolationKey, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IHitStore>(new MutantStore(mutation));
    }

    private sealed class MutantStore(Mutation mutation) : IHitStore
    {
        private readonly Dictionary<Guid, Hit> _lastWrites = [];
        private InMemoryHitStore _inner = new();

        public async ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
        {
            var token = Token(cancellationToken);
            switch (mutation)
            {
                case Mutation.LastWriteWins:
                    token.ThrowIfCancellationRequested();
                    foreach (var hit in hits)
                    {
                        _lastWrites[hit.Id] = hit;
                    }

                    _inner = new InMemoryHitStore();
                    await _inner.AppendAsync([.. _lastWrites.Values], token);
                    return;
                case Mutation.Truncate255:
                    hits = [.. hits.Select(h => h with { Path = Cut(h.Path), Referrer = h.Referrer is null ? null : Cut(h.Referrer) })];
                    break;
                case Mutation.CaseInsensitivePaths:
                    hits = [.. hits.Select(h => h with { Path = h.Path.ToUpperInvariant() })];
                    break;
            }

            await _inner.AppendAsync(hits, token);
        }

        public async ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken)
        {
            var token = Token(cancellationToken);
            switch (mutation)
            {
                case Mutation.UtcDays:
                    return await _inner.QueryAsync(query with { TimeZone = TimeZoneInfo.Utc }, token);
                case Mutation.InclusiveTo:
                    return await _inner.QueryAsync(query with { To = query.To == DateTimeOffset.MaxValue ? query.To : query.To.AddTicks(1) }, token);
                case Mutation.Utf16Order when query.Dimensions.Count > 0 && !query.Dimensions[0].IsTime:
                    var all = await _inner.QueryAsync(query with { Limit = null, Offset = 0 }, token);
                    var rows = all.Rows
                        .OrderByDescending(r => r.Metrics[0])
                        .ThenBy(r => string.Join("\u0001", r.Dimensions), StringComparer.Ordinal)
                        .Skip(query.Offset);
                    return new AggregateResult([.. query.Limit is { } limit ? rows.Take(limit) : rows]);
                case Mutation.NoEmptyTotalsRow:
                    var result = await _inner.QueryAsync(query, token);
                    return result.Rows is [{ Dimensions.Count: 0 } row] && row.Metrics.All(m => m == 0) ? AggregateResult.Empty : result;
                default:
                    return await _inner.QueryAsync(query, token);
            }
        }

        public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => _inner.ReadAsync(range, Token(cancellationToken));

        public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => _inner.PurgeAsync(range, Token(cancellationToken));

        private CancellationToken Token(CancellationToken cancellationToken) =>
            mutation == Mutation.IgnoresCancellation ? CancellationToken.None : cancellationToken;

        private static string Cut(string s) => s.Length <= 255 ? s : s[..255];
    }
}

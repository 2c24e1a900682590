// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <summary>
/// The store conformance kit: every behaviour an <see cref="IHitStore"/> must share with
/// <see cref="InMemoryHitStore"/>, the reference. A store author subclasses it in their test project with a fixture
/// that makes isolated databases, and gets the whole suite (see docs/writing-a-store.md).
/// </summary>
/// <typeparam name="TFixture">The fixture that makes stores; xUnit creates one per test class.</typeparam>
/// <remarks>
/// <para>Every test asks the fixture for a store with its own isolation key, so tests never see each other's data
/// and may run in parallel across classes. When the store is <see cref="IHitStoreSchema"/>, data tests migrate it
/// first; the schema tests start from the unmigrated database.</para>
/// <para>Every test is <see langword="virtual"/>. A store that knowingly differs declares it by overriding the test
/// with <c>[Fact(Skip = "the reason")]</c> (or <c>[Theory(Skip = …)]</c>), which shows up as skipped with the
/// reason in every run; never by an override that silently returns.</para>
/// </remarks>
public abstract partial class HitStoreConformanceTests<TFixture> : IClassFixture<TFixture>, IAsyncDisposable
    where TFixture : class, IHitStoreFixture
{
    private const string Reference = "Expected (the answer of InMemoryHitStore, the reference)";

    private readonly Lock _gate = new();
    private readonly List<IHitStore> _stores = [];

    /// <summary>Creates the test class; xUnit passes the class fixture.</summary>
    protected HitStoreConformanceTests(TFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        Fixture = fixture;
    }

    /// <summary>The fixture that makes the stores under test.</summary>
    protected TFixture Fixture { get; }

    /// <summary>The running test's cancellation token (cancelled when the run is aborted or times out).</summary>
    protected static CancellationToken TestCancellationToken => TestContext.Current.CancellationToken;

    /// <summary>The site most tests write to and ask about: <see cref="HitBuilder.DefaultSiteId"/>.</summary>
    protected static string SiteId => HitBuilder.DefaultSiteId;

    /// <summary>Disposes the stores this test created.</summary>
    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new isolation key: <c>t</c> followed by 15 lower-case hex digits.</summary>
    protected static string NewIsolationKey() => "t" + Guid.NewGuid().ToString("N")[..15];

    /// <summary>
    /// Asks the fixture for a store over the database of <paramref name="isolationKey"/>, without migrating it, and
    /// remembers it so that it is disposed when the test ends.
    /// </summary>
    protected async ValueTask<IHitStore> CreateUnmigratedStoreAsync(string isolationKey)
    {
        var store = await Fixture.CreateStoreAsync(isolationKey, TestCancellationToken);
        Assert.NotNull(store);
        lock (_gate)
        {
            _stores.Add(store);
        }

        return store;
    }

    /// <summary>
    /// A fresh store ready for data: over a new isolated database, migrated when the store is
    /// <see cref="IHitStoreSchema"/>.
    /// </summary>
    protected virtual async ValueTask<IHitStore> CreateStoreAsync()
    {
        var store = await CreateUnmigratedStoreAsync(NewIsolationKey());
        if (store is IHitStoreSchema schema)
        {
            await schema.MigrateAsync(TestCancellationToken);
        }

        return store;
    }

    /// <summary>A fresh, ready store holding <paramref name="hits"/> (appended as one batch).</summary>
    protected async ValueTask<IHitStore> CreateStoreWithAsync(IReadOnlyList<Hit> hits)
    {
        var store = await CreateStoreAsync();
        await store.AppendAsync(hits, TestCancellationToken);
        return store;
    }

    /// <summary>A reference store holding <paramref name="hits"/>.</summary>
    protected static async ValueTask<InMemoryHitStore> CreateReferenceAsync(IReadOnlyList<Hit> hits)
    {
        var reference = new InMemoryHitStore();
        await reference.AppendAsync(hits, TestCancellationToken);
        return reference;
    }

    /// <summary>Reads every hit in <paramref name="range"/> into a list.</summary>
    protected static async ValueTask<List<Hit>> ReadAllAsync(IHitStore store, HitRange range)
    {
        ArgumentNullException.ThrowIfNull(store);
        var hits = new List<Hit>();
        await foreach (var hit in store.ReadAsync(range, TestCancellationToken))
        {
            hits.Add(hit);
        }

        return hits;
    }

    /// <summary>A query for <see cref="SiteId"/> over <c>[from, to)</c> with the default metrics (visitors, page views).</summary>
    protected static HitQuery Query(DateTimeOffset from, DateTimeOffset to, params HitDimension[] dimensions) =>
        new() { SiteId = SiteId, From = from, To = to, Dimensions = dimensions };

    /// <summary>A row for an expected answer.</summary>
    protected static AggregateRow Row(string[] dimensions, params double[] metrics) => new(dimensions, metrics);

    /// <summary>A UTC instant.</summary>
    protected static DateTimeOffset Utc(int year, int month, int day, int hour = 0, int minute = 0, int second = 0, int millisecond = 0) =>
        new(year, month, day, hour, minute, second, millisecond, TimeSpan.Zero);

    /// <summary>A time zone by IANA id; fails the test when this machine does not know it.</summary>
    protected static TimeZoneInfo Zone(string id) => RandomQueries.FindZone(id);

    /// <summary>Fails unless the store's answer equals <paramref name="expected"/>, listing both answers.</summary>
    protected static void AssertRows(IReadOnlyList<AggregateRow> expected, AggregateResult actual, string? context = null)
    {
        ArgumentNullException.ThrowIfNull(expected);
        Assert.NotNull(actual);
        Assert.NotNull(actual.Rows);
        var expectedResult = new AggregateResult(expected);
        if (!expectedResult.Equals(actual))
        {
            Assert.Fail(ResultDiff.Describe(context, expectedResult, actual));
        }
    }

    /// <summary>Fails unless the store answers <paramref name="query"/> exactly as the reference does.</summary>
    protected static async ValueTask AssertSameAnswerAsync(InMemoryHitStore reference, IHitStore store, HitQuery query, string? context = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(query);
        var expected = await reference.QueryAsync(query, TestCancellationToken);
        var actual = await store.QueryAsync(query, TestCancellationToken);
        Assert.NotNull(actual);
        if (!expected.Equals(actual))
        {
            Assert.Fail(ResultDiff.Describe((context is null ? string.Empty : context + Environment.NewLine) + "Query: " + RandomQueries.Describe(query), expected, actual, Reference));
        }
    }

    /// <summary>Disposes the stores this test created, newest first.</summary>
    protected virtual async ValueTask DisposeAsyncCore()
    {
        IHitStore[] stores;
        lock (_gate)
        {
            stores = [.. _stores];
            _stores.Clear();
        }

        for (var i = stores.Length - 1; i >= 0; i--)
        {
            switch (stores[i])
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }
}

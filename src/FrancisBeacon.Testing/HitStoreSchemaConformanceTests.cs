// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Storage;

namespace FrancisBeacon.Testing;

/// <summary>
/// The conformance kit plus schema migration, for stores that are <see cref="IHitStoreSchema"/> (the SQL stores):
/// derive from this class instead of <see cref="HitStoreConformanceTests{TFixture}"/>. A store without a schema
/// derives from the base class and runs no migration tests at all, rather than reporting them skipped.
/// </summary>
/// <typeparam name="TFixture">The fixture that creates the store under test.</typeparam>
public abstract class HitStoreSchemaConformanceTests<TFixture> : HitStoreConformanceTests<TFixture>
    where TFixture : class, IHitStoreFixture
{
    /// <summary>Creates the test class; xUnit passes the class fixture.</summary>
    /// <param name="fixture">The fixture that creates the store under test.</param>
    protected HitStoreSchemaConformanceTests(TFixture fixture)
        : base(fixture)
    {
    }

    /// <summary>An empty database is at version 0; migrating brings it to <see cref="IHitStoreSchema.LatestVersion"/> (at least 1), and the store then works.</summary>
    [Fact]
    public virtual async Task MigrateAsync_EmptyDatabase_ReachesLatestVersion()
    {
        var store = await CreateUnmigratedStoreAsync(NewIsolationKey());
        var schema = RequireSchema(store);

        var before = await schema.GetVersionAsync(TestCancellationToken);
        await schema.MigrateAsync(TestCancellationToken);
        var after = await schema.GetVersionAsync(TestCancellationToken);

        Assert.Equal(0, before);
        Assert.True(schema.LatestVersion >= 1, $"LatestVersion must be at least 1 (was {schema.LatestVersion}).");
        Assert.Equal(schema.LatestVersion, after);
        await AssertStoreWorksAsync(store, store);
    }

    /// <summary>Migrating a second time does nothing: same version, data kept.</summary>
    [Fact]
    public virtual async Task MigrateAsync_Twice_IsIdempotentAndKeepsData()
    {
        var store = await CreateUnmigratedStoreAsync(NewIsolationKey());
        var schema = RequireSchema(store);
        await schema.MigrateAsync(TestCancellationToken);
        var hits = HitScenario.SmallSite();
        await store.AppendAsync(hits, TestCancellationToken);

        await schema.MigrateAsync(TestCancellationToken);

        Assert.Equal(schema.LatestVersion, await schema.GetVersionAsync(TestCancellationToken));
        Assert.Equal(hits.Count, (await ReadAllAsync(store, HitRange.All)).Count);
    }

    /// <summary>
    /// Two store instances over the same empty database (two app instances starting together) migrate at the same
    /// time: both succeed, the database ends at the latest version, and each instance sees what the other writes.
    /// </summary>
    [Fact]
    public virtual async Task MigrateAsync_TwoConcurrentMigrators_BothSucceed()
    {
        var key = NewIsolationKey();
        var first = await CreateUnmigratedStoreAsync(key);
        var second = await CreateUnmigratedStoreAsync(key);
        var firstSchema = RequireSchema(first);
        var secondSchema = RequireSchema(second);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var migrations = new[] { firstSchema, secondSchema }.Select(schema => Task.Run(async () =>
        {
            await start.Task;
            await schema.MigrateAsync(TestCancellationToken);
        })).ToList();
        start.SetResult();
        await Task.WhenAll(migrations);

        Assert.Equal(firstSchema.LatestVersion, await firstSchema.GetVersionAsync(TestCancellationToken));
        Assert.Equal(secondSchema.LatestVersion, await secondSchema.GetVersionAsync(TestCancellationToken));
        await AssertStoreWorksAsync(first, second);
    }

    /// <summary>The script from version 0 holds the whole schema; the script from the latest version holds nothing.</summary>
    [Fact]
    public virtual async Task GetMigrationScript_FromZeroAndFromLatest_IsWholeSchemaAndNothing()
    {
        var store = await CreateUnmigratedStoreAsync(NewIsolationKey());
        var schema = RequireSchema(store);

        var all = schema.GetMigrationScript(0);
        var none = schema.GetMigrationScript(schema.LatestVersion);

        Assert.False(string.IsNullOrWhiteSpace(all), "GetMigrationScript(0) must return the SQL of every migration.");
        Assert.True(string.IsNullOrWhiteSpace(none), $"GetMigrationScript(LatestVersion) must be empty, was: {none}");
    }

    private static async Task AssertStoreWorksAsync(IHitStore writer, IHitStore reader)
    {
        var hits = HitScenario.SmallSite();
        await writer.AppendAsync(hits, TestCancellationToken);

        HitAssert.Equal(hits.OrderBy(h => h.Timestamp).ToList(), await ReadAllAsync(reader, HitRange.All));
        AssertRows([Row([], 5, 6)], await reader.QueryAsync(Query(SmallSiteFrom, SmallSiteTo), TestCancellationToken));
    }

    private static IHitStoreSchema RequireSchema(IHitStore store) =>
        store as IHitStoreSchema
        ?? throw new InvalidOperationException(
            $"{store.GetType().Name} is not an {nameof(IHitStoreSchema)}: derive its tests from HitStoreConformanceTests<TFixture> instead.");
}

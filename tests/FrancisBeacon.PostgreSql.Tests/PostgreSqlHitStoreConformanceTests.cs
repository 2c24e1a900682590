using FrancisBeacon.Testing;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>The PostgreSQL store against the conformance kit, on a real server (a schema per test).</summary>
public sealed class PostgreSqlHitStoreConformanceTests(PostgreSqlFixture fixture)
    : HitStoreRollupConformanceTests<PostgreSqlFixture>(fixture)
{
    /// <summary>The batches are applied incrementally (docs/storage.md, "Incremental upkeep (PostgreSQL)"), not rebuilt.</summary>
    [Fact]
    public override async Task Rollups_BatchesWithRefreshAfterEach_MatchReference()
    {
        var before = fixture.IncrementalDays;
        await base.Rollups_BatchesWithRefreshAfterEach_MatchReference();
        Assert.True(fixture.IncrementalDays - before >= 3, $"only {fixture.IncrementalDays - before} days were brought up to date incrementally");
    }

    /// <summary>Every batch on today is applied incrementally.</summary>
    [Fact]
    public override async Task Rollups_ManyBatchesOnToday_MatchReference()
    {
        var before = fixture.IncrementalDays;
        await base.Rollups_ManyBatchesOnToday_MatchReference();
        Assert.True(fixture.IncrementalDays - before >= 6, $"only {fixture.IncrementalDays - before} of 8 batches were applied incrementally");
    }
}

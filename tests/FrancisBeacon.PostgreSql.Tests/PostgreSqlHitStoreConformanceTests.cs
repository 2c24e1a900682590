using FrancisBeacon.Testing;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>The PostgreSQL store against the conformance kit, on a real server (a schema per test).</summary>
public sealed class PostgreSqlHitStoreConformanceTests(PostgreSqlFixture fixture)
    : HitStoreRollupConformanceTests<PostgreSqlFixture>(fixture)
{
    /// <summary>
    /// The batches on the last day are applied incrementally (docs/storage.md, "Incremental upkeep (PostgreSQL)"); those
    /// across midnight and on days followed by stored days are rebuilt whole, as on SQLite.
    /// </summary>
    [Fact]
    public override async Task Rollups_BatchesWithRefreshAfterEach_MatchReference()
    {
        var before = Fixture.IncrementalDays;
        await base.Rollups_BatchesWithRefreshAfterEach_MatchReference();
        Assert.True(Fixture.IncrementalDays - before >= 2, $"only {Fixture.IncrementalDays - before} days were brought up to date incrementally");
    }

    /// <summary>Every batch on today is applied incrementally.</summary>
    [Fact]
    public override async Task Rollups_ManyBatchesOnToday_MatchReference()
    {
        var before = Fixture.IncrementalDays;
        await base.Rollups_ManyBatchesOnToday_MatchReference();
        Assert.True(Fixture.IncrementalDays - before >= 6, $"only {Fixture.IncrementalDays - before} of 8 batches were applied incrementally");
    }
}

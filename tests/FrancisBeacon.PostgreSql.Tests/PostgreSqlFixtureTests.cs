// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors


namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>The fixture keeps the conformance kit's IHitStoreFixture semantics.</summary>
public sealed class PostgreSqlFixtureTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateStoreAsync_SameKey_SameUnmigratedSchema_OtherKey_Isolated()
    {
        var key = PostgreSqlFixture.NewIsolationKey();
        var first = (PostgreSqlHitStore)await fixture.CreateStoreAsync(key, Ct);
        Assert.Equal(0, await first.GetVersionAsync(Ct));
        Assert.Matches("^beacon_t_[0-9a-f]{32}$", first.Schema);
        await first.MigrateAsync(Ct);
        await first.AppendAsync([new Hit { SiteId = "s", Path = "/", Timestamp = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero) }], Ct);

        var second = (PostgreSqlHitStore)await fixture.CreateStoreAsync(key, Ct);
        var other = (PostgreSqlHitStore)await fixture.CreateStoreAsync(PostgreSqlFixture.NewIsolationKey(), Ct);

        Assert.NotSame(first, second);
        Assert.Equal(first.Schema, second.Schema);
        Assert.Single(await TestHits.ReadAllAsync(second));
        Assert.NotEqual(first.Schema, other.Schema);
        Assert.Equal(0, await other.GetVersionAsync(Ct));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Upper")]
    [InlineData("1abc")]
    [InlineData("a-b")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456")]
    public void SchemaFor_InvalidIsolationKey_Throws(string key)
    {
        Assert.Throws<ArgumentException>(() => fixture.SchemaFor(key));
    }
}

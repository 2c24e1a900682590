// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Testing;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>
/// The write path: batches of new ids go by binary COPY straight into the hits table; a batch holding a known or
/// repeated id falls back to the merge, and either way only rows really added mark the rollups' dirty hours.
/// </summary>
public sealed class PostgreSqlAppendTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static readonly Dictionary<string, TimeZoneInfo> Sites = new(StringComparer.Ordinal) { [HitBuilder.DefaultSiteId] = TimeZoneInfo.Utc };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AppendAsync_SameBatchAgainAfterRefresh_InsertsAndMarksNothing()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var hits = Enumerable.Range(0, 50).Select(i => HitBuilder.Pageview("/p" + i).At(new DateTimeOffset(2025, 3, 1, i % 24, i, 0, TimeSpan.Zero)).Build()).ToList();
        await store.AppendAsync(hits, Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Equal(0L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".rollup_dirty", Ct));

        await store.AppendAsync(hits, Ct); // a batch retried after its commit's answer was lost, or a spool replayed

        Assert.Equal(0L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".rollup_dirty", Ct));
        Assert.Equal(50L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".hits", Ct));
    }

    [Fact]
    public async Task AppendAsync_BatchWithOneKnownId_StoresTheRestAndMarksOnlyTheirHours()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        var known = HitBuilder.Pageview("/known").At(t0).Build();
        await store.AppendAsync([known], Ct);
        await store.RefreshRollupsAsync(Sites, Ct);

        await store.AppendAsync([HitBuilder.Pageview("/new").At(t0.AddHours(3)).Build(), known, HitBuilder.Pageview("/new2").At(t0.AddHours(3)).Build()], Ct);

        Assert.Equal(3L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".hits", Ct));
        var hour = t0.ToUnixTimeMilliseconds() / 3_600_000;
        Assert.Equal(hour + 3, await fixture.ScalarAsync($"SELECT min(hour) FROM \"{store.Schema}\".rollup_dirty", Ct));
        Assert.Equal(1L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".rollup_dirty", Ct));
    }

    [Fact]
    public async Task AppendAsync_FreshBatch_LeavesNoTemporaryTableBehindAndKeepsTheConnectionUsable()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var first = HitBuilder.Pageview("/a").At(new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero)).Build();

        await store.AppendAsync([first, first], Ct); // refused by COPY, taken by the merge
        await store.AppendAsync([HitBuilder.Pageview("/b").At(new DateTimeOffset(2025, 3, 1, 11, 0, 0, TimeSpan.Zero)).Build()], Ct);

        Assert.Equal(2L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".hits", Ct));
    }
}

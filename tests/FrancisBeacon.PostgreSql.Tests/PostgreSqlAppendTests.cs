// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Testing;
using Npgsql;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>
/// The write path: batches of new ids go by binary COPY straight into the hits table; a batch holding a known or
/// repeated id falls back to the merge, and either way only rows really added mark the rollups' dirty hours. Batches
/// share one kept connection (no pool reset, so no re-planning of the dirty-hour trigger's statement, between them).
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
    public async Task AppendAsync_MergePathWithValuesOverByteLimits_StoresThemCutAndTheRollupPassSucceeds()
    {
        // A batch holding a known id goes through the merge (COPY into a temporary table, then INSERT ... SELECT): its
        // values are cut as the direct COPY cuts them, so the rollup keys fit.
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        var known = HitBuilder.Pageview("/known").At(t0).Build();
        await store.AppendAsync([known], Ct);
        var longPath = "/" + new string('\u4E2D', HitLimits.MaxUrlLength - 1);
        var overlong = HitBuilder.Pageview(longPath).At(t0.AddMinutes(1)).WithReferrer("https://example.org/" + longPath, new string('\u6587', 200)).Build();

        await store.AppendAsync([known, overlong], Ct);
        await store.RefreshRollupsAsync(Sites, Ct);

        Assert.Equal(HitText.Truncate(longPath, HitLimits.MaxUrlBytes), await fixture.ScalarAsync($"SELECT path FROM \"{store.Schema}\".hits WHERE id = '{overlong.Id}'", Ct));
        Assert.Equal((long)HitLimits.MaxUrlBytes, await fixture.ScalarAsync($"SELECT max(octet_length(value))::bigint FROM \"{store.Schema}\".rollup_events", Ct));
        Assert.Equal(0L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".rollup_dirty", Ct));
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

    [Fact]
    public async Task AppendAsync_SeveralBatches_OneKeptConnectionWritesThemAll()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

        await store.AppendAsync([HitBuilder.Pageview("/a").At(t0).Build()], Ct);
        var kept = store.KeptAppendProcessId;
        Assert.NotEqual(0, kept);
        await store.AppendAsync([HitBuilder.Pageview("/b").At(t0.AddHours(1)).Build(), HitBuilder.Pageview("/c").At(t0.AddHours(1)).Build()], Ct);
        await store.AppendAsync([HitBuilder.Pageview("/d").At(t0.AddHours(2)).Build(), HitBuilder.Pageview("/a").At(t0).Build()], Ct);

        Assert.Equal(kept, store.KeptAppendProcessId);
        Assert.Equal(5L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".hits", Ct));
        var hour = t0.ToUnixTimeMilliseconds() / 3_600_000;
        Assert.Equal($"{hour}:2,{hour + 1}:1,{hour + 2}:1", await fixture.ScalarAsync($"SELECT string_agg(hour || ':' || ver, ',' ORDER BY hour) FROM \"{store.Schema}\".rollup_dirty", Ct));
    }

    [Fact]
    public async Task AppendAsync_FailedBatch_DropsTheKeptConnectionAndTheNextBatchGetsAnother()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        await store.AppendAsync([HitBuilder.Pageview("/a").At(t0).Build()], Ct);
        Assert.NotEqual(0, store.KeptAppendProcessId);

        await Assert.ThrowsAsync<ArgumentException>(async () => await store.AppendAsync([HitBuilder.Pageview("/b").At(t0).Build(), null!], Ct));

        Assert.Equal(0, store.KeptAppendProcessId);
        await store.AppendAsync([HitBuilder.Pageview("/c").At(t0).Build()], Ct);
        Assert.NotEqual(0, store.KeptAppendProcessId);
        Assert.Equal(2L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".hits", Ct));
    }

    [Fact]
    public async Task AppendAsync_KeptConnectionsBackendTerminated_ALaterBatchIsStoredOnANewOne()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);
        await store.AppendAsync([HitBuilder.Pageview("/a").At(t0).Build()], Ct);
        var kept = store.KeptAppendProcessId;

        await fixture.ScalarAsync($"SELECT pg_terminate_backend({kept})", Ct); // a server restart, an idle-session timeout

        // The first batch may fail on the dead connection (the writer retries it), as one on a dead pooled connection
        // could; it must not keep that connection, so the next batch is written.
        var failed = 0;
        try
        {
            await store.AppendAsync([HitBuilder.Pageview("/b").At(t0).Build()], Ct);
        }
        catch (NpgsqlException)
        {
            failed = 1;
        }

        await store.AppendAsync([HitBuilder.Pageview("/c").At(t0).Build()], Ct);
        Assert.NotEqual(kept, store.KeptAppendProcessId);
        Assert.Equal(3L - failed, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".hits", Ct));
    }

    [Fact]
    public async Task AppendAsync_ConcurrentBatches_AllStoredAndOneConnectionKept()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            for (var b = 0; b < 5; b++)
            {
                await store.AppendAsync([.. Enumerable.Range(0, 20).Select(i => HitBuilder.Pageview($"/w{w}").At(t0.AddMinutes(i)).Build())], Ct);
            }
        }, Ct)));

        Assert.Equal(800L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".hits", Ct));
        Assert.NotEqual(0, store.KeptAppendProcessId);
    }

    [Fact]
    public async Task Dispose_ReleasesTheKeptConnection()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        await store.AppendAsync([HitBuilder.Pageview("/a").Build()], Ct);
        var kept = store.KeptAppendProcessId;
        Assert.NotEqual(0, kept);

        await store.DisposeAsync();

        Assert.Equal(0, store.KeptAppendProcessId);
    }
}

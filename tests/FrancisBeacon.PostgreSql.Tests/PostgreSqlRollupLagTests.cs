// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using FrancisBeacon.Testing;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>
/// <see cref="PostgreSqlHitStoreOptions.MaxRollupLag"/> on PostgreSQL: the statement trigger marks new hours with the
/// batch's time, a purge marks them overdue, and a rollup pass that a new hit overtakes leaves the hour marked with the
/// pass's start (the SECURITY DEFINER functions of migration 0012).
/// </summary>
public sealed class PostgreSqlRollupLagTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private const string Now = "(extract(epoch from clock_timestamp()) * 1000)::bigint";
    private static readonly Dictionary<string, TimeZoneInfo> Sites = new(StringComparer.Ordinal) { [HitBuilder.DefaultSiteId] = TimeZoneInfo.Utc };
    private static readonly DateTimeOffset Late = new(2025, 3, 2, 23, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QueryAsync_ChangeYoungerThanTheLag_AnsweredFromStoredRowsUntilThePass()
    {
        var (store, schema) = await CreateLoadedStoreAsync(TimeSpan.FromHours(1));
        await store.AppendAsync([HitBuilder.Pageview("/new").At(Late).ByVisitor(99).Build()], Ct);

        Assert.Equal(6, await PageviewsAsync(store, DayAligned()));
        Assert.Equal(6, await PageviewsAsync(store, DayAligned() with { Filter = HitFilter.Is(HitDimension.Region, HitDimension.NotSet) }));
        Assert.Equal(7, await PageviewsAsync(Store(schema, TimeSpan.Zero), DayAligned()));

        await store.RefreshRollupsAsync(Sites, Ct);

        Assert.Equal(7, await PageviewsAsync(store, DayAligned()));
        Assert.Equal(0L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{schema}\".rollup_dirty", Ct));
    }

    [Fact]
    public async Task QueryAsync_ChangeOlderThanTheLag_CountsWithoutAPass()
    {
        var (store, _) = await CreateLoadedStoreAsync(TimeSpan.FromMilliseconds(300));
        await store.AppendAsync([HitBuilder.Pageview("/new").At(Late).ByVisitor(99).Build()], Ct);

        var answer = 0.0;
        for (var attempt = 0; attempt < 300 && answer != 7; attempt++)
        {
            answer = await PageviewsAsync(store, DayAligned());
            await Task.Delay(100, Ct);
        }

        Assert.Equal(7, answer);
    }

    [Fact]
    public async Task QueryAsync_AfterAPurge_NeverWaitsForThePass()
    {
        var (store, _) = await CreateLoadedStoreAsync(TimeSpan.FromHours(1));
        var removed = await store.PurgeAsync(new HitRange
        {
            SiteId = HitBuilder.DefaultSiteId,
            From = new DateTimeOffset(2025, 3, 2, 10, 0, 0, TimeSpan.Zero),
            To = new DateTimeOffset(2025, 3, 2, 10, 3, 0, TimeSpan.Zero),
            IncludeDerivedData = true,
        }, Ct);

        Assert.Equal(1, removed);
        Assert.Equal(5, await PageviewsAsync(store, DayAligned()));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RefreshRollupsAsync_ChangeDuringThePass_MarksTheHourWithThePassStartUnlessItWasAPurge(bool purge)
    {
        var (store, schema) = await CreateLoadedStoreAsync(TimeSpan.FromHours(1));
        await store.AppendAsync([HitBuilder.Pageview("/new").At(Late).ByVisitor(99).Build()], Ct);
        await fixture.ScalarAsync($"UPDATE \"{schema}\".rollup_dirty SET since = 1", Ct); // an old change
        // A hit (or a purge's mark) arriving while the pass writes the day rows.
        var change = purge ? "ver = ver + 1, since = LEAST(since, 0) - 1" : "ver = ver + 1";
        await fixture.ScalarAsync(
            $"CREATE FUNCTION \"{schema}\".bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE \"{schema}\".rollup_dirty SET {change}; RETURN NULL; END $$; " +
            $"CREATE TRIGGER bump AFTER INSERT ON \"{schema}\".rollup_events FOR EACH STATEMENT EXECUTE FUNCTION \"{schema}\".bump()", Ct);
        var before = (long)(await fixture.ScalarAsync("SELECT " + Now, Ct))!;

        await store.RefreshRollupsAsync(Sites, Ct);

        var since = (long)(await fixture.ScalarAsync($"SELECT since FROM \"{schema}\".rollup_dirty", Ct))!;
        if (purge)
        {
            Assert.True(since < 0, $"since = {since}");
        }
        else
        {
            Assert.InRange(since, before, (long)(await fixture.ScalarAsync("SELECT " + Now, Ct))!);
            Assert.Equal(7, await PageviewsAsync(store, DayAligned())); // the pass's rows, no longer overdue
        }
    }

    private static HitQuery DayAligned() => new()
    {
        SiteId = HitBuilder.DefaultSiteId,
        From = new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero),
        To = new DateTimeOffset(2025, 3, 4, 0, 0, 0, TimeSpan.Zero),
        Metrics = [HitMetric.Pageviews],
    };

    private PostgreSqlHitStore Store(string schema, TimeSpan lag) =>
        new(fixture.DataSource, new PostgreSqlHitStoreOptions { Schema = schema, MaxRollupLag = lag });

    private async Task<(PostgreSqlHitStore Store, string Schema)> CreateLoadedStoreAsync(TimeSpan lag)
    {
        var schema = await fixture.PrepareSchemaAsync(PostgreSqlFixture.NewIsolationKey(), Ct);
        var store = Store(schema, lag);
        await store.MigrateAsync(Ct);
        var hits = Enumerable.Range(0, 6)
            .Select(i => HitBuilder.Pageview("/p" + i).At(new DateTimeOffset(2025, 3, 1 + (i / 2), 10, i, 0, TimeSpan.Zero)).ByVisitor(i + 1).Build())
            .ToList();
        await store.AppendAsync(hits, Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        return (store, schema);
    }

    private static async Task<double> PageviewsAsync(PostgreSqlHitStore store, HitQuery query) =>
        (await store.QueryAsync(query, Ct)).Rows.Single().Metrics[0];
}

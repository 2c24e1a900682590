// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;
using FrancisBeacon.Querying;
using FrancisBeacon.Testing;
using Npgsql;
using NpgsqlTypes;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>
/// Incremental rollup upkeep on PostgreSQL (docs/storage.md, "Incremental upkeep (PostgreSQL)"): after passes that
/// applied only new hits, found by their transaction ids, every rollup table holds exactly the rows that one whole build
/// over the same hits gives; a purge forgets the marks; and a batch that commits after a later one is still applied.
/// </summary>
public sealed class PostgreSqlIncrementalUpkeepTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly DateOnly LastDay = new(2026, 3, 12);
    private static readonly Dictionary<string, TimeZoneInfo> Sites = new(StringComparer.Ordinal) { [HitBuilder.DefaultSiteId] = Zone };
    private static readonly string[] Tables =
    [
        "rollup_events", "rollup_visits", "rollup_links", "rollup_sessions", "rollup_session_hits", "rollup_segment_events", "rollup_segment_visits",
        "rollup_month_events", "rollup_month_visits", "rollup_touched_sessions",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RefreshRollupsAsync_BatchesAfterFirstBuild_SameRowsAsOneWholeBuild()
    {
        var hits = new RealisticHitGenerator(300) { SiteId = HitBuilder.DefaultSiteId, TimeZone = Zone, Seed = 5 }.Generate(2_000, 3, LastDay).OrderBy(h => h.Timestamp).ToList();
        // The first 60 % build the rollups; the rest arrive in ten batches, in time order, a pass after each.
        var first = hits.Count * 6 / 10;
        var incremental = await fixture.CreateMigratedStoreAsync(Ct);
        await incremental.AppendAsync(hits[..first], Ct);
        Assert.True(await incremental.RefreshRollupsAsync(Sites, Ct) > 0);
        var batch = (hits.Count - first + 9) / 10;
        for (var at = first; at < hits.Count; at += batch)
        {
            await incremental.AppendAsync(hits[at..Math.Min(hits.Count, at + batch)], Ct);
            await incremental.RefreshRollupsAsync(Sites, Ct);
        }

        Assert.True(incremental.Rollups.IncrementalDays >= 5, $"only {incremental.Rollups.IncrementalDays} passes applied new hits incrementally");
        Assert.Equal(0L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{incremental.Schema}\".rollup_dirty", Ct));
        var whole = await fixture.CreateMigratedStoreAsync(Ct);
        await whole.AppendAsync(hits, Ct);
        await whole.RefreshRollupsAsync(Sites, Ct);
        Assert.Equal(0, whole.Rollups.IncrementalDays);
        await AssertSameRowsAsync(whole, incremental, allowEmpty: true);
    }

    [Fact]
    public async Task RefreshRollupsAsync_WithIncrementalRollupsOff_RebuildsWholeWithTheSameRows()
    {
        var hits = new RealisticHitGenerator(100) { SiteId = HitBuilder.DefaultSiteId, TimeZone = Zone, Seed = 7 }.Generate(600, 2, LastDay).OrderBy(h => h.Timestamp).ToList();
        var incremental = await fixture.CreateMigratedStoreAsync(Ct);
        var off = new PostgreSqlHitStore(fixture.DataSource, new PostgreSqlHitStoreOptions { Schema = (await fixture.CreateMigratedStoreAsync(Ct)).Schema, IncrementalRollups = false });
        foreach (var store in new[] { incremental, off })
        {
            await store.AppendAsync(hits[..500], Ct);
            await store.RefreshRollupsAsync(Sites, Ct);
            for (var at = 500; at < hits.Count; at += 20)
            {
                await store.AppendAsync(hits[at..Math.Min(hits.Count, at + 20)], Ct);
                await store.RefreshRollupsAsync(Sites, Ct);
            }
        }

        Assert.True(incremental.Rollups.IncrementalDays > 0);
        Assert.Equal(0, off.Rollups.IncrementalDays);
        await AssertSameRowsAsync(off, incremental, allowEmpty: true);
    }

    [Fact]
    public async Task PurgeAsync_AfterIncrementalPasses_ForgetsMarksAndRebuildsWhole()
    {
        var hits = new RealisticHitGenerator(100) { SiteId = HitBuilder.DefaultSiteId, TimeZone = Zone, Seed = 9 }.Generate(800, 2, LastDay).OrderBy(h => h.Timestamp).ToList();
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        await store.AppendAsync(hits[..500], Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        await store.AppendAsync(hits[500..560], Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.True(await MarksAsync(store) > 0);

        var purgeFrom = hits[530].Timestamp;
        await store.PurgeAsync(new() { From = purgeFrom, To = DateTimeOffset.MaxValue }, Ct);
        Assert.Equal(0, await MarksAsync(store));
        var rest = hits[560..].Where(h => h.Timestamp >= purgeFrom).ToList();
        await store.AppendAsync(rest, Ct);
        var incrementalBefore = store.Rollups.IncrementalDays;
        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.Equal(incrementalBefore, store.Rollups.IncrementalDays); // no marks: the days were rebuilt whole

        var whole = await fixture.CreateMigratedStoreAsync(Ct);
        await whole.AppendAsync([.. hits[..560].Where(h => h.Timestamp < purgeFrom), .. rest], Ct);
        await whole.RefreshRollupsAsync(Sites, Ct);
        await AssertSameRowsAsync(whole, store, allowEmpty: true);
    }

    [Fact]
    public async Task RefreshRollupsAsync_BatchCommittingAfterALaterOne_IsStillApplied()
    {
        var hits = new RealisticHitGenerator(100) { SiteId = HitBuilder.DefaultSiteId, TimeZone = Zone, Seed = 13 }.Generate(600, 2, LastDay).OrderBy(h => h.Timestamp).ToList();
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        await store.AppendAsync(hits, Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        var evening = TimeZoneSegments.StartOfDay(LastDay, Zone).AddHours(21);
        var early = HitBuilder.Pageview("/slow-batch").At(evening).ByVisitor(9_000_001).Build();
        // Another hour: the slow batch's statement trigger holds its dirty hour's row until it commits.
        var later = HitBuilder.Pageview("/quick-batch").At(evening.AddHours(2)).ByVisitor(9_000_002).Build();

        // A batch whose transaction starts (and gets its id) first but commits last, around a pass.
        await using (var slow = await fixture.DataSource.OpenConnectionAsync(Ct))
        {
            await using var transaction = await slow.BeginTransactionAsync(Ct);
            await InsertAsync(slow, store.Schema, early);
            await store.AppendAsync([later], Ct);
            var before = store.Rollups.IncrementalDays;
            await store.RefreshRollupsAsync(Sites, Ct);
            // The later batch is above the pass's top (the slow one still writes), so its hour stays dirty...
            Assert.Equal(before, store.Rollups.IncrementalDays);
            Assert.True((long)(await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".rollup_dirty", Ct))! > 0);
            // ...and the answers include it anyway (MaxRollupLag zero: the day is cut from the raw hits).
            Assert.Equal(1, await VisitorsAsync(store, "/quick-batch"));
            await transaction.CommitAsync(Ct);
        }

        await store.RefreshRollupsAsync(Sites, Ct);
        Assert.True(store.Rollups.IncrementalDays > 0, "the two batches were not applied incrementally");
        Assert.Equal(0L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".rollup_dirty", Ct));
        Assert.Equal(1, await VisitorsAsync(store, "/slow-batch"));

        var whole = await fixture.CreateMigratedStoreAsync(Ct);
        await whole.AppendAsync([.. hits, early, later], Ct);
        await whole.RefreshRollupsAsync(Sites, Ct);
        await AssertSameRowsAsync(whole, store, allowEmpty: true);
    }

    [Fact]
    public async Task AppendAsync_KnownIds_AddNoNewHitsToAPass()
    {
        var hits = new RealisticHitGenerator(50) { SiteId = HitBuilder.DefaultSiteId, TimeZone = Zone, Seed = 17 }.Generate(300, 1, LastDay).OrderBy(h => h.Timestamp).ToList();
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        await store.AppendAsync(hits, Ct);
        await store.RefreshRollupsAsync(Sites, Ct);
        var xids = await fixture.ScalarAsync($"SELECT count(DISTINCT xid) FROM \"{store.Schema}\".hits", Ct);

        await store.AppendAsync(hits[..100], Ct); // a retried batch (the merge path): nothing added, nothing marked

        Assert.Equal(xids, await fixture.ScalarAsync($"SELECT count(DISTINCT xid) FROM \"{store.Schema}\".hits", Ct));
        Assert.Equal(0L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".rollup_dirty", Ct));
    }

    private static async Task InsertAsync(NpgsqlConnection connection, string schema, Hit hit)
    {
        await using var command = new NpgsqlCommand(
            $"INSERT INTO \"{schema}\".hits (id, site_id, ts, event_name, hostname, path, visitor_id) VALUES (@id, @site, @ts, @event, @host, @path, @visitor)", connection);
        command.Parameters.Add(new NpgsqlParameter<Guid>("id", NpgsqlDbType.Uuid) { TypedValue = hit.Id });
        command.Parameters.Add(new NpgsqlParameter<string>("site", NpgsqlDbType.Text) { TypedValue = hit.SiteId });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("ts", NpgsqlDbType.TimestampTz) { TypedValue = hit.Timestamp.ToUniversalTime() });
        command.Parameters.Add(new NpgsqlParameter<string>("event", NpgsqlDbType.Text) { TypedValue = hit.EventName });
        command.Parameters.Add(new NpgsqlParameter<string>("host", NpgsqlDbType.Text) { TypedValue = hit.Hostname });
        command.Parameters.Add(new NpgsqlParameter<string>("path", NpgsqlDbType.Text) { TypedValue = hit.Path });
        command.Parameters.Add(new NpgsqlParameter<long>("visitor", NpgsqlDbType.Bigint) { TypedValue = hit.VisitorId });
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<double> VisitorsAsync(PostgreSqlHitStore store, string path)
    {
        var result = await store.QueryAsync(new HitQuery
        {
            SiteId = HitBuilder.DefaultSiteId,
            From = TimeZoneSegments.StartOfDay(LastDay, Zone),
            To = TimeZoneSegments.StartOfDay(LastDay.AddDays(1), Zone),
            TimeZone = Zone,
            Metrics = [HitMetric.Visitors],
            Filter = HitFilter.Is(HitDimension.Page, path),
        }, Ct);
        return result.Rows.Single().Metrics[0];
    }

    private async Task<long> MarksAsync(PostgreSqlHitStore store) =>
        (long)(await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".rollup_upkeep WHERE site_id <> ''", Ct))!;

    private async Task AssertSameRowsAsync(PostgreSqlHitStore expected, PostgreSqlHitStore actual, bool allowEmpty)
    {
        foreach (var table in Tables)
        {
            var rows = await RowsAsync(expected.Schema, table);
            Assert.True(rows.Count > 0 || allowEmpty && (table.Contains("month", StringComparison.Ordinal) || table.Contains("links", StringComparison.Ordinal)), table);
            Assert.Equal(rows, await RowsAsync(actual.Schema, table));
        }
    }

    // Every row of a table as text, in a fixed order (the links' JSON included: the same links in the same order).
    private async Task<List<string>> RowsAsync(string schema, string table)
    {
        await using var command = fixture.DataSource.CreateCommand($"SELECT * FROM \"{schema}\".{table}");
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            rows.Add(string.Join("|", values.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))));
        }

        rows.Sort(StringComparer.Ordinal);
        return rows;
    }
}

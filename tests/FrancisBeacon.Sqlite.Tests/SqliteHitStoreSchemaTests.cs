using Dapper;
using FrancisBeacon.Storage;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

public sealed class SqliteHitStoreSchemaTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Migrations_EmbeddedScripts_AreNumberedContiguouslyFromOne()
    {
        var names = typeof(SqliteHitStore).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("FrancisBeacon.Sqlite.Migrations.", StringComparison.Ordinal))
            .Select(n => int.Parse(n["FrancisBeacon.Sqlite.Migrations.".Length..].Split('_')[0], System.Globalization.CultureInfo.InvariantCulture))
            .Order()
            .ToList();

        using var db = new SqliteTestDatabase();
        Assert.NotEmpty(names);
        Assert.Equal(Enumerable.Range(1, names.Count), names);
        Assert.Equal(names.Count, db.CreateStore().LatestVersion);
    }

    [Fact]
    public async Task MigrateAsync_EmptyDatabase_ReachesLatestWithHistoryRowsAndWal()
    {
        using var db = new SqliteTestDatabase();
        var store = db.CreateStore();
        Assert.Equal(0, await store.GetVersionAsync(Ct));

        await store.MigrateAsync(Ct);

        Assert.Equal(store.LatestVersion, await store.GetVersionAsync(Ct));
        await using var connection = new SqliteConnection(db.ConnectionString);
        var history = (await connection.QueryAsync<long>("SELECT version FROM beacon_schema_version ORDER BY version")).ToList();
        Assert.Equal(Enumerable.Range(1, store.LatestVersion).Select(v => (long)v), history);
        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
    }

    [Fact]
    public async Task MigrateAsync_Twice_IsIdempotent()
    {
        using var db = new SqliteTestDatabase();
        var store = db.CreateStore();

        await store.MigrateAsync(Ct);
        await store.AppendAsync([new Hit { SiteId = "s", Path = "/", Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000) }], Ct);
        await store.MigrateAsync(Ct);

        Assert.Equal(store.LatestVersion, await store.GetVersionAsync(Ct));
        Assert.Single(await ReadAllAsync(store));
    }

    [Fact]
    public async Task MigrateAsync_FourConcurrentMigrators_EndWithOneSchema()
    {
        using var db = new SqliteTestDatabase();
        var stores = Enumerable.Range(0, 4).Select(_ => db.CreateStore()).ToList();

        await Task.WhenAll(stores.Select(s => Task.Run(async () => await s.MigrateAsync(Ct), Ct)));

        await using var connection = new SqliteConnection(db.ConnectionString);
        Assert.Equal(stores[0].LatestVersion, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM beacon_schema_version"));
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='beacon_hits'"));
    }

    [Fact]
    public async Task MigrateAsync_DatabaseNewerThanCode_IsRefused()
    {
        using var db = new SqliteTestDatabase();
        var store = db.CreateStore();
        await store.MigrateAsync(Ct);
        await using (var connection = new SqliteConnection(db.ConnectionString))
        {
            await connection.ExecuteAsync("INSERT INTO beacon_schema_version (version, name, applied_at) VALUES (999, 'from_the_future', 0)");
        }

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.MigrateAsync(Ct));
        Assert.Contains("999", ex.Message, StringComparison.Ordinal);
        Assert.Equal(999, await store.GetVersionAsync(Ct));
    }

    [Fact]
    public async Task SchemaInitializer_ValidateModeOnEmptyDatabase_FailsStartup()
    {
        using var db = new SqliteTestDatabase();
        var initializer = new HitStoreSchemaInitializer(db.CreateStore(), SchemaMode.Validate, Microsoft.Extensions.Logging.Abstractions.NullLogger<HitStoreSchemaInitializer>.Instance);

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => initializer.StartAsync(Ct));
        Assert.Contains("schema version 0", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SchemaInitializer_NoneMode_LeavesDatabaseAlone()
    {
        using var db = new SqliteTestDatabase();
        var store = db.CreateStore();
        var initializer = new HitStoreSchemaInitializer(store, SchemaMode.None, Microsoft.Extensions.Logging.Abstractions.NullLogger<HitStoreSchemaInitializer>.Instance);

        await initializer.StartAsync(Ct);

        Assert.Equal(0, await store.GetVersionAsync(Ct));
    }

    [Fact]
    public async Task GetMigrationScript_AppliedByHand_GivesLatestVersion()
    {
        using var db = new SqliteTestDatabase();
        var store = db.CreateStore();
        var script = store.GetMigrationScript(0);
        Assert.Contains("CREATE TABLE beacon_hits", script, StringComparison.Ordinal);
        Assert.True(string.IsNullOrWhiteSpace(store.GetMigrationScript(store.LatestVersion)));

        await using (var connection = new SqliteConnection(db.ConnectionString))
        {
            await connection.ExecuteAsync(script);
        }

        Assert.Equal(store.LatestVersion, await store.GetVersionAsync(Ct));
        await store.AppendAsync([new Hit { SiteId = "s", Path = "/", Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000) }], Ct);
        Assert.Single(await ReadAllAsync(store));
    }

    [Theory]
    [InlineData("Beacon_")]
    [InlineData("x; DROP TABLE y; --")]
    [InlineData("9lives_")]
    [InlineData("a-b")]
    public void Constructor_BadTablePrefix_IsRejectedBeforeAnySql(string prefix)
    {
        using var db = new SqliteTestDatabase();

        Assert.Throws<ArgumentException>(() => db.CreateStore(prefix));
        Assert.False(File.Exists(db.Path));
    }

    [Fact]
    public async Task TablePrefix_Custom_IsUsedForEveryTable()
    {
        using var db = new SqliteTestDatabase();
        var store = db.CreateStore("fb_");

        await store.MigrateAsync(Ct);

        await using var connection = new SqliteConnection(db.ConnectionString);
        var tables = (await connection.QueryAsync<string>("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")).ToList();
        Assert.Equal(["fb_hits", "fb_rollup_block_events", "fb_rollup_block_sites", "fb_rollup_block_visits", "fb_rollup_blocks", "fb_rollup_dirty", "fb_rollup_events", "fb_rollup_horizon", "fb_rollup_links", "fb_rollup_live_days", "fb_rollup_month_events", "fb_rollup_month_sites", "fb_rollup_month_visits", "fb_rollup_months", "fb_rollup_page_backfill", "fb_rollup_page_block_visits", "fb_rollup_page_blocks", "fb_rollup_page_days", "fb_rollup_page_visits", "fb_rollup_rebuilding", "fb_rollup_segment_block_events", "fb_rollup_segment_block_sites", "fb_rollup_segment_block_visits", "fb_rollup_segment_blocks", "fb_rollup_segment_events", "fb_rollup_segment_visits", "fb_rollup_session_hits", "fb_rollup_sessions", "fb_rollup_sites", "fb_rollup_upkeep", "fb_rollup_visits", "fb_salts", "fb_schema_version"], tables);
    }

    private static async Task<List<Hit>> ReadAllAsync(SqliteHitStore store)
    {
        var list = new List<Hit>();
        await foreach (var hit in store.ReadAsync(HitRange.All, Ct))
        {
            list.Add(hit);
        }

        return list;
    }
}

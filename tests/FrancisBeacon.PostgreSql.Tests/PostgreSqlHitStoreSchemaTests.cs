// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>Migrations on a real server: from empty, again, concurrently, by hand, and refusing a newer database.</summary>
public sealed class PostgreSqlHitStoreSchemaTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly Hit SampleHit = new()
    {
        SiteId = "s",
        Path = "/",
        Timestamp = new DateTimeOffset(2025, 5, 5, 5, 5, 5, TimeSpan.Zero),
        VisitorId = 7,
    };

    [Fact]
    public void LatestVersion_IsTheNumberOfEmbeddedScripts()
    {
        var store = new PostgreSqlHitStore(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1"), new PostgreSqlHitStoreOptions());
        var scripts = typeof(PostgreSqlHitStore).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("FrancisBeacon.PostgreSql.Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .ToList();

        Assert.NotEmpty(scripts);
        Assert.Equal(scripts.Count, store.LatestVersion);
        Assert.Contains("FrancisBeacon.PostgreSql.Migrations.0001_create_hits.sql", scripts);
    }

    [Fact]
    public async Task MigrateAsync_EmptyDatabase_CreatesSchemaAtLatestVersionWithHistory()
    {
        var key = PostgreSqlFixture.NewIsolationKey();
        var store = await fixture.CreatePostgreSqlStoreAsync(key, Ct);
        Assert.Equal(0, await store.GetVersionAsync(Ct));
        Assert.False(await SchemaExistsAsync(store.Schema));

        await store.MigrateAsync(Ct);

        Assert.Equal(store.LatestVersion, await store.GetVersionAsync(Ct));
        Assert.Equal((long)store.LatestVersion, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".beacon_schema_version", Ct));
        Assert.Equal("create_hits", await fixture.ScalarAsync($"SELECT name FROM \"{store.Schema}\".beacon_schema_version WHERE version = 1", Ct));
        await AssertWorksAsync(store);
    }

    [Fact]
    public async Task MigrateAsync_Twice_IsANoOpTheSecondTime()
    {
        var store = await fixture.CreatePostgreSqlStoreAsync(PostgreSqlFixture.NewIsolationKey(), Ct);
        await store.MigrateAsync(Ct);
        await store.AppendAsync([SampleHit], Ct);

        await store.MigrateAsync(Ct);

        Assert.Equal(store.LatestVersion, await store.GetVersionAsync(Ct));
        Assert.Equal((long)store.LatestVersion, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".beacon_schema_version", Ct));
        Assert.Single(await TestHits.ReadAllAsync(store));
    }

    [Fact]
    public async Task MigrateAsync_FourConcurrentMigratorsOnOneFreshSchema_EndWithOneCorrectSchema()
    {
        var key = PostgreSqlFixture.NewIsolationKey();
        var schema = await fixture.PrepareSchemaAsync(key, Ct);
        // Four app instances: four data sources (so four pools) on the same schema.
        var dataSources = Enumerable.Range(0, 4).Select(_ => NpgsqlDataSource.Create(fixture.ConnectionString!)).ToList();
        try
        {
            var stores = dataSources.Select(ds => new PostgreSqlHitStore(ds, new PostgreSqlHitStoreOptions { Schema = schema })).ToList();
            using var start = new ManualResetEventSlim();
            var migrations = stores.Select(s => Task.Run(
                async () =>
                {
                    start.Wait(Ct);
                    await s.MigrateAsync(Ct);
                },
                Ct)).ToList();
            start.Set();

            await Task.WhenAll(migrations);

            foreach (var store in stores)
            {
                Assert.Equal(store.LatestVersion, await store.GetVersionAsync(Ct));
            }

            Assert.Equal((long)stores[0].LatestVersion, await fixture.ScalarAsync($"SELECT count(*) FROM \"{schema}\".beacon_schema_version", Ct));
            Assert.Equal(1L, await fixture.ScalarAsync($"SELECT count(*) FROM pg_namespace WHERE nspname = '{schema}'", Ct));
            await AssertWorksAsync(stores[3]);
        }
        finally
        {
            foreach (var dataSource in dataSources)
            {
                await dataSource.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task MigrateAsync_DatabaseNewerThanCode_RefusesWithClearError()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var newer = store.LatestVersion + 1;
        await fixture.ScalarAsync(
            $"INSERT INTO \"{store.Schema}\".beacon_schema_version (version, name, applied_at) VALUES ({newer}, 'from_the_future', now())", Ct);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await store.MigrateAsync(Ct));

        Assert.Contains($"version {newer}", error.Message, StringComparison.Ordinal);
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
        Assert.Equal(newer, await store.GetVersionAsync(Ct));
        // The start-up initializer refuses too, in every mode that looks at the schema.
        var initializer = new HitStoreSchemaInitializer(store, SchemaMode.Validate, NullLogger<HitStoreSchemaInitializer>.Instance);
        await Assert.ThrowsAsync<InvalidOperationException>(() => initializer.StartAsync(Ct));
    }

    [Fact]
    public async Task GetMigrationScript_FromZero_AppliedByHandToEmptySchema_GivesLatestVersion()
    {
        var store = await fixture.CreatePostgreSqlStoreAsync(PostgreSqlFixture.NewIsolationKey(), Ct);
        var script = store.GetMigrationScript(0);

        await using (var command = fixture.DataSource.CreateCommand(script))
        {
            await command.ExecuteNonQueryAsync(Ct);
        }

        Assert.Equal(store.LatestVersion, await store.GetVersionAsync(Ct));
        Assert.Equal("create_hits", await fixture.ScalarAsync($"SELECT name FROM \"{store.Schema}\".beacon_schema_version WHERE version = 1", Ct));
        await store.MigrateAsync(Ct); // nothing left to do
        Assert.Equal((long)store.LatestVersion, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".beacon_schema_version", Ct));
        await AssertWorksAsync(store);
    }

    [Fact]
    public void GetMigrationScript_AtLatestVersion_IsEmpty()
    {
        var store = new PostgreSqlHitStore(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1"), new PostgreSqlHitStoreOptions { Schema = "analytics" });

        Assert.Equal(string.Empty, store.GetMigrationScript(store.LatestVersion));
        var script = store.GetMigrationScript(0);
        Assert.Contains("CREATE SCHEMA IF NOT EXISTS \"analytics\"", script, StringComparison.Ordinal);
        Assert.Contains("pg_advisory_xact_lock(", script, StringComparison.Ordinal);
        Assert.DoesNotContain("{schema}", script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateAsync_UpToDateSchema_NeedsNoCreateRights()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var role = "beacon_t_role_" + Guid.NewGuid().ToString("N");
        // An app role that may use the tables but create nothing (a new role has no CREATE on the database or on
        // the beacon schema), as a DBA-managed deployment would give it.
        await fixture.ScalarAsync(
            $"""
            CREATE ROLE {role} LOGIN;
            GRANT USAGE ON SCHEMA "{store.Schema}" TO {role};
            GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA "{store.Schema}" TO {role};
            """,
            Ct);
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(fixture.ConnectionString) { Username = role, Pooling = false };
            await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
            var appStore = new PostgreSqlHitStore(dataSource, new PostgreSqlHitStoreOptions { Schema = store.Schema });

            await appStore.MigrateAsync(Ct);

            Assert.Equal(appStore.LatestVersion, await appStore.GetVersionAsync(Ct));
            await AssertWorksAsync(appStore);
        }
        finally
        {
            await fixture.ScalarAsync(
                $"""
                DROP OWNED BY {role};
                DROP ROLE {role};
                """,
                CancellationToken.None);
        }
    }

    [Fact]
    public async Task Schema_NamedLikeAKeyword_Works()
    {
        // "user" passes the allow-list and is a reserved word; the store quotes the schema everywhere.
        var store = new PostgreSqlHitStore(fixture.DataSource, new PostgreSqlHitStoreOptions { Schema = "user" });
        if (await fixture.ScalarAsync("SELECT count(*) FROM pg_namespace WHERE nspname = 'user'", Ct) is not 0L)
        {
            // Someone's real schema on a developer's own server: never touch it. The CI server is throwaway.
            const string Reason = "A schema named \"user\" already exists on the test server; this test will not touch it.";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail(Reason);
            }

            Assert.Skip(Reason);
        }

        try
        {
            await store.MigrateAsync(Ct);
            await AssertWorksAsync(store);
        }
        finally
        {
            await fixture.ScalarAsync("DROP SCHEMA IF EXISTS \"user\" CASCADE", CancellationToken.None);
        }
    }

    private static async Task AssertWorksAsync(PostgreSqlHitStore store)
    {
        await store.AppendAsync([SampleHit with { Id = Guid.NewGuid() }], Ct);
        var result = await store.QueryAsync(
            new HitQuery { SiteId = "s", From = SampleHit.Timestamp, To = SampleHit.Timestamp.AddDays(1), Dimensions = [HitDimension.Page] }, Ct);
        Assert.Single(result.Rows);
        Assert.Equal(1d, result.Rows[0].Metrics[1]);
        Assert.Equal(1L, await store.PurgeAsync(HitRange.All, Ct));
    }

    private async Task<bool> SchemaExistsAsync(string schema) =>
        await fixture.ScalarAsync($"SELECT count(*) FROM pg_namespace WHERE nspname = '{schema}'", Ct) is 1L;

    /// <summary>
    /// Migration 0020 cuts the values stored before the limits in bytes (a hit written around the store's cut here): the
    /// day that failed its rollup pass on every pass is rolled up after it, and the answers are the reference's over the
    /// cut hits.
    /// </summary>
    [Fact]
    public async Task Migrate_0020_CutsOverlongStoredValues_AndTheStuckDayRollsUp()
    {
        var store = await fixture.CreateMigratedStoreAsync(Ct);
        var sites = new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal) { [Testing.HitBuilder.DefaultSiteId] = TimeZoneInfo.Utc };
        var day = new DateTimeOffset(2025, 9, 1, 0, 0, 0, TimeSpan.Zero);
        var ordinary = Enumerable.Range(0, 6).Select(i => Testing.HitBuilder.Pageview("/p" + (i % 2)).ByVisitor(i).At(day.AddDays(i % 2 * 6).AddHours(9 + i)).Build()).ToList();
        await store.AppendAsync(ordinary, Ct);
        await store.RefreshRollupsAsync(sites, Ct);
        var longPath = "/" + new string([.. Enumerable.Range(0, HitLimits.MaxUrlLength - 1).Select(i => (char)(0x4E00 + ((i * 7919) % 20000)))]);
        var longName = new string('\u00E9', 200);
        // Stored as a store before the limits in bytes stored them: a 1,501-byte ASCII path five days later (its rollup
        // rows fit, and hold it; nothing else changes near that day), then a 6 KB CJK path (its day's rollup pass fails).
        var asciiPath = "/" + new string('a', 1500);
        var rolled = Testing.HitBuilder.Pageview(asciiPath).ByVisitor(43).At(day.AddDays(5).AddHours(15)).Build();
        await InsertRawAsync(rolled, null);
        await store.RefreshRollupsAsync(sites, Ct);
        var old = Testing.HitBuilder.CustomEvent(longName, longPath).ByVisitor(42).At(day.AddHours(15)).Build();
        await InsertRawAsync(old, "https://example.org" + longPath);

        async Task InsertRawAsync(Hit hit, string? referrer)
        {
            await using var insert = fixture.DataSource.CreateCommand(
                $"INSERT INTO \"{store.Schema}\".hits (id, site_id, ts, event_name, hostname, path, referrer, visitor_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
            foreach (var value in new object?[] { hit.Id, hit.SiteId, hit.Timestamp, hit.EventName, hit.Hostname, hit.Path, referrer, hit.VisitorId })
            {
                insert.Parameters.Add(value is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text } : new NpgsqlParameter { Value = value });
            }

            await insert.ExecuteNonQueryAsync(Ct);
        }

        var stuck = await Assert.ThrowsAsync<PostgresException>(async () => await store.RefreshRollupsAsync(sites, Ct));
        Assert.Equal("54000", stuck.SqlState);

        Assert.Equal(1L, await fixture.ScalarAsync($"DELETE FROM \"{store.Schema}\".beacon_schema_version WHERE version = 20 RETURNING 1::bigint", Ct));
        await store.MigrateAsync(Ct);

        Assert.Equal(HitText.Truncate(longPath, HitLimits.MaxUrlBytes), await fixture.ScalarAsync($"SELECT path FROM \"{store.Schema}\".hits WHERE id = '{old.Id}'", Ct));
        Assert.Equal(HitText.Truncate(longName, HitLimits.MaxShortTextBytes), await fixture.ScalarAsync($"SELECT event_name FROM \"{store.Schema}\".hits WHERE id = '{old.Id}'", Ct));
        Assert.Equal(HitText.Truncate("https://example.org" + longPath, HitLimits.MaxUrlBytes), await fixture.ScalarAsync($"SELECT referrer FROM \"{store.Schema}\".hits WHERE id = '{old.Id}'", Ct));
        Assert.Equal("/" + new string('a', HitLimits.MaxUrlBytes - 1), await fixture.ScalarAsync($"SELECT path FROM \"{store.Schema}\".hits WHERE id = '{rolled.Id}'", Ct));
        Assert.Equal(6L, await fixture.ScalarAsync($"SELECT count(*) FROM \"{store.Schema}\".hits WHERE path IN ('/p0', '/p1') AND event_name = 'pageview'", Ct)); // the others untouched
        await store.RefreshRollupsAsync(sites, Ct);
        var reference = new InMemoryHitStore();
        await reference.AppendAsync([.. ordinary, rolled, old with { Referrer = "https://example.org" + longPath }], Ct);
        foreach (var dimension in new[] { HitDimension.Page, HitDimension.EventName, HitDimension.EntryPage, HitDimension.Referrer })
        {
            var query = new HitQuery
            {
                SiteId = old.SiteId,
                From = day,
                To = day.AddDays(7),
                TimeZone = TimeZoneInfo.Utc,
                Dimensions = [dimension],
                Metrics = dimension.IsVisit ? [HitMetric.Visitors, HitMetric.Visits] : [HitMetric.Visitors, HitMetric.Events],
            };
            Assert.Equal(await reference.QueryAsync(query, Ct), await store.QueryAsync(query, Ct));
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Sqlite;
using FrancisBeacon.Storage;
using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.PostgreSql.Tests;

/// <summary>
/// The migration docs/import.md describes: a site's hits copied from the SQLite store to the PostgreSQL store with
/// <see cref="HitTransfer.CopyAsync"/>. Both stores then hold the same hits, export the same bytes, and (once the
/// PostgreSQL rollups are refreshed) answer the rollup queries as SQLite does and as PostgreSQL's own raw path does.
/// </summary>
public sealed class PostgreSqlCopyFromSqliteTests(PostgreSqlFixture fixture) : IClassFixture<PostgreSqlFixture>
{
    private static readonly TimeZoneInfo Zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
    private static readonly DateOnly LastDay = new(2026, 5, 20);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CopyAsync_SqliteToPostgreSql_SameHitsSameExportSameAnswers()
    {
        var schema = await fixture.PrepareSchemaAsync(PostgreSqlFixture.NewIsolationKey(), Ct);
        var file = Path.Combine(Path.GetTempPath(), "francisbeacon-tests", $"copy-{Guid.NewGuid():N}.db");
        try
        {
            using var sqlite = new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = $"Data Source={file};Pooling=False" });
            await sqlite.MigrateAsync(Ct);
            var hits = new RealisticHitGenerator(200) { SiteId = "example.com", TimeZone = Zone, Seed = 5 }.Generate(1_200, 3, LastDay).ToList();
            await sqlite.AppendAsync([.. hits, new Hit { SiteId = "other.example", Path = "/not-copied", Timestamp = hits[0].Timestamp }], Ct);
            await using var postgres = new PostgreSqlHitStore(new PostgreSqlHitStoreOptions { ConnectionString = fixture.ConnectionString!, Schema = schema, MaxRollupLag = TimeSpan.Zero });
            await using var raw = new PostgreSqlHitStore(new PostgreSqlHitStoreOptions { ConnectionString = fixture.ConnectionString!, Schema = schema, EnableRollups = false });
            await postgres.MigrateAsync(Ct);
            var reports = 0;

            var result = await HitTransfer.CopyAsync(sqlite, new HitRange { SiteId = "example.com" }, postgres, new HitTransferOptions { BatchSize = 500 }, new Progress(() => reports++), Ct);
            await postgres.RefreshRollupsAsync(new Dictionary<string, TimeZoneInfo>(StringComparer.Ordinal) { ["example.com"] = Zone }, Ct);

            Assert.Equal(new HitTransferResult(hits.Count, hits.Count) { Added = hits.Count }, result);
            Assert.Equal(3, reports);
            Assert.Equal(await ExportAsync(sqlite), await ExportAsync(postgres));
            Assert.Empty(await RollupAnswerChecks.MismatchesAsync(postgres, raw, "example.com", Zone, LastDay, Ct));
            Assert.Empty(await RollupAnswerChecks.MismatchesAsync(postgres, sqlite, "example.com", Zone, LastDay, Ct));

            // Copying again (to pick up hits that arrived meanwhile) stores nothing twice.
            await HitTransfer.CopyAsync(sqlite, new HitRange { SiteId = "example.com" }, postgres, cancellationToken: Ct);
            Assert.Equal(await ExportAsync(sqlite), await ExportAsync(postgres));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
            {
                File.Delete(file + suffix);
            }
        }
    }

    private static async Task<string> ExportAsync(IHitStore store)
    {
        using var output = new MemoryStream();
        await HitExportWriter.WriteAsync(store.ReadAsync(new HitRange { SiteId = "example.com" }, Ct), output, HitExportFormat.Ndjson, Ct);
        return System.Text.Encoding.UTF8.GetString(output.ToArray());
    }

    private sealed class Progress(Action report) : IProgress<HitTransferResult>
    {
        public void Report(HitTransferResult value) => report();
    }
}

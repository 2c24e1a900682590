// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// The database file deleted, moved away or replaced while the store has it open (https://www.sqlite.org/howtocorrupt.html,
/// 2.4): the store reports it (<see cref="Storage.IHitStoreHealth"/>, for the health check) and takes no hits and opens
/// no connection until the file is back, so hits are not written into a file that is gone at the next start
/// (docs/deployment.md, "The SQLite file deleted or replaced").
/// </summary>
public sealed class SqliteDatabaseFileTests : IDisposable
{
    // SQLITE_READONLY_DBMOVED: SQLite's own code for a database file moved since it was opened.
    private const int DatabaseMoved = 8 | (4 << 8);

    private readonly SqliteTestDatabase _database = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FileDeleted_IsReported_AndNoHitGoesIntoIt()
    {
        SkipWhereOpenFilesCannotBeDeleted();
        using var store = await OpenStoreAsync();
        await store.AppendAsync([HitBuilder.Pageview("/before").Build()], Ct);
        Assert.Null(await store.GetProblemAsync(Ct));

        File.Delete(_database.Path);

        var problem = await store.GetProblemAsync(Ct);
        Assert.NotNull(problem);
        Assert.Contains("deleted or moved away", problem, StringComparison.Ordinal);
        Assert.Contains(_database.Path, problem, StringComparison.Ordinal);
        var refused = await Assert.ThrowsAnyAsync<SqliteException>(async () => await store.AppendAsync([HitBuilder.Pageview("/after").Build()], Ct));
        Assert.Equal(DatabaseMoved, refused.SqliteExtendedErrorCode);
        Assert.Contains("deleted or moved away", refused.Message, StringComparison.Ordinal);
        // Transient: the query API answers 503 with Retry-After (StoreUnavailableFilter), not 500.
        Assert.True(refused.IsTransient);
        // Nor a query: a new connection would create an empty database at the path (and delete the open one's WAL).
        await Assert.ThrowsAnyAsync<SqliteException>(async () => await store.QueryAsync(PageviewsQuery(), Ct));
        Assert.False(File.Exists(_database.Path));
    }

    [Fact]
    public async Task FileMovedAwayAndBack_TheStoreWritesAgain_AndNothingIsLost()
    {
        SkipWhereOpenFilesCannotBeDeleted();
        using (var store = await OpenStoreAsync())
        {
            await store.AppendAsync([HitBuilder.Pageview("/before").Build()], Ct);

            File.Move(_database.Path, _database.Path + ".moved");
            Assert.NotNull(await store.GetProblemAsync(Ct));
            var late = HitBuilder.Pageview("/while-away").Build();
            await Assert.ThrowsAnyAsync<SqliteException>(async () => await store.AppendAsync([late], Ct));

            File.Move(_database.Path + ".moved", _database.Path);
            Assert.Null(await store.GetProblemAsync(Ct));
            await store.AppendAsync([late], Ct); // the writer's retry
            Assert.Equal(2d, (await store.QueryAsync(PageviewsQuery(), Ct)).Rows[0].Metrics[0]);
        }

        SqliteConnection.ClearAllPools();
        Assert.Equal(2L, await _database.ScalarAsync("SELECT count(*) FROM beacon_hits", Ct));
    }

    [Fact]
    public async Task FileReplaced_IsReportedAsAReplacement()
    {
        SkipWhereOpenFilesCannotBeDeleted();
        using var store = await OpenStoreAsync();
        await store.AppendAsync([HitBuilder.Pageview("/before").Build()], Ct);
        using var other = new SqliteTestDatabase();
        using (var otherStore = other.CreateStore())
        {
            await otherStore.MigrateAsync(Ct);
        }

        // A restore that renames a file over the live one.
        SqliteConnection.ClearAllPools();
        File.Move(other.Path, _database.Path, overwrite: true);

        var problem = await store.GetProblemAsync(Ct);
        Assert.NotNull(problem);
        Assert.Contains("replaced by another file", problem, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<SqliteException>(async () => await store.AppendAsync([HitBuilder.Pageview("/after").Build()], Ct));
    }

    /// <summary>
    /// What SQLite itself does when the <c>-wal</c> file is deleted under an open connection (the reason for the store's
    /// recovery below): the connection that holds it goes on writing into the deleted file, a connection opened since
    /// fails with SQLITE_IOERR, and the rows reach the database file when the holder closes (its last checkpoint).
    /// </summary>
    [Fact]
    public async Task Sqlite_WalDeletedUnderAnOpenConnection_NewConnectionsFail_TheHolderWritesOnIntoTheDeletedFile()
    {
        SkipWhereOpenFilesCannotBeDeleted();
        await using (var holder = new SqliteConnection(_database.ConnectionString))
        {
            await holder.OpenAsync(Ct);
            await ExecuteAsync(holder, "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);");
            File.Delete(_database.Path + "-wal");

            await ExecuteAsync(holder, "INSERT INTO t VALUES (2);");
            await using (var later = new SqliteConnection(_database.ConnectionString))
            {
                await later.OpenAsync(Ct);
                var failed = await Assert.ThrowsAsync<SqliteException>(() => ExecuteAsync(later, "SELECT count(*) FROM t;"));
                Assert.Equal(10, failed.SqliteErrorCode); // SQLITE_IOERR: "disk I/O error"
            }

            Assert.Equal(2L, await ScalarAsync(holder, "SELECT count(*) FROM t;"));
        }

        Assert.Equal(2L, await _database.ScalarAsync("SELECT count(*) FROM t", Ct));
    }

    /// <summary>
    /// The <c>-wal</c> file deleted while the store runs: the store notices it at its next call (at most a second later),
    /// checkpoints what the deleted file holds through its kept append connection and closes its connections, so queries
    /// (new connections) answer instead of failing with SQLITE_IOERR, later hits are stored, and nothing is lost.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WalFileDeleted_TheStoreCheckpointsWhatItHeld_AndGoesOn(bool pooling)
    {
        SkipWhereOpenFilesCannotBeDeleted();
        using (var store = await OpenStoreAsync(pooling))
        {
            await store.AppendAsync([HitBuilder.Pageview("/before").Build()], Ct);
            Assert.True(File.Exists(_database.Path + "-wal"));

            File.Delete(_database.Path + "-wal");

            Assert.Equal(1d, (await store.QueryAsync(PageviewsQuery(), Ct)).Rows[0].Metrics[0]);
            await store.AppendAsync([HitBuilder.Pageview("/after").Build()], Ct);
            Assert.Equal(2d, (await store.QueryAsync(PageviewsQuery(), Ct)).Rows[0].Metrics[0]);
            Assert.Null(await store.GetProblemAsync(Ct));
        }

        SqliteConnection.ClearAllPools();
        Assert.Equal(2L, await _database.ScalarAsync("SELECT count(*) FROM beacon_hits", Ct));
        await using var check = new SqliteConnection(_database.ConnectionString);
        await check.OpenAsync(Ct);
        Assert.Equal("ok", await ScalarAsync(check, "PRAGMA integrity_check;"));
    }

    /// <summary>
    /// The same with the hits written between the deletion and the store's look: they went into the deleted file, and the
    /// recovery's checkpoint puts them in the database file before the connections close.
    /// </summary>
    [Fact]
    public async Task WalFileDeleted_HitsWrittenBeforeTheStoreNoticed_AreKept()
    {
        SkipWhereOpenFilesCannotBeDeleted();
        using (var store = await OpenStoreAsync())
        {
            store.DatabaseFile.CheckInterval = TimeSpan.FromHours(1);
            await store.AppendAsync([HitBuilder.Pageview("/before").Build()], Ct);
            await store.AppendAsync([HitBuilder.Pageview("/before-too").Build()], Ct); // the look, then none for an hour
            File.Delete(_database.Path + "-wal");
            await store.AppendAsync([HitBuilder.Pageview("/unnoticed").Build()], Ct); // into the deleted file

            store.DatabaseFile.CheckInterval = TimeSpan.Zero; // the next look is due now
            Assert.Equal(3d, (await store.QueryAsync(PageviewsQuery(), Ct)).Rows[0].Metrics[0]);

            // As after a crash: whatever is only in a -wal file the store's connections hold would be lost with them.
            File.Copy(_database.Path, _database.Path + ".copy");
        }

        using var copy = new SqliteConnection($"Data Source={_database.Path}.copy;Pooling=False");
        await copy.OpenAsync(Ct);
        Assert.Equal(3L, await ScalarAsync(copy, "SELECT count(*) FROM beacon_hits;"));
    }

    [Fact]
    public async Task StoreNeverOpened_ReportsNothing()
    {
        using var store = _database.CreateStore();

        Assert.Null(await store.GetProblemAsync(Ct));
    }

    public void Dispose()
    {
        _database.Dispose();
        File.Delete(_database.Path + ".moved");
        File.Delete(_database.Path + ".copy");
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(Ct);
    }

    private static void SkipWhereOpenFilesCannotBeDeleted() =>
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Windows does not delete or rename a file SQLite holds open.");

    private static Querying.HitQuery PageviewsQuery() => new()
    {
        SiteId = HitBuilder.DefaultSiteId,
        From = HitBuilder.DefaultTimestamp.AddDays(-1),
        To = HitBuilder.DefaultTimestamp.AddDays(1),
        Metrics = [Querying.HitMetric.Pageviews],
    };

    private async Task<SqliteHitStore> OpenStoreAsync(bool pooling = false)
    {
        // Pooled as in apps (queries then take connections opened before the -wal went), or one connection per call.
        var store = pooling
            ? new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = $"Data Source={_database.Path}", MaxRollupLag = TimeSpan.Zero })
            : _database.CreateStore();
        store.DatabaseFile.CheckInterval = TimeSpan.Zero; // look at the file at every call, not once a second
        await store.MigrateAsync(Ct);
        return store;
    }
}

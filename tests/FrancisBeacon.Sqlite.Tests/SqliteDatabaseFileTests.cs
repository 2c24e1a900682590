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

    private async Task<SqliteHitStore> OpenStoreAsync()
    {
        var store = _database.CreateStore();
        store.DatabaseFile.CheckInterval = TimeSpan.Zero; // look at the file at every call, not once a second
        await store.MigrateAsync(Ct);
        return store;
    }
}

using FrancisBeacon.Querying;
using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// A running SQLite statement stops when its query is cancelled or runs past <see cref="SqliteHitStoreOptions.QueryTimeout"/>
/// (Microsoft.Data.Sqlite looks at a command's token only between rows).
/// </summary>
public sealed class SqliteQueryInterruptTests : IDisposable
{
    // A statement that never ends by itself: only an interrupt stops it.
    private const string Endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

    private readonly SqliteTestDatabase _database = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Register_CancelledToken_InterruptsTheRunningStatement()
    {
        await using var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(Ct);
        using var cancel = new CancellationTokenSource();
        var watchdogFired = false;

        // The watchdog ends the statement after 60 s should the registration not, so the test fails instead of hanging.
        await using var watchdog = new Timer(_ => { watchdogFired = true; raw.sqlite3_interrupt(connection.Handle!); }, null, TimeSpan.FromSeconds(60), Timeout.InfiniteTimeSpan);
        using (SqliteInterrupt.Register(connection, cancel.Token))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Endless;
            var running = Task.Run(() => command.ExecuteScalar(), Ct);
            cancel.CancelAfter(TimeSpan.FromMilliseconds(100));
            var error = await Assert.ThrowsAsync<SqliteException>(() => running);
            Assert.Equal(SqliteInterrupt.InterruptedCode, error.SqliteErrorCode);
            Assert.True(SqliteInterrupt.IsInterrupted(new InvalidOperationException("wrapped", error)));
        }

        Assert.False(watchdogFired, "The statement ran until the watchdog stopped it: the registration did not interrupt it.");

        // The connection works afterwards, and a disposed registration no longer interrupts anything.
        using var later = new CancellationTokenSource();
        SqliteInterrupt.Register(connection, later.Token).Dispose();
        await later.CancelAsync();
        await using var check = connection.CreateCommand();
        check.CommandText = "SELECT 41 + 1";
        Assert.Equal(42L, check.ExecuteScalar());
    }

    [Fact]
    public async Task QueryAsync_PastQueryTimeout_StopsTheStatementWithTimeoutException()
    {
        var store = new SqliteHitStore(new SqliteHitStoreOptions
        {
            ConnectionString = _database.ConnectionString,
            MaxRollupLag = TimeSpan.Zero,
            QueryTimeout = TimeSpan.FromMilliseconds(300),
        });
        await store.MigrateAsync(Ct);
        var query = await SlowQueryAsync(store);

        var error = await Assert.ThrowsAsync<TimeoutException>(async () => await store.QueryAsync(query, Ct));

        // Interrupted inside the statement, not noticed between rows after it had run to its end.
        Assert.True(SqliteInterrupt.IsInterrupted(error), $"Not interrupted: {error.InnerException}");
        Assert.Contains("QueryTimeout", error.Message, StringComparison.Ordinal);

        // The store answers the next (quick) query on the same pool.
        var quick = query with { Filter = null };
        Assert.Equal(8_000d, (await store.QueryAsync(quick, Ct)).Rows[0].Metrics[0]);
    }

    [Fact]
    public async Task QueryAsync_CancelledWhileRunning_StopsTheStatement()
    {
        var store = new SqliteHitStore(new SqliteHitStoreOptions
        {
            ConnectionString = _database.ConnectionString,
            MaxRollupLag = TimeSpan.Zero,
            QueryTimeout = Timeout.InfiniteTimeSpan,
        });
        await store.MigrateAsync(Ct);
        var query = await SlowQueryAsync(store);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cancel.CancelAfter(TimeSpan.FromMilliseconds(300));

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.QueryAsync(query, cancel.Token));
        Assert.True(SqliteInterrupt.IsInterrupted(error), $"Not interrupted: {error.InnerException}");
    }

    [Fact]
    public void Options_QueryTimeout_ZeroOrNegative_Refused()
    {
        foreach (var timeout in new[] { TimeSpan.Zero, TimeSpan.FromSeconds(-1) })
        {
            var error = Assert.Throws<ArgumentException>(() => new SqliteHitStore(new SqliteHitStoreOptions { ConnectionString = _database.ConnectionString, QueryTimeout = timeout }));
            Assert.Contains("QueryTimeout", error.Message, StringComparison.Ordinal);
        }
    }

    public void Dispose() => _database.Dispose();

    /// <summary>
    /// 8 000 hits with 1 000-character paths and a query with 100 <c>matches</c> patterns over them: each pattern reads
    /// every path to its end (none matches), 800 million characters through the regex engine — half of it took 1.9 s
    /// on the development machine, far past the tests' 300 ms on any machine.
    /// </summary>
    private static async Task<HitQuery> SlowQueryAsync(SqliteHitStore store)
    {
        var day = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
        var hits = Enumerable.Range(0, 8_000)
            .Select(i => HitBuilder.Pageview("/" + new string((char)('a' + (i % 26)), 999)).ByVisitor(i).At(day.AddSeconds(i)).Build())
            .ToList();
        await store.AppendAsync(hits, Ct);
        var patterns = Enumerable.Range(0, 100).Select(i => $"^/[a-z]*{(char)('0' + (i % 10))}[a-z]*x{i}$").ToArray();
        var query = new HitQuery
        {
            SiteId = HitBuilder.DefaultSiteId,
            From = day,
            To = day.AddDays(1),
            TimeZone = TimeZoneInfo.Utc,
            Metrics = [HitMetric.Pageviews],
            Filter = HitFilter.Matches(HitDimension.Page, patterns),
        };

        // What runs before the statement — compiling the 100 patterns (validation), opening the pool's connection, the
        // rollup checks, the JIT — done once here, so that the callers' 300 ms fall inside the statement also on a busy
        // machine (a CI run once spent them before it: cancelled, but not by the interrupt).
        // The same query over the day before, which has no hits.
        await store.QueryAsync(query with { From = day.AddDays(-1), To = day }, Ct);
        return query;
    }
}

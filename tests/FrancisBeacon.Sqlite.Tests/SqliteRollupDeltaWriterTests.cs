using FrancisBeacon.Sql.Rollups;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// SqliteRollupDeltaWriter on its own: growing keys go in steps of several rows (SqliteRollupDeltaWriter.GrowingRows),
/// shrinking keys one by one with their sums checked; whatever the mix, the table ends with the stored sums plus the deltas,
/// rows whose count falls to zero gone, and a delta that would make a sum negative refused.
/// </summary>
public sealed class SqliteRollupDeltaWriterTests : IDisposable
{
    private static readonly string[] Columns = ["site_id", "day", "dim", "value", "visitors", "events"];
    private static readonly RollupColumnType[] Types =
        [RollupColumnType.Text, RollupColumnType.Number, RollupColumnType.ShortNumber, RollupColumnType.Text, RollupColumnType.Number, RollupColumnType.Number];

    private readonly SqliteTestDatabase _database = new();

    [Theory]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(100)]
    public async Task ApplyAsync_MixOfGrowingShrinkingAndVanishingKeys_LeavesStoredPlusDelta(int keys)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await OpenAsync(ct);
        // Stored: every even key (visitors k + 1, events 2k + 5).
        var stored = new Dictionary<(int, string), (long Visitors, long Events)>();
        for (var k = 0; k < keys; k += 2)
        {
            stored[(k % 3, $"v{k}")] = (k + 1, (2 * k) + 5);
        }

        await InsertAsync(connection, stored, ct);

        // Deltas: odd keys are new (growing), every fourth stored key grows, the others shrink, every sixth to zero.
        var rows = new RollupRows("t", Columns, Types, keys);
        var expected = new Dictionary<(int, string), (long Visitors, long Events)>(stored);
        for (var k = 0; k < keys; k++)
        {
            var key = (k % 3, $"v{k}");
            (long Visitors, long Events) delta = k % 2 == 1 ? (1, 3) : k % 6 == 0 ? (-(k + 1), -((2 * k) + 5)) : k % 4 == 0 ? (2, 7) : (0, -1);
            var now = expected.GetValueOrDefault(key);
            now = (now.Visitors + delta.Visitors, now.Events + delta.Events);
            if (now.Visitors == 0)
            {
                expected.Remove(key);
            }
            else
            {
                expected[key] = now;
            }

            Add(rows, "site", 20000, k % 3, $"v{k}", delta.Visitors, delta.Events);
        }

        await using (var transaction = connection.BeginTransaction())
        {
            Assert.True(await SqliteRollupDeltaWriter.ApplyAsync(connection, transaction, rows, 4, 4, ct));
            transaction.Commit();
        }

        Assert.Equal(expected.OrderBy(e => e.Key).ToList(), (await ReadAsync(connection, ct)).OrderBy(e => e.Key).ToList());
    }

    [Fact]
    public async Task ApplyAsync_RowsOfSeveralDays_AddsEachToItsOwnDay()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await OpenAsync(ct);
        var rows = new RollupRows("t", Columns, Types, 80);
        for (var k = 0; k < 80; k++)
        {
            Add(rows, "site", 20000 + (k % 2), 0, $"v{k / 2}", 1, k);
        }

        await using (var transaction = connection.BeginTransaction())
        {
            Assert.True(await SqliteRollupDeltaWriter.ApplyAsync(connection, transaction, rows, 4, 4, ct));
            transaction.Commit();
        }

        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT day, count(*), sum(visitors), sum(events) FROM t GROUP BY day ORDER BY day";
        await using var reader = await command.ExecuteReaderAsync(ct);
        Assert.True(await reader.ReadAsync(ct));
        Assert.Equal((20000L, 40L, 40L, 1560L), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
        Assert.True(await reader.ReadAsync(ct));
        Assert.Equal((20001L, 40L, 40L, 1600L), (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
    }

    [Fact]
    public async Task ApplyAsync_DeltaBelowTheStoredSum_IsRefused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = await OpenAsync(ct);
        await InsertAsync(connection, new() { [(0, "v0")] = (1, 1) }, ct);
        var rows = new RollupRows("t", Columns, Types, 40);
        for (var k = 1; k < 40; k++)
        {
            Add(rows, "site", 20000, 0, $"v{k}", 1, 1);
        }

        Add(rows, "site", 20000, 0, "v0", -1, -2);
        await using var transaction = connection.BeginTransaction();
        Assert.False(await SqliteRollupDeltaWriter.ApplyAsync(connection, transaction, rows, 4, 4, ct));
    }

    public void Dispose() => _database.Dispose();

    private static void Add(RollupRows rows, string site, long day, int dim, string value, long visitors, long events)
    {
        var r = rows.Add();
        rows.Set(r, 0, site);
        rows.Set(r, 1, day);
        rows.Set(r, 2, dim);
        rows.Set(r, 3, value);
        rows.Set(r, 4, visitors);
        rows.Set(r, 5, events);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(_database.ConnectionString);
        await connection.OpenAsync(ct);
        await using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE t (site_id TEXT NOT NULL, day INTEGER NOT NULL, dim INTEGER NOT NULL, value TEXT NOT NULL," +
                              " visitors INTEGER NOT NULL, events INTEGER NOT NULL, PRIMARY KEY (site_id, day, dim, value)) WITHOUT ROWID";
        await command.ExecuteNonQueryAsync(ct);
        return connection;
    }

    private static async Task InsertAsync(SqliteConnection connection, Dictionary<(int, string), (long Visitors, long Events)> rows, CancellationToken ct)
    {
        foreach (var ((dim, value), (visitors, events)) in rows)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO t VALUES ('site', 20000, $dim, $value, $visitors, $events)";
            command.Parameters.AddWithValue("$dim", dim);
            command.Parameters.AddWithValue("$value", value);
            command.Parameters.AddWithValue("$visitors", visitors);
            command.Parameters.AddWithValue("$events", events);
            await command.ExecuteNonQueryAsync(ct);
        }
    }

    private static async Task<Dictionary<(int, string), (long Visitors, long Events)>> ReadAsync(SqliteConnection connection, CancellationToken ct)
    {
        var rows = new Dictionary<(int, string), (long, long)>();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT dim, value, visitors, events FROM t";
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            rows[(reader.GetInt32(0), reader.GetString(1))] = (reader.GetInt64(2), reader.GetInt64(3));
        }

        return rows;
    }
}

using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>A temporary SQLite file, deleted (with its WAL files) on dispose.</summary>
internal sealed class SqliteTestDatabase : IDisposable
{
    public SqliteTestDatabase()
    {
        Directory.CreateDirectory(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "francisbeacon-tests"));
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "francisbeacon-tests", $"sqlite-{Guid.NewGuid():N}.db");
    }

    public string Path { get; }

    public string ConnectionString => $"Data Source={Path};Pooling=False";

    /// <summary>Runs <paramref name="sql"/> on its own connection and returns its single integer.</summary>
    public async Task<long> ScalarAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public SqliteHitStore CreateStore(string prefix = "beacon_") =>
        new(new SqliteHitStoreOptions { ConnectionString = ConnectionString, TablePrefix = prefix, MaxRollupLag = TimeSpan.Zero });

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(Path + suffix);
        }
    }
}

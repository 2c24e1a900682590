// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FrancisBeacon.Sqlite;

/// <summary>
/// The connection a store keeps open for its hit writes, with the insert and dirty-mark statements prepared once: a
/// batch is then a BEGIN, the rows and a COMMIT, not also a connection taken from the pool, its pragmas and SQL function
/// set again, and two statements compiled (about 0.2–0.3 ms of CPU per batch, which dominated batches of a hundred hits;
/// docs/performance.md, "Round 11").
/// </summary>
/// <remarks>
/// One batch at a time: the store hands the instance to one caller and takes it back after a successful commit
/// (<see cref="SqliteHitStore"/>); a failed batch disposes it, and the next batch opens a new one. A schema change
/// made by another connection meanwhile is picked up by SQLite itself (a statement prepared with
/// <c>sqlite3_prepare_v2</c> is compiled again when the schema it was compiled against changed).
/// </remarks>
internal sealed class SqliteAppendConnection : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly sqlite3_stmt _insert;
    private readonly sqlite3_stmt _mark;

    private SqliteAppendConnection(SqliteConnection connection, sqlite3_stmt insert, sqlite3_stmt mark)
    {
        _connection = connection;
        _insert = insert;
        _mark = mark;
    }

    /// <summary>How many batches this connection has written (tests).</summary>
    public int Batches { get; private set; }

    /// <summary>The <c>-wal</c> file this connection holds, as the store took it after opening it (SqliteDatabaseFile).</summary>
    public SqliteDatabaseFile.WalMark? Wal { get; set; }

    /// <summary>Prepares the statements on an open connection, which the result then owns.</summary>
    public static SqliteAppendConnection Create(SqliteConnection connection, SqliteSql sql)
    {
        var db = connection.Handle!;
        sqlite3_stmt? insert = null;
        try
        {
            insert = SqliteBatchWriter.Prepare(db, sql.InsertPositional);
            var mark = SqliteBatchWriter.Prepare(db, sql.MarkDirtyPositional);
            return new SqliteAppendConnection(connection, insert, mark);
        }
        catch
        {
            insert?.Dispose();
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A BEGIN IMMEDIATE that took longer than this waited for SQLite's write lock (an uncontended one takes microseconds;
    /// the busy handler's first sleep is a millisecond).
    /// </summary>
    internal static readonly TimeSpan LockWaitThreshold = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Writes one batch in its own write transaction; returns the number of rows inserted. Tells <paramref name="gate"/>
    /// when the batch had to wait for the write lock, so that the rollup pass lets the writer catch up
    /// (<see cref="SqliteWritePriority"/>).
    /// </summary>
    public int Write(IReadOnlyList<Hit> hits, SqliteWritePriority.HitWrite gate, CancellationToken cancellationToken)
    {
        var began = Stopwatch.GetTimestamp();
        using var transaction = _connection.BeginTransaction(IsolationLevel.Serializable);
        if (Stopwatch.GetElapsedTime(began) >= LockWaitThreshold)
        {
            gate.WaitedForLock();
        }

        var inserted = SqliteBatchWriter.Write(_connection.Handle!, _insert, _mark, hits, cancellationToken);
        transaction.Commit();
        Batches++;
        return inserted;
    }

    /// <summary>
    /// For a <c>-wal</c> file deleted under the store's connections: copies every frame of the file this connection
    /// still holds into the database file (<c>PRAGMA wal_checkpoint(TRUNCATE)</c>), then closes this connection and
    /// every idle pooled one of its connection string (a busy one is closed when it goes back), so that the connections
    /// opened next start over with the <c>-wal</c> at the path. <see langword="false"/> when the checkpoint could not
    /// copy every frame (another connection still read an older snapshot): the rest reaches the database file when the
    /// last connection holding the deleted file closes.
    /// </summary>
    public bool CheckpointAndClose()
    {
        try
        {
            using var checkpoint = _connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            using var reader = checkpoint.ExecuteReader();
            return reader.Read() && reader.GetInt64(0) == 0; // busy = 0
        }
        finally
        {
            SqliteConnection.ClearPool(_connection);
            Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Statements before the connection: SQLite closes a connection only once its statements are finalised.
        _insert.Dispose();
        _mark.Dispose();
        _connection.Dispose();
    }
}

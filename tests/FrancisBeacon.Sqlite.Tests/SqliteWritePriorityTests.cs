using System.Data;
using FrancisBeacon.Testing;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite.Tests;

/// <summary>
/// The gate that puts hit writes ahead of the rollup pass's write transactions (docs/storage.md, "Writing while the
/// rollups are kept"): the pass's connection routes every write transaction through it, and a transaction the pass
/// begins while a hit write is counted in goes ahead only once it is counted out.
/// </summary>
public sealed class SqliteWritePriorityTests : IDisposable
{
    private readonly SqliteTestDatabase _database = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task BeginTransaction_WhileAHitWriteIsCountedIn_BeginsAfterItIsCountedOut()
    {
        var priority = new SqliteWritePriority();
        await using var connection = new SqliteRollupConnection(_database.ConnectionString, priority, TimeSpan.FromMinutes(5));
        await connection.OpenAsync(Ct);
        Assert.Equal(0, connection.WriteBegan);

        var order = new List<string>();
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        priority.Waiting = () => waiting.TrySetResult();
        var hitWrite = priority.EnterHitWrite();
        Assert.True(priority.HitWritesWaiting);
        var begin = Task.Run(
            async () =>
            {
                await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.Serializable, Ct);
                lock (order)
                {
                    order.Add("pass");
                }
            },
            Ct);

        // The pass's begin is held at the gate (not done) until the hit write is counted out.
        Assert.Same(waiting.Task, await Task.WhenAny(waiting.Task, begin));
        Assert.False(begin.IsCompleted);
        lock (order)
        {
            order.Add("hit write");
        }

        hitWrite.Dispose();
        await begin;

        Assert.Equal(["hit write", "pass"], order);
        Assert.False(priority.HitWritesWaiting);
        Assert.NotEqual(0, connection.WriteBegan); // BeginTransactionAsync went through the override
    }

    [Fact]
    public void WaitForHitWrites_NoneCountedIn_ReturnsAtOnceWithoutWaiting()
    {
        var priority = new SqliteWritePriority();
        Assert.False(priority.WaitForHitWrites(TimeSpan.FromMinutes(5)));
        using (priority.EnterHitWrite())
        using (priority.EnterHitWrite())
        {
            Assert.True(priority.HitWritesWaiting);
        }

        Assert.False(priority.HitWritesWaiting);
        Assert.False(priority.WaitForHitWrites(TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task WaitForHitWrites_WriterCatchingUp_WaitsForItsNextBatchUntilItHasCaughtUp()
    {
        // Round 12: a hit write that waited for the lock has a backlog behind it; counted out after its batch, the
        // writer comes back with the next one, and the pass must not take the lock in between (it won that race and the
        // writer wrote one batch per transaction of the pass while the queue filled).
        var priority = new SqliteWritePriority { Gap = TimeSpan.FromMinutes(5) };
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        priority.Waiting = () => waiting.TrySetResult();
        var order = new List<string>();
        var first = priority.EnterHitWrite();
        first.WaitedForLock();
        var pass = Task.Run(
            () =>
            {
                priority.WaitForHitWrites(TimeSpan.FromMinutes(5));
                lock (order)
                {
                    order.Add("pass");
                }
            },
            Ct);
        Assert.Same(waiting.Task, await Task.WhenAny(waiting.Task, pass));
        lock (order)
        {
            order.Add("batch 1");
        }

        first.Dispose();
        Assert.True(priority.CatchingUp);
        // Between two batches of the backlog (the writer takes its next batch): the pass still waits.
        await Task.Delay(200, Ct);
        Assert.False(pass.IsCompleted);
        using (priority.EnterHitWrite())
        {
            lock (order)
            {
                order.Add("batch 2");
            }

            priority.Gap = TimeSpan.Zero; // the writer has caught up once this batch is counted out
        }

        await pass.WaitAsync(TimeSpan.FromMinutes(1), Ct);
        Assert.Equal(["batch 1", "batch 2", "pass"], order);
        Assert.False(priority.CatchingUp);
        Assert.False(priority.WaitForHitWrites(TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public void WaitForHitWrites_HitWritesThatDidNotWaitForTheLock_NoCatchUp()
    {
        var priority = new SqliteWritePriority { Gap = TimeSpan.FromMinutes(5) };
        using (priority.EnterHitWrite())
        {
        }

        // A writer keeping up (its batches never waited for the lock) does not hold the pass back between batches.
        Assert.False(priority.CatchingUp);
        Assert.False(priority.WaitForHitWrites(TimeSpan.FromMinutes(5)));
    }

    [Fact]
    public async Task AppendAsync_WaitedForAStepOfThePass_ThePassesNextStepWaitsForTheWritersNextBatch()
    {
        using var store = _database.CreateStore();
        await store.MigrateAsync(Ct);
        store.WritePriority.Gap = TimeSpan.FromMinutes(5);
        await using var pass = new SqliteRollupConnection(_database.ConnectionString, store.WritePriority, TimeSpan.FromMinutes(5));
        await pass.OpenAsync(Ct);
        var t0 = new DateTimeOffset(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

        // A step of the pass holds SQLite's write lock (BEGIN IMMEDIATE) while the writer's batch comes.
        var step = (SqliteTransaction)await pass.BeginTransactionAsync(IsolationLevel.Serializable, Ct);
        var batch1 = Task.Run(async () => await store.AppendAsync([HitBuilder.Pageview("/1").At(t0).Build()], Ct), Ct);
        for (var i = 0; i < 200 && !store.HitWritesWaiting; i++)
        {
            await Task.Delay(10, Ct);
        }

        Assert.True(store.HitWritesWaiting);
        await Task.Delay(200, Ct); // the batch is in SQLite's busy handler, waiting for the step's lock
        Assert.False(batch1.IsCompleted);
        await step.CommitAsync(Ct);
        await batch1.WaitAsync(TimeSpan.FromMinutes(1), Ct);
        Assert.True(store.WritePriority.CatchingUp);

        // The pass's next step does not begin between the writer's batches; it sees both once it does.
        var next = Task.Run(
            async () =>
            {
                await using var transaction = (SqliteTransaction)await pass.BeginTransactionAsync(IsolationLevel.Serializable, Ct);
                await using var count = pass.CreateCommand();
                count.Transaction = transaction;
                count.CommandText = "SELECT count(*) FROM beacon_hits";
                var rows = (long)(await count.ExecuteScalarAsync(Ct))!;
                await transaction.CommitAsync(Ct);
                return rows;
            },
            Ct);
        await Task.Delay(200, Ct);
        Assert.False(next.IsCompleted);
        store.WritePriority.Gap = TimeSpan.Zero; // caught up after the next batch
        await store.AppendAsync([HitBuilder.Pageview("/2").At(t0).Build()], Ct);

        Assert.Equal(2L, await next.WaitAsync(TimeSpan.FromMinutes(1), Ct));
        Assert.False(store.WritePriority.CatchingUp);
    }

    public void Dispose() => _database.Dispose();
}

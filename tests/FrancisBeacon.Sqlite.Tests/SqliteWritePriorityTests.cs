using System.Data;

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

    public void Dispose() => _database.Dispose();
}

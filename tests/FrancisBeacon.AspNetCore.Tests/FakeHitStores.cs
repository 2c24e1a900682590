using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>An in-memory store whose appends wait until <see cref="Release"/> is called.</summary>
internal sealed class BlockingHitStore : IHitStore
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public InMemoryHitStore Inner { get; } = new();

    /// <summary>Completed when the first append waits at the gate.</summary>
    public Task Entered => _entered.Task;

    public void Release() => _gate.TrySetResult();

    public async ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
    {
        _entered.TrySetResult();
        await _gate.Task.WaitAsync(cancellationToken);
        await Inner.AppendAsync(hits, cancellationToken);
    }

    public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken) => Inner.QueryAsync(query, cancellationToken);

    public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => Inner.ReadAsync(range, cancellationToken);

    public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => Inner.PurgeAsync(range, cancellationToken);
}

/// <summary>An in-memory store whose first appends throw, like a database that is briefly down.</summary>
internal sealed class FlakyHitStore(int failures) : IHitStore
{
    private int _attempts;

    public InMemoryHitStore Inner { get; } = new();

    public int Attempts => Volatile.Read(ref _attempts);

    public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _attempts) <= failures)
        {
            throw new InvalidOperationException("Simulated outage.");
        }

        return Inner.AppendAsync(hits, cancellationToken);
    }

    public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken) => Inner.QueryAsync(query, cancellationToken);

    public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => Inner.ReadAsync(range, cancellationToken);

    public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => Inner.PurgeAsync(range, cancellationToken);
}

/// <summary>An in-memory store whose queries wait until <see cref="Release"/> is called, counting how many ran at once.</summary>
internal sealed class BlockingQueryHitStore : IHitStore
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _running;
    private int _entered;
    private int _mostAtOnce;

    public InMemoryHitStore Inner { get; } = new();

    /// <summary>Queries that reached the store.</summary>
    public int Entered => Volatile.Read(ref _entered);

    /// <summary>The most queries that were in the store at the same time.</summary>
    public int MostAtOnce => Volatile.Read(ref _mostAtOnce);

    public void Release() => _gate.TrySetResult();

    public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) => Inner.AppendAsync(hits, cancellationToken);

    public async ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _entered);
        var running = Interlocked.Increment(ref _running);
        int most;
        while (running > (most = Volatile.Read(ref _mostAtOnce)) && Interlocked.CompareExchange(ref _mostAtOnce, running, most) != most)
        {
        }

        try
        {
            await _gate.Task.WaitAsync(cancellationToken);
            return await Inner.QueryAsync(query, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => Inner.ReadAsync(range, cancellationToken);

    public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken) => Inner.PurgeAsync(range, cancellationToken);
}

/// <summary>An in-memory store that runs <see cref="OnPurge"/> inside each purge (tests look at what holds while it runs).</summary>
internal sealed class PurgeHookStore : IHitStore
{
    public InMemoryHitStore Inner { get; } = new();

    /// <summary>Runs at the start of each purge; may throw, as a failed or cancelled purge does.</summary>
    public Action<HitRange>? OnPurge { get; set; }

    public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) => Inner.AppendAsync(hits, cancellationToken);

    public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken) => Inner.QueryAsync(query, cancellationToken);

    public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => Inner.ReadAsync(range, cancellationToken);

    public ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken)
    {
        OnPurge?.Invoke(range);
        return Inner.PurgeAsync(range, cancellationToken);
    }
}

/// <summary>
/// An in-memory store whose purges wait until <see cref="Release"/> is called (or their token is cancelled), counting
/// them; <see cref="FailOnce"/> makes the next purge that gets through the gate throw.
/// </summary>
internal sealed class SlowPurgeHitStore : IHitStore
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _cancelled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _purges;
    private Exception? _failOnce;

    public InMemoryHitStore Inner { get; } = new();

    /// <summary>Purges that reached the store.</summary>
    public int Purges => Volatile.Read(ref _purges);

    /// <summary>Completed when the first purge waits at the gate.</summary>
    public Task Entered => _entered.Task;

    /// <summary>Completed when a purge's token was cancelled while it waited at the gate.</summary>
    public Task Cancelled => _cancelled.Task;

    /// <summary>Thrown (once) by the next purge through the gate.</summary>
    public Exception? FailOnce
    {
        get => Volatile.Read(ref _failOnce);
        set => Volatile.Write(ref _failOnce, value);
    }

    public void Release() => _gate.TrySetResult();

    public ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken) => Inner.AppendAsync(hits, cancellationToken);

    public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken) => Inner.QueryAsync(query, cancellationToken);

    public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken) => Inner.ReadAsync(range, cancellationToken);

    public async ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _purges);
        _entered.TrySetResult();
        try
        {
            await _gate.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            _cancelled.TrySetResult();
            throw;
        }

        if (Interlocked.Exchange(ref _failOnce, null) is { } failure)
        {
            throw failure;
        }

        return await Inner.PurgeAsync(range, cancellationToken);
    }
}

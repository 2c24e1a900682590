using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>An in-memory store whose appends wait until <see cref="Release"/> is called.</summary>
internal sealed class BlockingHitStore : IHitStore
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public InMemoryHitStore Inner { get; } = new();

    public void Release() => _gate.TrySetResult();

    public async ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
    {
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

using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;

namespace FrancisBeacon.Samples.CustomStore;

/// <summary>
/// A deliberately small custom store: every hit is one JSON line appended to a file, and queries are answered from an
/// in-memory copy loaded at start. It shows the contract a backend author implements and proves with the kit
/// (tests/FrancisBeacon.Tests/Samples/JsonLinesHitStoreConformanceTests.cs); it is not meant for production traffic.
/// </summary>
public sealed class JsonLinesHitStore : IHitStore, IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    private readonly string _path;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly InMemoryHitStore _index = new();
    private readonly HashSet<Guid> _ids = [];

    /// <summary>Opens (or creates) the file and loads the hits it holds.</summary>
    public JsonLinesHitStore(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _path = path;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!File.Exists(path))
        {
            return;
        }

        var hits = new List<Hit>();
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            if (line.Length > 0 && JsonSerializer.Deserialize<Hit>(line, Json) is { } hit && _ids.Add(hit.Id))
            {
                hits.Add(hit);
            }
        }

        _index.AppendAsync(hits, CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    /// <inheritdoc />
    public async ValueTask AppendAsync(IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hits);
        cancellationToken.ThrowIfCancellationRequested();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            // Keep the first write of every id (also within the batch), truncated to the millisecond, with values longer
            // than HitLimits' sizes in bytes cut (HitText.Truncate), as the contract says.
            var fresh = new List<Hit>();
            foreach (var hit in hits)
            {
                if (_ids.Add(hit.Id))
                {
                    var ticks = hit.Timestamp.UtcTicks;
                    fresh.Add(HitText.Truncate(hit) with { Timestamp = new DateTimeOffset(ticks - (ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero) });
                }
            }

            var text = new StringBuilder();
            foreach (var hit in fresh)
            {
                text.Append(JsonSerializer.Serialize(hit, Json)).Append('\n');
            }

            // One write per batch: the batch is on disk before the index shows it.
            await File.AppendAllTextAsync(_path, text.ToString(), Encoding.UTF8, CancellationToken.None);
            await _index.AppendAsync(fresh, CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public ValueTask<AggregateResult> QueryAsync(HitQuery query, CancellationToken cancellationToken) =>
        _index.QueryAsync(query, cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<Hit> ReadAsync(HitRange range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(range);
        cancellationToken.ThrowIfCancellationRequested();
        return ReadCoreAsync(range, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<long> PurgeAsync(HitRange range, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(range);
        cancellationToken.ThrowIfCancellationRequested();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var purged = await _index.PurgeAsync(range, CancellationToken.None);
            if (purged > 0)
            {
                // Rewrite the file without the purged hits, then forget their ids so they may be appended again.
                var kept = new StringBuilder();
                var keptIds = new HashSet<Guid>();
                await foreach (var hit in _index.ReadAsync(HitRange.All, CancellationToken.None))
                {
                    kept.Append(JsonSerializer.Serialize(hit, Json)).Append('\n');
                    keptIds.Add(hit.Id);
                }

                await File.WriteAllTextAsync(_path, kept.ToString(), Encoding.UTF8, CancellationToken.None);
                _ids.IntersectWith(keptIds);
            }

            return purged;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    private async IAsyncEnumerable<Hit> ReadCoreAsync(HitRange range, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var hit in _index.ReadAsync(range, cancellationToken))
        {
            yield return hit;
        }
    }
}

using System.Collections.Concurrent;
using FrancisBeacon.Samples.CustomStore;
using FrancisBeacon.Storage;
using FrancisBeacon.Testing;

namespace FrancisBeacon.Tests.Samples;

/// <summary>The custom-store example of docs/writing-a-store.md passes the same kit as the first-party stores.</summary>
public sealed class JsonLinesHitStoreConformanceTests(JsonLinesHitStoreFixture fixture)
    : HitStoreConformanceTests<JsonLinesHitStoreFixture>(fixture);

/// <summary>One JSON-lines file per isolation key, in a temporary folder removed at the end.</summary>
public sealed class JsonLinesHitStoreFixture : IHitStoreFixture, IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "francisbeacon-tests", "jsonl-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentDictionary<string, string> _files = new(StringComparer.Ordinal);

    public ValueTask<IHitStore> CreateStoreAsync(string isolationKey, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var file = _files.GetOrAdd(isolationKey, key => Path.Combine(_directory, key + ".jsonl"));
        return ValueTask.FromResult<IHitStore>(new JsonLinesHitStore(file));
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}

using System.Collections.Concurrent;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// A small bounded map from a string the beacon parses on every hit (a page URL, a referrer URL, a host name) to what
/// the parse gave, in memory only, as <see cref="Enrichment.UserAgentParser"/> keeps parsed user agents: a site's
/// hits come from a few hundred pages and referrers, so most hits skip the parse. When full it is cleared and refilled,
/// so a flood of distinct keys costs a parse per hit (as without a cache) and at most <see cref="Capacity"/> keys of
/// at most <see cref="MaxKeyLength"/> characters; longer keys are not cached. Nothing in it is stored or logged, and
/// no key holds an IP address or a user agent.
/// </summary>
internal sealed class ParseCache<TValue>
    where TValue : class
{
    private readonly ConcurrentDictionary<string, TValue> _entries = new(StringComparer.Ordinal);
    private int _count;

    public ParseCache(int capacity = 2048, int maxKeyLength = 512)
    {
        Capacity = capacity;
        MaxKeyLength = maxKeyLength;
    }

    /// <summary>How many entries the cache holds at most before it starts over.</summary>
    public int Capacity { get; }

    /// <summary>The longest key kept.</summary>
    public int MaxKeyLength { get; }

    /// <summary>How many entries the cache holds (approximately, while other threads add).</summary>
    public int Count => Volatile.Read(ref _count);

    public bool TryGet(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TValue? value) =>
        _entries.TryGetValue(key, out value);

    /// <summary>Looks a key up by its characters, without a string for it (a slice of a query string, say).</summary>
    public bool TryGet(ReadOnlySpan<char> key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TValue? value)
    {
        if (key.Length > MaxKeyLength)
        {
            value = null;
            return false;
        }

        return _entries.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(key, out value);
    }

    /// <summary>Remembers <paramref name="value"/> for <paramref name="key"/> (replacing what was there); a key too long is left out.</summary>
    public void Set(string key, TValue value)
    {
        if (key.Length > MaxKeyLength)
        {
            return;
        }

        if (!_entries.TryAdd(key, value))
        {
            _entries[key] = value;
        }
        else if (Interlocked.Increment(ref _count) > Capacity)
        {
            _entries.Clear();
            Volatile.Write(ref _count, 0);
        }
    }
}

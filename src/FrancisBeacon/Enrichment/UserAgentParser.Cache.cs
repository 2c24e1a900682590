using System.Collections.Concurrent;

namespace FrancisBeacon.Enrichment;

public static partial class UserAgentParser
{
    /// <summary>How many distinct user agents <see cref="Parse(string?)"/> remembers before it starts over.</summary>
    internal const int CacheCapacity = 2048;

    private static readonly ParseCache s_cache = new(CacheCapacity);

    /// <summary>
    /// A small bounded cache of parsed user agents, in memory only: a site's traffic comes from a few hundred distinct
    /// user agents, so most hits skip the parse. Keyed by the user agent alone (never an IP); nothing in it is stored
    /// or logged. When full it is cleared and refilled, so a flood of distinct user agents costs a parse per hit (as
    /// without a cache) and at most <see cref="CacheCapacity"/> strings of <see cref="MaxLength"/> characters.
    /// </summary>
    internal sealed class ParseCache(int capacity)
    {
        private readonly ConcurrentDictionary<string, UserAgentInfo> _entries = new(StringComparer.Ordinal);
        private int _count;

        /// <summary>How many entries the cache holds (approximately, while other threads add).</summary>
        public int Count => Volatile.Read(ref _count);

        public UserAgentInfo GetOrParse(string userAgent)
        {
            if (_entries.TryGetValue(userAgent, out var cached))
            {
                return cached;
            }

            var info = ParseUncached(userAgent);
            if (_entries.TryAdd(userAgent, info) && Interlocked.Increment(ref _count) > capacity)
            {
                _entries.Clear();
                Volatile.Write(ref _count, 0);
            }

            return info;
        }

        /// <summary>Forgets everything (tests).</summary>
        public void Clear()
        {
            _entries.Clear();
            Volatile.Write(ref _count, 0);
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Sql.Rollups;

/// <summary>
/// Shares the strings and visit-attribute arrays of the hits a rollup pass holds in memory: a whole day's hits are read
/// at once (up to millions), and each read value is a new string. Pages, event names, hosts and the 18 visit attributes
/// repeat across a day's hits (a visitor's hits usually share all their attributes), so one copy of each distinct
/// string and of each distinct attribute tuple is kept: on realistic traffic about 100 bytes per hit instead of ~1 KB.
/// </summary>
internal sealed class RollupInterner
{
    // Above this many distinct strings or tuples the pool stops growing (ids, query strings in paths): such values are
    // kept as read, so the pool itself never holds more than its bound.
    private const int MaxEntries = 1 << 20;

    private readonly Dictionary<string, string> _strings = new(StringComparer.Ordinal);
    private readonly HashSet<string[]> _tuples = new(TupleComparer.Instance);
    private string[] _buffer = [];

    /// <summary>The shared copy of <paramref name="value"/>.</summary>
    public string String(string value)
    {
        if (_strings.TryGetValue(value, out var shared))
        {
            return shared;
        }

        if (_strings.Count < MaxEntries)
        {
            _strings.Add(value, value);
        }

        return value;
    }

    /// <summary>A buffer of <paramref name="length"/> strings to fill with shared strings and pass to <see cref="Tuple"/>.</summary>
    public string[] Buffer(int length)
    {
        if (_buffer.Length != length)
        {
            _buffer = new string[length];
        }

        return _buffer;
    }

    /// <summary>The shared array holding the values of <paramref name="buffer"/> (from <see cref="Buffer"/>, elements shared).</summary>
    public string[] Tuple(string[] buffer)
    {
        if (_tuples.TryGetValue(buffer, out var shared))
        {
            return shared;
        }

        var copy = (string[])buffer.Clone();
        if (_tuples.Count < MaxEntries)
        {
            _tuples.Add(copy);
        }

        return copy;
    }

    // Elements are shared strings (or kept as read past the bound): compared by reference, then by value.
    private sealed class TupleComparer : IEqualityComparer<string[]>
    {
        public static readonly TupleComparer Instance = new();

        public bool Equals(string[]? x, string[]? y)
        {
            if (ReferenceEquals(x, y))
            {
                return true;
            }

            if (x is null || y is null || x.Length != y.Length)
            {
                return false;
            }

            for (var i = 0; i < x.Length; i++)
            {
                if (!ReferenceEquals(x[i], y[i]) && !string.Equals(x[i], y[i], StringComparison.Ordinal))
                {
                    return false;
                }
            }

            return true;
        }

        public int GetHashCode(string[] obj)
        {
            var hash = default(HashCode);
            foreach (var s in obj)
            {
                hash.Add(s, StringComparer.Ordinal);
            }

            return hash.ToHashCode();
        }
    }
}

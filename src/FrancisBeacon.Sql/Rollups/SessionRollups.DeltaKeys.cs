// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Runtime.InteropServices;

namespace FrancisBeacon.Sql.Rollups;

/// <content>
/// The incremental upkeep's delta sums keyed by integers: a new session touches ~175 row keys (every segment filter ×
/// every visit dimension, every hit's values), and hashing two strings per touch was most of the C# share of a pass.
/// A pass numbers each distinct string once (<see cref="DeltaStrings"/>); a key is then one <see cref="long"/>
/// (<see cref="DeltaTable.Key"/>) and its sums a slice of one array. The appliers get the usual
/// <see cref="SegmentKey"/> dictionaries, built once per distinct key after the sums are complete.
/// </content>
internal sealed partial class SessionRollups
{
    /// <summary>The distinct strings of one pass's deltas, numbered from 0 (the empty string) in the order first seen.</summary>
    internal sealed class DeltaStrings
    {
        private readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal) { [string.Empty] = 0 };
        private readonly List<string> _strings = [string.Empty];

        /// <summary>The number of <paramref name="value"/>, given on first sight.</summary>
        public int Id(string value)
        {
            ref var id = ref CollectionsMarshal.GetValueRefOrAddDefault(_ids, value, out var exists);
            if (!exists)
            {
                if (_strings.Count > DeltaTable.MaxId)
                {
                    throw new InvalidOperationException("Too many distinct values in one upkeep step.");
                }

                id = _strings.Count;
                _strings.Add(value);
            }

            return id;
        }

        public string this[int id] => _strings[id];
    }

    /// <summary>
    /// Signed sums of one table's changed rows: <see cref="Width"/> values per key, the keys packed by <see cref="Key"/>
    /// (fdim, fvalue, dim, value; fdim -1 for the day rows, whose fvalue is the empty string).
    /// </summary>
    internal sealed class DeltaTable(int width)
    {
        /// <summary>The highest string number a key holds (27 bits).</summary>
        public const int MaxId = (1 << 27) - 1;

        private readonly Dictionary<long, int> _index = [];
        private long[] _sums = new long[width * 1024];
        private Dictionary<SegmentKey, long[]>? _keys;

        public int Width => width;

        /// <summary>
        /// The key of (fdim, fvalue, dim, value): fdim + 1 in 4 bits (-1..14), dim in 5 bits (0..31), the string numbers
        /// in 27 bits each.
        /// </summary>
        public static long Key(int fdim, int fvalue, int dim, int value) =>
            ((long)(fdim + 1) << 59) | ((long)dim << 54) | ((long)fvalue << 27) | (uint)value;

        /// <summary>The sums of <paramref name="key"/> (zeros when new); <paramref name="added"/>: whether it was.</summary>
        public Span<long> Slot(long key, out bool added)
        {
            if (_keys is not null)
            {
                throw new InvalidOperationException("The delta was already handed to the appliers.");
            }

            ref var index = ref CollectionsMarshal.GetValueRefOrAddDefault(_index, key, out var exists);
            added = !exists;
            if (!exists)
            {
                index = _index.Count - 1;
                if ((index + 1) * width > _sums.Length)
                {
                    Array.Resize(ref _sums, _sums.Length * 2);
                }
            }

            return _sums.AsSpan(index * width, width);
        }

        /// <summary>
        /// The non-zero sums per <see cref="SegmentKey"/>, built once: the table takes no more sums afterwards.
        /// </summary>
        public Dictionary<SegmentKey, long[]> ToKeys(DeltaStrings strings)
        {
            if (_keys is not null)
            {
                return _keys;
            }

            var keys = new Dictionary<SegmentKey, long[]>(_index.Count);
            foreach (var (key, index) in _index)
            {
                var sums = _sums.AsSpan(index * width, width);
                if (!sums.ContainsAnyExcept(0L))
                {
                    continue;
                }

                var fdim = (int)((ulong)key >> 59) - 1;
                var dim = (int)((key >> 54) & 31);
                var fvalue = (int)((key >> 27) & MaxId);
                var value = (int)(key & MaxId);
                keys[new SegmentKey(fdim, strings[fvalue], dim, strings[value])] = sums.ToArray();
            }

            return _keys = keys;
        }
    }
}

using System.Text;

namespace FrancisBeacon.Querying;

/// <summary>
/// Compares strings by their UTF-8 bytes, the order of SQLite's <c>BINARY</c> and PostgreSQL's <c>"C"</c> collation.
/// Stores order dimension values this way so that every store returns the same rows.
/// </summary>
public sealed class Utf8OrdinalComparer : IComparer<string?>
{
    /// <summary>The shared instance.</summary>
    public static Utf8OrdinalComparer Instance { get; } = new();

    /// <inheritdoc />
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        // UTF-16 ordinal order equals UTF-8 byte order except where surrogate pairs meet U+E000..U+FFFF;
        // fall back to bytes only when either string has a surrogate.
        if (!HasSurrogate(x) && !HasSurrogate(y))
        {
            return string.CompareOrdinal(x, y);
        }

        var bx = Encoding.UTF8.GetBytes(x);
        var by = Encoding.UTF8.GetBytes(y);
        return bx.AsSpan().SequenceCompareTo(by);
    }

    private static bool HasSurrogate(string s)
    {
        foreach (var c in s)
        {
            if (char.IsSurrogate(c))
            {
                return true;
            }
        }

        return false;
    }
}

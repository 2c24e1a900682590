using FrancisBeacon.Querying;
using FrancisBeacon.Sql;

namespace FrancisBeacon.Sqlite;

/// <summary>SQLite keeps timestamps as Unix milliseconds in an INTEGER column.</summary>
internal sealed class SqliteDialect : SqlDialect
{
    public static SqliteDialect Instance { get; } = new();

    public override string BinaryCollation => " COLLATE BINARY";

    public override string EpochMilliseconds(string column) => column;

    /// <summary>Ids are blobs in RFC 9562 (big-endian) byte order: <see cref="SqliteBatchWriter.ReadId"/>.</summary>
    public override Guid ReadId(System.Data.Common.DbDataReader reader, int ordinal) => SqliteBatchWriter.ReadId(reader, ordinal);

    public override string NowMilliseconds => SqliteSql.NowMilliseconds;

    public override string Contains(string haystack, string needle) => $"instr({haystack}, {needle}) > 0";

    /// <inheritdoc />
    public override string IndexHint(string index) => $"INDEXED BY {index}";

    /// <summary>The function <see cref="SqliteHitStore"/> registers on every connection (see <see cref="RegexFunction"/>).</summary>
    public override string RegexMatch(string value, string pattern) => $"({RegexFunction}({pattern}, {value}) = 1)";

    /// <summary>SQLite gets the pattern as written; the registered function parses it with <see cref="QueryRegex"/>.</summary>
    public override string RegexPatternValue(QueryRegex regex) => regex.Pattern;

    /// <summary>json_each compares keys exactly, so no JSON path (and no quoting of the key) is needed.</summary>
    public override string JsonProperty(string column, string keyParameter) =>
        $"(SELECT je.value FROM json_each({column}) je WHERE je.key = {keyParameter})";

    /// <summary>SQLite's built-in <c>lower()</c> folds ASCII letters only (no ICU in the bundled library).</summary>
    public override string FoldAsciiCase(string expression) => $"lower({expression})";

    /// <summary>
    /// <c>TOTAL</c>, a floating-point sum: SQLite's <c>SUM</c> over integers fails with "integer overflow" past 2^63,
    /// which ten hits of the largest amount accepted reach. Exact while the total stays under 2^53 millionths (about
    /// nine billion in the currency); beyond, within a double's precision.
    /// </summary>
    public override string RevenueSum(string micros) => $"TOTAL({micros})";

    /// <summary>The integer division in floating point, truncated toward zero as an integer division would be.</summary>
    public override string RevenueAverage(string sum, string count) => $"CAST((2 * {sum} + {count}) / (2 * {count}) AS INTEGER)";

    /// <summary>The name of the regular-expression function registered on each connection.</summary>
    public const string RegexFunction = "fb_regexp";

    public override string MonthNumber(string dayNumber) =>
        $"(CAST(strftime('%Y', ({dayNumber}) * 86400, 'unixepoch') AS INTEGER) * 12 + CAST(strftime('%m', ({dayNumber}) * 86400, 'unixepoch') AS INTEGER) - 1)";

    public override object TimestampValue(DateTimeOffset value) => ToMilliseconds(value);

    /// <summary>Unix milliseconds, rounded up so that ms-precision rows compare as the exact instant would.</summary>
    public static long ToMilliseconds(DateTimeOffset value)
    {
        var ms = value.ToUnixTimeMilliseconds();
        return value.UtcTicks % TimeSpan.TicksPerMillisecond > 0 ? ms + 1 : ms;
    }
}

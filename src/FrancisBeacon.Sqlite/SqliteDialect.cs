using FrancisBeacon.Sql;

namespace FrancisBeacon.Sqlite;

/// <summary>SQLite keeps timestamps as Unix milliseconds in an INTEGER column.</summary>
internal sealed class SqliteDialect : SqlDialect
{
    public static SqliteDialect Instance { get; } = new();

    public override string BinaryCollation => " COLLATE BINARY";

    public override string EpochMilliseconds(string column) => column;

    public override string Contains(string haystack, string needle) => $"instr({haystack}, {needle}) > 0";

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

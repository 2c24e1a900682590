namespace FrancisBeacon.Sql;

/// <summary>What differs between the SQL databases FrancisBeacon supports, as far as queries go.</summary>
public abstract class SqlDialect
{
    /// <summary>An expression giving the Unix time in milliseconds of the timestamp column <paramref name="column"/>.</summary>
    public abstract string EpochMilliseconds(string column);

    /// <summary>The value to bind for a timestamp compared with the timestamp column.</summary>
    public abstract object TimestampValue(DateTimeOffset value);

    /// <summary>A suffix that makes a text expression order by UTF-8 bytes (<c>COLLATE BINARY</c>, <c>COLLATE "C"</c>); it is put on the selected expression, never on an ORDER BY alias.</summary>
    public abstract string BinaryCollation { get; }

    /// <summary>
    /// An integer expression <c>year * 12 + month - 1</c> of the calendar date <paramref name="dayNumber"/> days after
    /// 1970-01-01 (for <c>time:month</c>).
    /// </summary>
    public abstract string MonthNumber(string dayNumber);

    /// <summary>A condition that is true when <paramref name="haystack"/> contains <paramref name="needle"/> (ordinal, case-sensitive).</summary>
    public abstract string Contains(string haystack, string needle);
}

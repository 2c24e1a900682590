using System.Data.Common;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Sql;

/// <summary>What differs between the SQL databases FrancisBeacon supports, as far as queries go.</summary>
public abstract class SqlDialect
{
    /// <summary>An expression giving the Unix time in milliseconds of the timestamp column <paramref name="column"/>.</summary>
    public abstract string EpochMilliseconds(string column);

    /// <summary>
    /// An expression giving the database server's current Unix time in milliseconds (the clock the rollups' dirty marks
    /// are written with, so that their age is judged on one clock).
    /// </summary>
    public abstract string NowMilliseconds { get; }

    /// <summary>The value to bind for a timestamp compared with the timestamp column.</summary>
    public abstract object TimestampValue(DateTimeOffset value);

    /// <summary>
    /// Reads a hit id from the <c>id</c> column at <paramref name="ordinal"/>. Default: the provider's
    /// <see cref="DbDataReader.GetGuid"/>. The column must order as <see cref="Guid.CompareTo(Guid)"/> does (RFC 9562 byte
    /// order): it is the last tie-break of a visitor's hits within a session (docs/query-api.md, "Sessions").
    /// </summary>
    public virtual Guid ReadId(DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.GetGuid(ordinal);
    }

    /// <summary>A suffix that makes a text expression order by UTF-8 bytes (<c>COLLATE BINARY</c>, <c>COLLATE "C"</c>); it is put on the selected expression, never on an ORDER BY alias.</summary>
    public abstract string BinaryCollation { get; }

    /// <summary>
    /// An integer expression <c>year * 12 + month - 1</c> of the calendar date <paramref name="dayNumber"/> days after
    /// 1970-01-01 (for <c>time:month</c>).
    /// </summary>
    public abstract string MonthNumber(string dayNumber);

    /// <summary>A condition that is true when <paramref name="haystack"/> contains <paramref name="needle"/> (ordinal, case-sensitive).</summary>
    public abstract string Contains(string haystack, string needle);

    /// <summary>
    /// A condition that is true when <paramref name="value"/> matches the regular expression bound as
    /// <paramref name="pattern"/> (the value of <see cref="RegexPatternValue"/>), with <see cref="QueryRegex"/>'s semantics.
    /// </summary>
    public virtual string RegexMatch(string value, string pattern) =>
        throw new NotSupportedException($"{GetType().Name} does not support regular expressions.");

    /// <summary>The text to bind for a regular expression in <see cref="RegexMatch"/>. Default: the POSIX form.</summary>
    public virtual string RegexPatternValue(QueryRegex regex)
    {
        ArgumentNullException.ThrowIfNull(regex);
        return regex.PosixPattern;
    }

    /// <summary>
    /// The text value of the JSON object column <paramref name="column"/>'s member named by the bound parameter
    /// <paramref name="keyParameter"/>, or NULL when absent.
    /// </summary>
    public virtual string JsonProperty(string column, string keyParameter) => $"({column} ->> {keyParameter})";

    /// <summary>An integer expression of a hit's revenue in millionths (NULL without revenue). Default: <c>revenue_micros</c>.</summary>
    public virtual string RevenueMicros => "revenue_micros";

    /// <summary>
    /// The condition "(<paramref name="first"/>, <paramref name="second"/>) is not a row of <paramref name="subquery"/>"
    /// (an uncorrelated query of two columns r_vid, r_start, never NULL). Default: <c>IN … IS NOT TRUE</c>, which SQLite
    /// answers from one index built over the subquery; a plain <c>NOT IN</c> over a row value made it scan the whole
    /// subquery at every miss (to tell FALSE from NULL), and <c>NOT EXISTS</c> ran the subquery again for every row.
    /// </summary>
    public virtual string NotAmongRows(string first, string second, string subquery) => $"((({first}, {second}) IN ({subquery})) IS NOT TRUE)";

    /// <summary>
    /// The sum of revenue millionths (0 over no rows), in a type that cannot overflow: anyone can send ten hits of the
    /// largest amount accepted (10^18 millionths each), past a 64-bit integer. Default: <c>SUM</c>, which is
    /// <c>numeric</c> over <c>bigint</c> on PostgreSQL.
    /// </summary>
    public virtual string RevenueSum(string micros) => $"COALESCE(SUM({micros}), 0)";

    /// <summary>
    /// round-half-up(<paramref name="sum"/> / <paramref name="count"/>) as the integer division
    /// <c>(2 * sum + count) / (2 * count)</c> (truncating toward zero) over a <see cref="RevenueSum"/> and a positive count.
    /// Default: PostgreSQL's <c>div</c>.
    /// </summary>
    public virtual string RevenueAverage(string sum, string count) => $"div(2 * {sum} + {count}, 2 * {count})";

    /// <summary>
    /// What follows a table name in <c>FROM</c> to make the database read it through the index named
    /// <paramref name="index"/> (SQLite: <c>INDEXED BY</c>), for statements whose good plan the planner does not find on
    /// its own. Default: nothing (the planner chooses).
    /// </summary>
    public virtual string IndexHint(string index) => string.Empty;

    /// <summary>
    /// A statement run on the connection before the session-rollup statements of a query that only has visit conditions,
    /// and before every raw-path statement that cuts sessions (planner settings for their joins), undone by
    /// <see cref="SessionQueryReset"/> afterwards; default: none.
    /// </summary>
    public virtual string? SessionQuerySetup => null;

    /// <summary>The statement that undoes <see cref="SessionQuerySetup"/>; default: none.</summary>
    public virtual string? SessionQueryReset => null;

    /// <summary>
    /// A statement run on the connection before the session-rollup statements of a query with a page, name or host
    /// condition (driven by the session-hit rows), undone by <see cref="HitDrivenQueryReset"/> afterwards; default: none.
    /// </summary>
    public virtual string? HitDrivenQuerySetup => null;

    /// <summary>The statement that undoes <see cref="HitDrivenQuerySetup"/>; default: none.</summary>
    public virtual string? HitDrivenQueryReset => null;

    /// <summary>
    /// A statement run on the connection before a top-k list statement over the rollup tables (planner settings for
    /// one aggregate over tens of thousands of rows), undone by <see cref="ListQueryReset"/> afterwards; default: none.
    /// </summary>
    public virtual string? ListQuerySetup => null;

    /// <summary>The statement that undoes <see cref="ListQuerySetup"/>; default: none.</summary>
    public virtual string? ListQueryReset => null;

    /// <summary>An expression folding the ASCII letters A–Z of <paramref name="expression"/> to lower case, and nothing else.</summary>
    public virtual string FoldAsciiCase(string expression) =>
        $"translate({expression}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')";
}

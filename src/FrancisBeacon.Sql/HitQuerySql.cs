using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using FrancisBeacon.Querying;

namespace FrancisBeacon.Sql;

/// <summary>
/// Translates a <see cref="HitQuery"/> into one parameterised SQL statement over a hits table, and reads its rows
/// back into an <see cref="AggregateResult"/>. Both SQL stores use it, so they cannot drift apart.
/// </summary>
/// <remarks>
/// Local days are computed with arithmetic: the query range is split into stretches of constant UTC offset
/// (<see cref="TimeZoneSegments"/>), and a row's day number is <c>(epoch_ms + offset_ms) / 86400000</c> with the
/// offset chosen by a <c>CASE</c> over the stretch boundaries. No database time-zone support is needed, and the
/// answer equals .NET's own conversion, which the in-memory reference store uses.
/// </remarks>
public sealed class HitQuerySql
{
    private readonly SqlDialect _dialect;
    private readonly string _hitsTable;

    /// <summary>Creates a translator for a (validated, possibly schema-qualified) hits table name.</summary>
    public HitQuerySql(SqlDialect dialect, string hitsTable)
    {
        ArgumentNullException.ThrowIfNull(dialect);
        ArgumentException.ThrowIfNullOrEmpty(hitsTable);
        _dialect = dialect;
        _hitsTable = hitsTable;
    }

    /// <summary>Builds the statement and its parameters.</summary>
    public (string Sql, DynamicParameters Parameters) Build(HitQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        var parameters = new DynamicParameters();
        parameters.Add("site_id", query.SiteId);
        parameters.Add("from_ts", _dialect.TimestampValue(query.From));
        parameters.Add("to_ts", _dialect.TimestampValue(query.To));
        parameters.Add("pageview", Hit.PageviewEvent);

        var select = new List<string>();
        var groupBy = new List<string>();
        for (var i = 0; i < query.Dimensions.Count; i++)
        {
            var dimension = query.Dimensions[i];
            // Text dimensions carry the binary collation on the select expression itself: PostgreSQL accepts an
            // output column alias in ORDER BY only standing alone (ORDER BY d0), never inside an expression
            // (ORDER BY d0 COLLATE "C" fails with "column d0 does not exist").
            var expression = dimension == HitDimension.Page
                ? "path" + _dialect.BinaryCollation
                : dimension == HitDimension.Day
                    ? DayNumber(query, parameters)
                    : throw new HitQueryException("dimensions", $"Unsupported dimension {dimension.Name}.");
            select.Add($"{expression} AS d{i}");
            groupBy.Add($"d{i}");
        }

        for (var i = 0; i < query.Metrics.Count; i++)
        {
            var expression = query.Metrics[i] switch
            {
                HitMetric.Pageviews => "COUNT(CASE WHEN event_name = @pageview THEN 1 END)",
                HitMetric.Visitors => "COUNT(DISTINCT visitor_id)",
                _ => throw new HitQueryException("metrics", $"Unsupported metric {query.Metrics[i]}."),
            };
            select.Add($"{expression} AS m{i}");
        }

        var sql = new StringBuilder();
        sql.Append("SELECT ").AppendJoin(", ", select)
           .Append(" FROM ").Append(_hitsTable)
           .Append(" WHERE site_id = @site_id AND ts >= @from_ts AND ts < @to_ts");
        if (groupBy.Count > 0)
        {
            sql.Append(" GROUP BY ").AppendJoin(", ", groupBy);
            sql.Append(" ORDER BY ").AppendJoin(", ", OrderBy(query));
            parameters.Add("limit_rows", query.Limit is { } limit ? (long)limit : long.MaxValue);
            parameters.Add("offset_rows", (long)query.Offset);
            sql.Append(" LIMIT @limit_rows OFFSET @offset_rows");
        }

        return (sql.ToString(), parameters);
    }

    /// <summary>Runs the query on an open connection and reads the answer.</summary>
    public async ValueTask<AggregateResult> ExecuteAsync(DbConnection connection, HitQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var (sql, parameters) = Build(query);
        var rows = new List<AggregateRow>();
        await using var reader = await connection.ExecuteReaderAsync(
            new CommandDefinition(sql, parameters, cancellationToken: cancellationToken));
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(ReadRow(reader, query));
        }

        if (query.Dimensions.Count == 0)
        {
            // The ungrouped aggregate always has one row; Limit/Offset apply to it like to any other row list.
            IEnumerable<AggregateRow> paged = rows.Skip(query.Offset);
            if (query.Limit is { } limit)
            {
                paged = paged.Take(limit);
            }

            rows = paged.ToList();
        }

        return new AggregateResult(rows);
    }

    private static AggregateRow ReadRow(DbDataReader reader, HitQuery query)
    {
        var dimensions = new string[query.Dimensions.Count];
        for (var i = 0; i < dimensions.Length; i++)
        {
            dimensions[i] = query.Dimensions[i] == HitDimension.Day
                ? TimeZoneSegments.DayNumberToDate(Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture))
                    .ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
                : reader.GetString(i);
        }

        var metrics = new double[query.Metrics.Count];
        for (var i = 0; i < metrics.Length; i++)
        {
            var value = reader.GetValue(dimensions.Length + i);
            metrics[i] = value is DBNull ? 0 : Convert.ToDouble(value, CultureInfo.InvariantCulture);
        }

        return new AggregateRow(dimensions, metrics);
    }

    private static IEnumerable<string> OrderBy(HitQuery query)
    {
        // Bare aliases only; text dimensions are collated where they are selected (see Build).
        var dims = Enumerable.Range(0, query.Dimensions.Count).Select(i => $"d{i}");
        return query.Dimensions[0].IsTime ? dims : dims.Prepend("m0 DESC");
    }

    private string DayNumber(HitQuery query, DynamicParameters parameters)
    {
        var segments = TimeZoneSegments.Compute(query.TimeZone, query.From, query.To);
        var epoch = _dialect.EpochMilliseconds("ts");
        string offset;
        if (segments.Count == 1)
        {
            parameters.Add("tz_off0", (long)segments[0].Offset.TotalMilliseconds);
            offset = "@tz_off0";
        }
        else
        {
            var text = new StringBuilder("CASE");
            for (var i = 0; i < segments.Count; i++)
            {
                parameters.Add($"tz_off{i}", (long)segments[i].Offset.TotalMilliseconds);
                if (i < segments.Count - 1)
                {
                    parameters.Add($"tz_end{i}", _dialect.TimestampValue(segments[i].EndUtc));
                    text.Append(CultureInfo.InvariantCulture, $" WHEN ts < @tz_end{i} THEN @tz_off{i}");
                }
                else
                {
                    text.Append(CultureInfo.InvariantCulture, $" ELSE @tz_off{i} END");
                }
            }

            offset = text.ToString();
        }

        return $"(({epoch} + {offset}) / {TimeZoneSegments.MillisecondsPerDay})";
    }
}

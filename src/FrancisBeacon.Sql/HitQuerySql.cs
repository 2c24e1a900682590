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
/// (<see cref="TimeZoneSegments"/>), and a row's day number is <c>(epoch_ms + offset_ms) / 86400000</c>, floored, with the
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

    /// <summary>
    /// The command timeout for queries with regular-expression filters, a backstop on top of the pattern subset's
    /// linear-time guarantee. Default: 30 seconds.
    /// </summary>
    public TimeSpan RegexCommandTimeout { get; init; } = TimeSpan.FromSeconds(30);

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

        var sql = new StringBuilder();
        var select = new List<string>();
        var visitMode = query.Dimensions.Any(d => d.IsVisit);
        var hasSessionMetrics = query.Metrics.Any(m => m.IsSessionMetric());
        var unionMode = !visitMode && hasSessionMetrics;
        // Event metrics only, but a visit condition in the filter: count the kept hits straight from the kept CTE.
        var keptMode = !visitMode && !hasSessionMetrics && query.NeedsSessions;
        var filtered = query.Filter is not null && query.NeedsSessions;
        // The SQL giving a dimension's value from a hits row: an allow-listed column expression, or for
        // event:props:<key> the dialect's JSON lookup with the key bound as a parameter.
        var propertyKeys = new List<string>();
        string HitColumn(HitDimension d)
        {
            if (d.PropertyKey is not { } key)
            {
                return d.Column ?? throw new HitQueryException("dimensions", $"Unsupported dimension {d.Name}.");
            }

            var index = propertyKeys.IndexOf(key);
            if (index < 0)
            {
                index = propertyKeys.Count;
                propertyKeys.Add(key);
                parameters.Add(string.Create(CultureInfo.InvariantCulture, $"pk{index}"), key);
            }

            return _dialect.JsonProperty("props", string.Create(CultureInfo.InvariantCulture, $"@pk{index}"));
        }

        var layout = new SessionLayout(query, HitColumn);
        if (layout.Revenue)
        {
            parameters.Add("rev_currency", query.RevenueCurrency);
        }

        if (UsesSessions(query)) // = visitMode || unionMode || keptMode
        {
            parameters.Add("timeout_ms", (long)query.SessionTimeout.TotalMilliseconds);
            sql.Append(SessionsCte(layout));
            if (filtered)
            {
                // Each hit with its (merged) session's key; kept hits pass the filter judged on hit and session;
                // fsessions are the sessions with at least one kept hit, with the kept page views and events.
                parameters.Add("not_set", HitDimension.NotSet);
                var counter = 0;
                var behaviors = new List<string>();
                var condition = FilterSql(query.Filter!, parameters, ref counter, d => layout.FilterValue(d), behaviors);
                sql.Append(", hit_root AS (SELECT f.*, COALESCE(p.t_vid, s0.visitor_id) AS r_vid, COALESCE(p.t_start, s0.start_ms) AS r_start")
                   .Append(" FROM framed f JOIN sessions0 s0 ON s0.visitor_id = f.visitor_id AND s0.sn = f.sn")
                   .Append(" LEFT JOIN pairs p ON p.s_vid = s0.visitor_id AND p.s_start = s0.start_ms)");
                foreach (var behavior in behaviors)
                {
                    sql.Append(", ").Append(behavior);
                }

                sql.Append(", kept AS (SELECT h.* FROM hit_root h")
                   .Append(" JOIN sessions s ON s.visitor_id = h.r_vid AND s.start_ms = h.r_start WHERE ").Append(condition).Append(')')
                   .Append(", ksess AS (SELECT r_vid, r_start, COUNT(CASE WHEN event_name = @pageview THEN 1 END) AS kpv, COUNT(*) AS kn")
                   .Append(layout.Revenue ? $", {_dialect.RevenueSum(RevenueMicrosIn("rev_micros"))} AS krev_sum, COUNT({RevenueMicrosIn("rev_micros")}) AS krev_n" : string.Empty)
                   .Append(" FROM kept GROUP BY r_vid, r_start)")
                   .Append(", fsessions AS (SELECT s.*, k.kpv, k.kn").Append(layout.Revenue ? ", k.krev_sum, k.krev_n" : string.Empty)
                   .Append(" FROM sessions s JOIN ksess k ON k.r_vid = s.visitor_id AND k.r_start = s.start_ms)");
            }

            if (unionMode)
            {
                sql.Append(", rows_u AS (SELECT 0 AS kind, ts AS t, ms AS ms_t, visitor_id, event_name, 0 AS pv, 0 AS n, 0 AS dur")
                   .Append(layout.Revenue ? ", revenue_currency, rev_micros" : string.Empty).Append(" FROM ")
                   .Append(filtered ? "kept" : "base")
                   .Append(" UNION ALL SELECT 1, start_ts, start_ms, visitor_id, NULL, pv, n, end_ms - start_ms")
                   .Append(layout.Revenue ? ", NULL, NULL" : string.Empty).Append(" FROM ")
                   .Append(filtered ? "fsessions" : "sessions")
                   .Append(')');
            }

            sql.Append(' ');
        }

        var (tsColumn, msColumn) = visitMode ? ("start_ts", "start_ms") : unionMode ? ("t", "ms_t") : keptMode ? ("ts", "ms") : ("ts", (string?)null);
        for (var i = 0; i < query.Dimensions.Count; i++)
        {
            var dimension = query.Dimensions[i];
            // Text dimensions carry the binary collation on the select expression itself: PostgreSQL accepts an
            // output column alias in ORDER BY only standing alone (ORDER BY d0), never inside an expression
            // (ORDER BY d0 COLLATE "C" fails with "column d0 does not exist").
            string expression;
            if (dimension.IsTime)
            {
                expression = TimeBucket(dimension, query, parameters, tsColumn, msColumn ?? _dialect.EpochMilliseconds("ts"));
            }
            else if (dimension == HitDimension.EntryPage || dimension == HitDimension.ExitPage)
            {
                expression = (dimension == HitDimension.EntryPage ? "entry_path" : "exit_path") + _dialect.BinaryCollation;
            }
            else
            {
                parameters.Add("not_set", HitDimension.NotSet);
                var column = dimension.IsVisit ? layout.VisitColumn(dimension) : keptMode ? layout.EventColumn(dimension) : HitColumn(dimension);
                expression = $"COALESCE({column}, @not_set){_dialect.BinaryCollation}";
            }

            select.Add($"{expression} AS d{i}");
        }

        for (var i = 0; i < query.Metrics.Count; i++)
        {
            var metric = query.Metrics[i];
            var expression = metric is HitMetric.TotalRevenue or HitMetric.AverageRevenue
                ? visitMode ? SessionRevenueMetric(metric, filtered)
                    : RevenueMetric(metric, unionMode || keptMode ? RevenueMicrosIn("rev_micros") : RevenueMicrosIn(_dialect.RevenueMicros))
                : visitMode ? SessionMetric(metric, filtered) : unionMode ? UnionMetric(metric) : HitMetricExpression(metric);
            select.Add($"{expression} AS m{i}");
        }

        sql.Append("SELECT ").AppendJoin(", ", select);
        if (visitMode)
        {
            sql.Append(filtered ? " FROM fsessions" : " FROM sessions");
        }
        else if (unionMode)
        {
            sql.Append(" FROM rows_u");
        }
        else if (keptMode)
        {
            sql.Append(" FROM kept");
        }
        else
        {
            sql.Append(" FROM ").Append(_hitsTable).Append(" WHERE site_id = @site_id AND ts >= @from_ts AND ts < @to_ts");
            if (query.Filter is not null)
            {
                parameters.Add("not_set", HitDimension.NotSet);
                var counter = 0;
                sql.Append(" AND ").Append(FilterSql(query.Filter, parameters, ref counter, HitColumn));
            }
        }

        if (query.Dimensions.Count > 0)
        {
            sql.Append(" GROUP BY ").AppendJoin(", ", Enumerable.Range(0, query.Dimensions.Count).Select(i => $"d{i}"));
            sql.Append(" ORDER BY ").AppendJoin(", ", OrderBy(query));
            parameters.Add("limit_rows", query.Limit is { } limit ? (long)limit : long.MaxValue);
            parameters.Add("offset_rows", (long)query.Offset);
            sql.Append(" LIMIT @limit_rows OFFSET @offset_rows");
        }

        return (sql.ToString(), parameters);
    }

    // Every value is a parameter; the column comes from the dimension's fixed allow-listed expression. Behavioural
    // filters (has_done) need the session-filter path: each adds a CTE hd{i} of the (merged) sessions with a hit passing
    // its inner filter to `behaviors`, and tests the hit's session (h.r_vid, h.r_start) against it.
    private string FilterSql(HitFilter filter, DynamicParameters parameters, ref int counter, Func<HitDimension, string> column, List<string>? behaviors = null)
    {
        switch (filter)
        {
            case HitFilterCondition condition:
                var value = $"COALESCE({column(condition.Dimension)}, @not_set)";
                var regex = condition.Operator is HitFilterOperator.Matches or HitFilterOperator.MatchesNot;
                var fold = condition.IgnoreCase && !regex;
                if (fold)
                {
                    value = _dialect.FoldAsciiCase(value);
                }

                var names = new List<string>();
                foreach (var v in condition.Values)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"f{counter++}");
                    parameters.Add(name, regex ? _dialect.RegexPatternValue(QueryRegex.Parse(v)) : fold ? HitFilterCondition.FoldAsciiCase(v) : v);
                    names.Add("@" + name);
                }

                return condition.Operator switch
                {
                    HitFilterOperator.Matches => "(" + string.Join(" OR ", names.Select(n => _dialect.RegexMatch(value, n))) + ")",
                    HitFilterOperator.MatchesNot => "(NOT (" + string.Join(" OR ", names.Select(n => _dialect.RegexMatch(value, n))) + "))",
                    HitFilterOperator.Is => $"({value} IN ({string.Join(", ", names)}))",
                    HitFilterOperator.IsNot => $"({value} NOT IN ({string.Join(", ", names)}))",
                    HitFilterOperator.Contains => "(" + string.Join(" OR ", names.Select(n => _dialect.Contains(value, n))) + ")",
                    HitFilterOperator.ContainsNot => "(NOT (" + string.Join(" OR ", names.Select(n => _dialect.Contains(value, n))) + "))",
                    _ => throw new HitQueryException("filters", $"Unknown operator {condition.Operator}."),
                };
            case HitFilterAnd and:
                var andParts = new List<string>();
                foreach (var child in and.Filters)
                {
                    andParts.Add(FilterSql(child, parameters, ref counter, column, behaviors));
                }

                return "(" + string.Join(" AND ", andParts) + ")";
            case HitFilterOr or:
                var orParts = new List<string>();
                foreach (var child in or.Filters)
                {
                    orParts.Add(FilterSql(child, parameters, ref counter, column, behaviors));
                }

                return "(" + string.Join(" OR ", orParts) + ")";
            case HitFilterNot not:
                return "(NOT " + FilterSql(not.Filter, parameters, ref counter, column, behaviors) + ")";
            case HitFilterHasDone done:
                if (behaviors is null)
                {
                    throw new HitQueryException("filters", "has_done and has_not_done need sessions.");
                }

                var inner = FilterSql(done.Filter, parameters, ref counter, column, behaviors: null);
                var cte = string.Create(CultureInfo.InvariantCulture, $"hd{behaviors.Count}");
                behaviors.Add($"{cte} AS (SELECT DISTINCT h.r_vid, h.r_start FROM hit_root h JOIN sessions s ON s.visitor_id = h.r_vid AND s.start_ms = h.r_start WHERE {inner})");
                return $"({(done.Negated ? "NOT " : string.Empty)}EXISTS (SELECT 1 FROM {cte} d WHERE d.r_vid = h.r_vid AND d.r_start = h.r_start))";
            default:
                throw new HitQueryException("filters", "Unknown filter.");
        }
    }

    // The revenue of a hit row in the query's currency, in integer millionths; NULL for other currencies and no revenue.
    private static string RevenueMicrosIn(string micros) => $"CASE WHEN revenue_currency = @rev_currency THEN {micros} END";

    // Over hit rows (the hits table, or the kept / rows_u CTEs, which carry rev_micros). Millionths, summed in a type
    // that cannot overflow (SqlDialect.RevenueSum).
    private string RevenueMetric(HitMetric metric, string micros)
    {
        var sum = _dialect.RevenueSum(micros);
        var count = $"COUNT({micros})";
        return metric == HitMetric.TotalRevenue ? sum : $"CASE WHEN {count} = 0 THEN 0 ELSE {_dialect.RevenueAverage(sum, count)} END";
    }

    // Over the sessions CTE (rev_sum / rev_n: the revenue of all its hits) or fsessions (krev_*: of its kept hits).
    private string SessionRevenueMetric(HitMetric metric, bool filtered)
    {
        var sum = _dialect.RevenueSum(filtered ? "krev_sum" : "rev_sum");
        var count = Sum(filtered ? "krev_n" : "rev_n");
        return metric == HitMetric.TotalRevenue ? sum : $"CASE WHEN {count} = 0 THEN 0 ELSE {_dialect.RevenueAverage(sum, count)} END";
    }

    private static string HitMetricExpression(HitMetric metric) => metric switch
    {
        HitMetric.Pageviews => "COUNT(CASE WHEN event_name = @pageview THEN 1 END)",
        HitMetric.Visitors => "COUNT(DISTINCT visitor_id)",
        HitMetric.Events => "COUNT(*)",
        _ => throw new HitQueryException("metrics", $"Unsupported metric {metric}."),
    };

    // Over the sessions CTE. Integer arithmetic (rounding half up) so every database gives the same number.
    // Over the sessions CTE (or fsessions, whose kpv/kn count the kept hits only).
    private static string SessionMetric(HitMetric metric, bool filtered) => metric switch
    {
        HitMetric.Visitors => "COUNT(DISTINCT visitor_id)",
        HitMetric.Pageviews => Sum(filtered ? "kpv" : "pv"),
        HitMetric.Events => Sum(filtered ? "kn" : "n"),
        HitMetric.Visits => "COUNT(*)",
        HitMetric.BounceRate => Ratio(Sum("CASE WHEN n = 1 AND pv = 1 THEN 1 ELSE 0 END"), "COUNT(*)", 100),
        HitMetric.VisitDuration => DurationSeconds(Sum("end_ms - start_ms"), "COUNT(*)"),
        HitMetric.ViewsPerVisit => Ratio(Sum("pv"), "COUNT(*)", 100),
        _ => throw new HitQueryException("metrics", $"Unsupported metric {metric}."),
    };

    // Over rows_u: kind 0 rows are hits (event metrics), kind 1 rows are sessions by their start (session metrics).
    private static string UnionMetric(HitMetric metric)
    {
        const string visits = "COUNT(CASE WHEN kind = 1 THEN 1 END)";
        return metric switch
        {
            HitMetric.Visitors => "COUNT(DISTINCT CASE WHEN kind = 0 THEN visitor_id END)",
            HitMetric.Pageviews => "COUNT(CASE WHEN kind = 0 AND event_name = @pageview THEN 1 END)",
            HitMetric.Events => "COUNT(CASE WHEN kind = 0 THEN 1 END)",
            HitMetric.Visits => visits,
            HitMetric.BounceRate => Ratio(Sum("CASE WHEN kind = 1 AND n = 1 AND pv = 1 THEN 1 ELSE 0 END"), visits, 100),
            HitMetric.VisitDuration => DurationSeconds(Sum("CASE WHEN kind = 1 THEN dur ELSE 0 END"), visits),
            HitMetric.ViewsPerVisit => Ratio(Sum("CASE WHEN kind = 1 THEN pv ELSE 0 END"), visits, 100),
            _ => throw new HitQueryException("metrics", $"Unsupported metric {metric}."),
        };
    }

    private static string Sum(string expression) => $"CAST(COALESCE(SUM({expression}), 0) AS BIGINT)";

    // round_half_up(scale * part / whole) in integers; 0 when whole is 0.
    private static string Ratio(string part, string whole, int scale) =>
        string.Create(CultureInfo.InvariantCulture, $"CASE WHEN {whole} = 0 THEN 0 ELSE ({2 * scale} * {part} + {whole}) / (2 * {whole}) END");

    private static string DurationSeconds(string totalMs, string count) =>
        $"CASE WHEN {count} = 0 THEN 0 ELSE ({totalMs} + 500 * {count}) / (1000 * {count}) END";

    private string SessionsCte(SessionLayout layout)
    {
        var c = _dialect.BinaryCollation;
        // Visit attributes (source, browser, …) of each session: the value on its first hit, carried as va{j};
        // event values that filters test on each hit, carried as ea{k}.
        var attributes = Enumerable.Range(0, layout.Visit.Count).ToList();
        var baseAttributes = string.Concat(attributes.Select(j => $", {layout.HitColumn(layout.Visit[j])} AS va{j}")) +
                             string.Concat(Enumerable.Range(0, layout.Event.Count).Select(k => $", {layout.HitColumn(layout.Event[k])} AS ea{k}"));
        var framedAttributes = string.Concat(attributes.Select(i => $", FIRST_VALUE(va{i}) OVER (PARTITION BY visitor_id, sn ORDER BY ms, path{c}, event_name{c}, id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS fva{i}"));
        var sessionAttributes = string.Concat(attributes.Select(i => $", MIN(fva{i}) AS va{i}"));
        var mergedAttributes = string.Concat(attributes.Select(i => $", t.va{i}"));
        // Revenue metrics: each hit's revenue in millionths (rev_micros) and currency; per session the sum and count in
        // the query's currency (rev_sum, rev_n), added up when sessions join across midnight.
        var baseRevenue = layout.Revenue ? $", {_dialect.RevenueMicros} AS rev_micros, revenue_currency" : string.Empty;
        var sessionRevenue = layout.Revenue ? $", {_dialect.RevenueSum(RevenueMicrosIn("rev_micros"))} AS rev_sum, COUNT({RevenueMicrosIn("rev_micros")}) AS rev_n" : string.Empty;
        var mergedRevenue = layout.Revenue ? ", t.rev_sum + COALESCE(s.rev_sum, 0) AS rev_sum, t.rev_n + COALESCE(s.rev_n, 0) AS rev_n" : string.Empty;
        // Where a session starts and which session a hit is in do not depend on how tied hits are ordered (a tie has no
        // gap, and the running count of starts is over RANGE, so tied rows, peers, get the same session number whichever
        // of them the gap step marked); the first hit's values do, so the session frames break ties on (time, path,
        // event name) by the id (Guid.CompareTo order on both stores), as everywhere else.
        var order = $"ORDER BY ms, path{c}, event_name{c}";
        var session = $"PARTITION BY visitor_id, sn {order}, id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING";
        // sessions0: split by visitor and gap; sessions: the same after joining sessions that continue across the
        // site's midnight (see InMemoryHitStore.MergeAcrossMidnight, which this mirrors exactly).
        return $"WITH base AS (SELECT id, visitor_id, ts, {_dialect.EpochMilliseconds("ts")} AS ms, path, event_name, prev_visitor_id{baseAttributes}{baseRevenue} FROM {_hitsTable}" +
               " WHERE site_id = @site_id AND ts >= @from_ts AND ts < @to_ts)," +
               $" marked AS (SELECT b.*, CASE WHEN LAG(ms) OVER (PARTITION BY visitor_id {order}) IS NULL" +
               $" OR ms - LAG(ms) OVER (PARTITION BY visitor_id {order}) >= @timeout_ms THEN 1 ELSE 0 END AS is_start FROM base b)," +
               $" numbered AS (SELECT m.*, SUM(is_start) OVER (PARTITION BY visitor_id {order} RANGE UNBOUNDED PRECEDING) AS sn FROM marked m)," +
               $" framed AS (SELECT f.*, FIRST_VALUE(path) OVER ({session}) AS entry_path," +
               $" LAST_VALUE(path) OVER ({session}) AS exit_path, FIRST_VALUE(prev_visitor_id) OVER ({session}) AS link{framedAttributes} FROM numbered f)," +
               " sessions0 AS (SELECT visitor_id, sn, MIN(ts) AS start_ts, MIN(ms) AS start_ms, MAX(ms) AS end_ms," +
               $" COUNT(CASE WHEN event_name = @pageview THEN 1 END) AS pv, COUNT(*) AS n, MIN(entry_path) AS entry_path, MIN(exit_path) AS exit_path, MIN(link) AS link{sessionAttributes}{sessionRevenue}" +
               " FROM framed GROUP BY visitor_id, sn)," +
               " raw_pairs AS (SELECT s.visitor_id AS s_vid, s.start_ms AS s_start, t.visitor_id AS t_vid, t.start_ms AS t_start" +
               " FROM sessions0 s JOIN sessions0 t ON t.visitor_id = s.link AND t.end_ms <= s.start_ms AND s.start_ms - t.end_ms < @timeout_ms" +
               " AND NOT (t.visitor_id = s.visitor_id AND t.start_ms = s.start_ms))," +
               " pairs AS (SELECT s_vid, s_start, t_vid, t_start FROM (SELECT r.s_vid, r.s_start, r.t_vid, r.t_start," +
               " ROW_NUMBER() OVER (PARTITION BY r.t_vid, r.t_start ORDER BY r.s_start, r.s_vid) AS pick FROM raw_pairs r" +
               " WHERE NOT EXISTS (SELECT 1 FROM raw_pairs q WHERE q.s_vid = r.t_vid AND q.s_start = r.t_start)) ranked WHERE pick = 1)," +
               " sessions AS (SELECT t.visitor_id, t.start_ts, t.start_ms, COALESCE(s.end_ms, t.end_ms) AS end_ms," +
               $" t.pv + COALESCE(s.pv, 0) AS pv, t.n + COALESCE(s.n, 0) AS n, t.entry_path, COALESCE(s.exit_path, t.exit_path) AS exit_path{mergedAttributes}{mergedRevenue}" +
               " FROM sessions0 t LEFT JOIN pairs p ON p.t_vid = t.visitor_id AND p.t_start = t.start_ms" +
               " LEFT JOIN sessions0 s ON s.visitor_id = p.s_vid AND s.start_ms = p.s_start" +
               " WHERE NOT EXISTS (SELECT 1 FROM pairs q WHERE q.s_vid = t.visitor_id AND q.s_start = t.start_ms))";
    }

    /// <summary>Whether the statement for <paramref name="query"/> cuts sessions (the sessions CTE): a visit dimension, a session metric or a filter that needs sessions.</summary>
    private static bool UsesSessions(HitQuery query) =>
        query.Dimensions.Any(d => d.IsVisit) || query.Metrics.Any(m => m.IsSessionMetric()) || query.NeedsSessions;

    /// <summary>Runs the query on an open connection and reads the answer.</summary>
    public async ValueTask<AggregateResult> ExecuteAsync(DbConnection connection, HitQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var (sql, parameters) = Build(query);
        var rows = new List<AggregateRow>();
        var usesRegex = query.Filter?.Conditions().Any(c => c.Operator is HitFilterOperator.Matches or HitFilterOperator.MatchesNot) == true;
        // The session statement is a chain of CTEs whose row counts the planner cannot know (PostgreSQL estimates a
        // freshly loaded table's range at a row or two, and every CTE above at as few); with nested loops it joined
        // each hit to every session again for a behavioural filter (31 s for 5 000 hits, docs/performance.md "The raw
        // path's session statements"). The session settings (hash joins) bound it.
        var setup = UsesSessions(query) ? _dialect.SessionQuerySetup : null;
        if (setup is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(setup, cancellationToken: cancellationToken));
        }

        try
        {
            await using var reader = await connection.ExecuteReaderAsync(
                new CommandDefinition(sql, parameters, commandTimeout: usesRegex ? (int)RegexCommandTimeout.TotalSeconds : null, cancellationToken: cancellationToken));
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(ReadRow(reader, query));
            }
        }
        finally
        {
            if (setup is not null && _dialect.SessionQueryReset is { } reset)
            {
                await connection.ExecuteAsync(new CommandDefinition(reset, cancellationToken: CancellationToken.None));
            }
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
            dimensions[i] = query.Dimensions[i].IsTime
                ? TimeLabel(query.Dimensions[i], Convert.ToInt64(reader.GetValue(i), CultureInfo.InvariantCulture))
                : reader.GetString(i);
        }

        var metrics = new double[query.Metrics.Count];
        for (var i = 0; i < metrics.Length; i++)
        {
            var value = reader.GetValue(dimensions.Length + i);
            metrics[i] = value is DBNull ? 0 : Convert.ToDouble(value, CultureInfo.InvariantCulture);
            if (query.Metrics[i] == HitMetric.ViewsPerVisit)
            {
                metrics[i] /= 100.0; // computed in integer hundredths
            }
            else if (query.Metrics[i] is HitMetric.TotalRevenue or HitMetric.AverageRevenue)
            {
                metrics[i] /= 1_000_000d; // computed in integer millionths
            }
        }

        return new AggregateRow(dimensions, metrics);
    }

    private static string TimeLabel(HitDimension dimension, long bucket)
    {
        if (dimension == HitDimension.Hour)
        {
            return DateTime.UnixEpoch.AddHours(bucket).ToString("yyyy-MM-dd HH:00:00", CultureInfo.InvariantCulture);
        }

        var day = dimension == HitDimension.Day ? TimeZoneSegments.DayNumberToDate(bucket)
            : dimension == HitDimension.Week ? TimeZoneSegments.DayNumberToDate((bucket * 7) - 3)
            : new DateOnly((int)(bucket / 12), (int)(bucket % 12) + 1, 1);
        return day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    private static IEnumerable<string> OrderBy(HitQuery query)
    {
        // Bare aliases only; text dimensions are collated where they are selected (see Build).
        var dims = Enumerable.Range(0, query.Dimensions.Count).Select(i => $"d{i}");
        return query.Dimensions[0].IsTime ? dims : dims.Prepend("m0 DESC");
    }

    private string TimeBucket(HitDimension dimension, HitQuery query, DynamicParameters parameters, string tsColumn, string epoch)
    {
        var segments = TimeZoneSegments.Compute(query.TimeZone, query.From, query.To);
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
                    text.Append(CultureInfo.InvariantCulture, $" WHEN {tsColumn} < @tz_end{i} THEN @tz_off{i}");
                }
                else
                {
                    text.Append(CultureInfo.InvariantCulture, $" ELSE @tz_off{i} END");
                }
            }

            offset = text.ToString();
        }

        // SQL's integer division truncates toward zero, which put the instants before 1970 in the next bucket: the
        // local time is shifted by DayShift days, which makes it positive for every DateTimeOffset, and the shift is
        // taken off the bucket number again (floor division).
        var shifted = $"({epoch} + {offset} + {DayShift * TimeZoneSegments.MillisecondsPerDay})";
        var day = $"({shifted} / {TimeZoneSegments.MillisecondsPerDay} - {DayShift})";
        return dimension == HitDimension.Hour ? $"({shifted} / 3600000 - {DayShift * 24})"
            : dimension == HitDimension.Day ? day
            : dimension == HitDimension.Week ? $"(({shifted} / {TimeZoneSegments.MillisecondsPerDay} + 3) / 7 - {DayShift / 7})"
            : dimension == HitDimension.Month ? _dialect.MonthNumber(day)
            : throw new HitQueryException("dimensions", $"Unsupported time dimension {dimension.Name}.");
    }

    /// <summary>
    /// Days added before an integer division so that it floors: more than the days from 0001-01-01 to 1970-01-01
    /// (719 162) plus a day of UTC offset, and a whole number of weeks (102 738). (The rollups start in 1971, so their
    /// day and week numbers are never negative.)
    /// </summary>
    private const long DayShift = 719_166;

    /// <summary>Which visit attributes (va{j}) and event values (ea{k}) the sessions CTE carries for a query.</summary>
    private sealed class SessionLayout
    {
        public SessionLayout(HitQuery query, Func<HitDimension, string> hitColumn)
        {
            HitColumn = hitColumn;
            var conditions = query.Filter?.Conditions().Select(x => x.Dimension).ToList() ?? [];
            Visit = query.Dimensions.Concat(conditions).Where(d => d.IsVisit && d.Column is not null).Distinct().ToList();
            Event = conditions.Concat(query.Dimensions).Where(d => !d.IsVisit && !d.IsTime).Distinct().ToList();
            Revenue = query.Metrics.Any(m => m is HitMetric.TotalRevenue or HitMetric.AverageRevenue);
        }

        /// <summary>Whether revenue metrics are asked, so the CTEs carry each hit's revenue.</summary>
        public bool Revenue { get; }

        public List<HitDimension> Visit { get; }

        public Func<HitDimension, string> HitColumn { get; }

        public List<HitDimension> Event { get; }

        public string VisitColumn(HitDimension dimension) => $"va{Visit.IndexOf(dimension)}";

        public string EventColumn(HitDimension dimension) => $"ea{Event.IndexOf(dimension)}";

        // Inside the kept CTE: h is the hit (with its ea{k}), s its merged session.
        public string FilterValue(HitDimension dimension) =>
            dimension == HitDimension.EntryPage ? "s.entry_path"
            : dimension == HitDimension.ExitPage ? "s.exit_path"
            : dimension.IsVisit ? $"s.va{Visit.IndexOf(dimension)}"
            : $"h.ea{Event.IndexOf(dimension)}";
    }
}

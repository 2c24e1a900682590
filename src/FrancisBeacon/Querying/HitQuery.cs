namespace FrancisBeacon.Querying;

/// <summary>
/// A question for a store: metrics for one site over a half-open UTC instant range <c>[From, To)</c>, optionally
/// grouped by dimensions, with day boundaries in <see cref="TimeZone"/>.
/// </summary>
/// <remarks>
/// Row order is part of the contract so that every store answers identically: with a time dimension first, rows are
/// ordered by time, oldest first; otherwise by the first metric, largest first, then by the dimension values in
/// ordinal UTF-8 byte order. <see cref="Limit"/> and <see cref="Offset"/> apply after ordering.
/// </remarks>
public sealed record HitQuery
{
    /// <summary>The most dimensions a query may group by (SQLite refuses a result of over 2 000 columns).</summary>
    public const int MaxDimensions = 16;

    /// <summary>
    /// The most conditions (<c>is</c>, <c>contains</c>, <c>matches</c>, … each with up to 100 values) a filter tree may
    /// hold in all: SQLite refuses an expression over 1 000 levels deep, and each condition is work per hit.
    /// </summary>
    public const int MaxFilterConditions = 100;

    /// <summary>The most behavioural filters (<c>has_done</c>, <c>has_not_done</c>) a filter tree may hold: each one reads the range's sessions again.</summary>
    public const int MaxBehavioralFilters = 10;

    /// <summary>The site to ask about.</summary>
    public required string SiteId { get; init; }

    /// <summary>Start of the range, inclusive, as a UTC instant.</summary>
    public required DateTimeOffset From { get; init; }

    /// <summary>End of the range, exclusive, as a UTC instant.</summary>
    public required DateTimeOffset To { get; init; }

    /// <summary>The time zone whose calendar days <see cref="HitDimension.Day"/> groups by. Default: UTC.</summary>
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>The metrics to compute, in the order the result lists them. At least one.</summary>
    public IReadOnlyList<HitMetric> Metrics { get; init; } = [HitMetric.Visitors, HitMetric.Pageviews];

    /// <summary>The dimensions to group by, in the order rows list them. Empty for one totals row.</summary>
    public IReadOnlyList<HitDimension> Dimensions { get; init; } = [];

    /// <summary>The most rows to return, or <see langword="null"/> for all. Default: all.</summary>
    public int? Limit { get; init; }

    /// <summary>Rows to skip before returning <see cref="Limit"/> rows. Default: 0.</summary>
    public int Offset { get; init; }

    /// <summary>Which hits count; <see langword="null"/> for all. See <see cref="HitFilter"/> for what this version supports.</summary>
    public HitFilter? Filter { get; init; }

    /// <summary>The site's goals, for the <c>event:goal</c> dimension and filter and <c>conversion_rate</c>. Default: none.</summary>
    public IReadOnlyList<HitGoal> Goals { get; init; } = [];

    /// <summary>The ISO 4217 currency the revenue metrics add up; hits in other currencies are left out of them. Default: <c>EUR</c>.</summary>
    public string RevenueCurrency { get; init; } = "EUR";

    /// <summary>The gap after which a visitor's next hit starts a new session. Default: 30 minutes.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Whether any metric is computed from sessions, or any dimension describes a session.</summary>
    public bool NeedsSessions => Metrics.Any(m => m.IsSessionMetric()) || Dimensions.Any(d => d.IsVisit) || FilterNeedsSessions;

    /// <summary>
    /// Whether the filter has a condition on a visit dimension (judged on the hit's session) or a behavioural filter
    /// (<see cref="HitFilterHasDone"/>, judged on all hits of the session).
    /// </summary>
    public bool FilterNeedsSessions => Filter is not null && (Filter.Conditions().Any(c => c.Dimension is { IsVisit: true }) || HitFilter.IsBehavioral(Filter));

    /// <summary>
    /// Checks the query and throws <see cref="HitQueryException"/> naming the offending field when it is invalid.
    /// Stores call this before answering.
    /// </summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(SiteId))
        {
            throw new HitQueryException("site_id", "A site id is required.");
        }

        if (To < From)
        {
            throw new HitQueryException("date_range", "The end of the date range is before its start.");
        }

        if (Metrics is null || Metrics.Count == 0)
        {
            throw new HitQueryException("metrics", "At least one metric is required.");
        }

        if (Metrics.Distinct().Count() != Metrics.Count)
        {
            throw new HitQueryException("metrics", "A metric is listed twice.");
        }

        foreach (var metric in Metrics)
        {
            if (!Enum.IsDefined(metric))
            {
                throw new HitQueryException("metrics", $"Unknown metric {(int)metric}.");
            }
        }

        if (Dimensions is null || Dimensions.Any(d => d is null) || Dimensions.Distinct().Count() != Dimensions.Count)
        {
            throw new HitQueryException("dimensions", "Dimensions must be distinct and not null.");
        }

        if (Dimensions.Count > MaxDimensions)
        {
            throw new HitQueryException("dimensions", $"A query groups by at most {MaxDimensions} dimensions.");
        }

        if (TimeZone is null)
        {
            throw new HitQueryException("time_zone", "A time zone is required.");
        }

        if (Metrics.Any(m => m.IsSessionMetric()) && Dimensions.FirstOrDefault(d => !d.IsTime && !d.IsVisit) is { } eventDimension)
        {
            var metric = Metrics.First(m => m.IsSessionMetric());
            throw new HitQueryException(
                "metrics",
                $"The session metric {metric.ToApiName()} cannot be grouped by the event dimension {eventDimension.Name}; use a visit:* or time dimension.");
        }

        if (Dimensions.Any(d => d.IsVisit) && Dimensions.FirstOrDefault(d => !d.IsTime && !d.IsVisit) is { } mixed)
        {
            throw new HitQueryException("dimensions", $"The event dimension {mixed.Name} cannot be combined with a visit dimension.");
        }

        if (Filter is not null)
        {
            ValidateFilter(Filter, 0, false);
            var (conditions, behavioral) = Count(Filter);
            if (conditions > MaxFilterConditions)
            {
                throw new HitQueryException("filters", $"A query's filters hold at most {MaxFilterConditions} conditions in all (each may list up to 100 values); this one holds {conditions}.");
            }

            if (behavioral > MaxBehavioralFilters)
            {
                throw new HitQueryException("filters", $"A query's filters hold at most {MaxBehavioralFilters} has_done / has_not_done filters; this one holds {behavioral}.");
            }
        }

        if (Metrics.Any(m => m is HitMetric.TotalRevenue or HitMetric.AverageRevenue))
        {
            if (RevenueCurrency is not { Length: 3 } || !RevenueCurrency.All(char.IsAsciiLetterUpper))
            {
                throw new HitQueryException("revenue_currency", "The revenue currency is a three-letter ISO 4217 code such as EUR.");
            }
        }

        if (SessionTimeout < TimeSpan.FromMinutes(1) || SessionTimeout > TimeSpan.FromDays(1))
        {
            throw new HitQueryException("session_timeout", "The session timeout must be between one minute and one day.");
        }

        if (Limit is < 0)
        {
            throw new HitQueryException("limit", "The limit cannot be negative.");
        }

        if (Offset < 0)
        {
            throw new HitQueryException("offset", "The offset cannot be negative.");
        }
    }

    private static void ValidateFilter(HitFilter filter, int depth, bool inBehavior)
    {
        if (depth > 8)
        {
            throw new HitQueryException("filters", "Filters are nested more than 8 levels deep.");
        }

        switch (filter)
        {
            case HitFilterCondition condition:
                if (condition.Dimension is null || condition.Dimension.IsTime)
                {
                    throw new HitQueryException("filters", $"Filtering by {condition.Dimension?.Name ?? "nothing"} is not supported; filter by an event:* or visit:* dimension (the date range bounds time).");
                }

                if (!Enum.IsDefined(condition.Operator))
                {
                    throw new HitQueryException("filters", "Unknown filter operator.");
                }

                if (condition.Values is null || condition.Values.Count is 0 or > 100 || condition.Values.Any(v => v is null || v.Length > HitLimits.MaxUrlLength))
                {
                    throw new HitQueryException("filters", "A filter needs 1 to 100 values of at most 2048 characters.");
                }

                if (condition.Operator is HitFilterOperator.Matches or HitFilterOperator.MatchesNot)
                {
                    if (condition.IgnoreCase)
                    {
                        throw new HitQueryException("filters", "matches and matches_not are case-sensitive; write the cases into the pattern, e.g. [Bb]log.");
                    }

                    foreach (var pattern in condition.Values)
                    {
                        QueryRegex.Parse(pattern);
                    }
                }

                break;
            case HitFilterAnd and:
                ValidateChildren(and.Filters, depth, inBehavior);
                break;
            case HitFilterOr or:
                ValidateChildren(or.Filters, depth, inBehavior);
                break;
            case HitFilterNot not:
                ValidateFilter(not.Filter ?? throw new HitQueryException("filters", "not needs a filter."), depth + 1, inBehavior);
                break;
            case HitFilterHasDone behavior:
                if (inBehavior)
                {
                    throw new HitQueryException("filters", "has_done and has_not_done cannot be nested inside another has_done or has_not_done.");
                }

                ValidateFilter(behavior.Filter ?? throw new HitQueryException("filters", "has_done and has_not_done need a filter."), depth + 1, true);
                break;
            default:
                throw new HitQueryException("filters", "Unknown filter.");
        }
    }

    /// <summary>Conditions and behavioural filters in a validated tree (at most 8 levels deep, so the recursion is bounded).</summary>
    private static (int Conditions, int Behavioral) Count(HitFilter filter)
    {
        switch (filter)
        {
            case HitFilterCondition:
                return (1, 0);
            case HitFilterNot not:
                return Count(not.Filter);
            case HitFilterHasDone behavior:
                var (conditions, behavioral) = Count(behavior.Filter);
                return (conditions, behavioral + 1);
            case HitFilterAnd and:
                return Sum(and.Filters);
            case HitFilterOr or:
                return Sum(or.Filters);
            default:
                return (0, 0);
        }

        static (int, int) Sum(IReadOnlyList<HitFilter> filters)
        {
            var (conditions, behavioral) = (0, 0);
            foreach (var child in filters)
            {
                var (c, b) = Count(child);
                (conditions, behavioral) = (conditions + c, behavioral + b);
            }

            return (conditions, behavioral);
        }
    }

    private static void ValidateChildren(IReadOnlyList<HitFilter> filters, int depth, bool inBehavior)
    {
        if (filters is null || filters.Count == 0 || filters.Any(f => f is null))
        {
            throw new HitQueryException("filters", "and/or need at least one filter.");
        }

        foreach (var child in filters)
        {
            ValidateFilter(child, depth + 1, inBehavior);
        }
    }
}

using FrancisBeacon.Storage;

namespace FrancisBeacon.Querying;

/// <summary>
/// Answers the parts of the query model that are defined in terms of simpler queries — the <c>event:goal</c>
/// dimension and filter, <see cref="HitMetric.ConversionRate"/> and <see cref="HitMetric.Percentage"/> — by asking the
/// store those simpler queries. Every store calls <see cref="TryAnswerAsync"/> first in its
/// <see cref="IHitStore.QueryAsync"/>, so goals mean the same everywhere and a store only ever computes plain queries.
/// </summary>
public static class CompositeQueries
{
    /// <summary>Whether a query needs <see cref="TryAnswerAsync"/>: it names goals, conversion_rate or percentage.</summary>
    public static bool IsComposite(HitQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return query.Dimensions.Contains(HitDimension.Goal) || query.Metrics.Any(m => m is HitMetric.ConversionRate or HitMetric.Percentage) ||
               (query.Filter?.Conditions().Any(c => c.Dimension == HitDimension.Goal) ?? false);
    }

    /// <summary>
    /// Answers a composite query through <paramref name="store"/>'s plain queries, or returns <see langword="null"/>
    /// when <paramref name="query"/> is plain (the store answers it itself).
    /// </summary>
    /// <exception cref="HitQueryException">The query is invalid (for example conversion_rate without a goal).</exception>
    public static async ValueTask<AggregateResult?> TryAnswerAsync(IHitStore store, HitQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(query);
        if (!IsComposite(query))
        {
            return null;
        }

        query.Validate();
        var goalIndex = query.Dimensions.ToList().IndexOf(HitDimension.Goal);
        var (goalConditions, rest) = SplitGoalConditions(query.Filter);
        if (query.Metrics.Contains(HitMetric.ConversionRate) && goalIndex < 0 && goalConditions.Count == 0)
        {
            throw new HitQueryException(
                "metrics",
                "conversion_rate needs an event:goal dimension or an event:goal filter at the top level (alone or under \"and\"); goal conditions under or, not or has_done do not define the converting visitors.");
        }

        var nestedGoals = rest?.Conditions().Any(c => c.Dimension == HitDimension.Goal) ?? false;
        if ((goalIndex >= 0 || goalConditions.Count > 0 || nestedGoals) && query.Goals.Count == 0)
        {
            throw new HitQueryException(goalIndex >= 0 ? "dimensions" : "filters", "The site has no goals configured (BeaconSiteOptions.Goals).");
        }

        // Goal conditions elsewhere in the tree (under or, not, has_done) become the filters of the goals they name.
        rest = ResolveGoals(rest, query.Goals);
        if (goalIndex < 0 && goalConditions.Count == 0 && !query.Metrics.Any(m => m is HitMetric.ConversionRate or HitMetric.Percentage))
        {
            return await store.QueryAsync(query with { Filter = rest }, cancellationToken);
        }

        var otherDimensions = query.Dimensions.Where(d => d != HitDimension.Goal).ToList();
        // The plain metrics each sub-query asks; conversion_rate and percentage are computed from visitors.
        var plain = query.Metrics.Where(m => m is not (HitMetric.ConversionRate or HitMetric.Percentage))
            .Append(HitMetric.Visitors).Append(HitMetric.Events).Distinct().ToList();
        var baseQuery = query with { Dimensions = otherDimensions, Metrics = plain, Limit = null, Offset = 0, Filter = rest };

        // Goals the goal conditions let through (by name), each with its own filter.
        var goals = query.Goals.Where(g => goalConditions.All(c => c.Test(g.Name))).ToList();
        var rows = new List<(string[] Key, double[] Metrics)>();
        if (goalIndex >= 0)
        {
            foreach (var goal in goals)
            {
                var answer = await store.QueryAsync(baseQuery with { Filter = And(rest, goal.Filter) }, cancellationToken);
                foreach (var row in answer.Rows.Where(r => r.Metrics[plain.IndexOf(HitMetric.Events)] > 0))
                {
                    var key = row.Dimensions.ToList();
                    key.Insert(goalIndex, goal.Name);
                    rows.Add(([.. key], [.. row.Metrics]));
                }
            }
        }
        else
        {
            var filter = goalConditions.Count == 0 ? rest : And(rest, goals.Count == 0 ? Nothing() : HitFilter.Or([.. goals.Select(g => g.Filter)]));
            var answer = await store.QueryAsync(baseQuery with { Filter = filter }, cancellationToken);
            rows.AddRange(answer.Rows.Where(r => otherDimensions.Count == 0 || r.Metrics[plain.IndexOf(HitMetric.Events)] > 0)
                .Select(r => (r.Dimensions.ToArray(), r.Metrics.ToArray())));
        }

        // Denominators: visitors of the same question without goals, per group of the other dimensions (conversion
        // rate), and over everything (percentage).
        Dictionary<string, double>? groupVisitors = null;
        if (query.Metrics.Contains(HitMetric.ConversionRate))
        {
            var all = await store.QueryAsync(baseQuery with { Metrics = [HitMetric.Visitors] }, cancellationToken);
            groupVisitors = all.Rows.ToDictionary(r => Key(r.Dimensions), r => r.Metrics[0], StringComparer.Ordinal);
        }

        double totalVisitors = 0;
        if (query.Metrics.Contains(HitMetric.Percentage))
        {
            var total = await store.QueryAsync(
                baseQuery with { Dimensions = [], Metrics = [HitMetric.Visitors], Filter = goalIndex >= 0 || goalConditions.Count == 0 ? rest : And(rest, HitFilter.Or([.. goals.Select(g => g.Filter)])) },
                cancellationToken);
            totalVisitors = total.Rows.Count > 0 ? total.Rows[0].Metrics[0] : 0;
        }

        var visitorsAt = plain.IndexOf(HitMetric.Visitors);
        var result = rows.Select(r =>
        {
            var metrics = query.Metrics.Select(m => m switch
            {
                HitMetric.ConversionRate => Percent(r.Metrics[visitorsAt], groupVisitors!.GetValueOrDefault(Key(Without(r.Key, goalIndex))), 2),
                HitMetric.Percentage => Percent(r.Metrics[visitorsAt], totalVisitors, 1),
                _ => r.Metrics[plain.IndexOf(m)],
            }).ToArray();
            return (Key: r.Key, Metrics: metrics);
        }).ToList();

        if (query.Dimensions.Count == 0 && result.Count == 0)
        {
            result.Add(([], query.Metrics.Select(_ => 0d).ToArray()));
        }

        IEnumerable<(string[] Key, double[] Metrics)> ordered = query.Dimensions.Count > 0 && query.Dimensions[0].IsTime
            ? result.OrderBy(r => r.Key, KeyComparer.Instance)
            : result.OrderByDescending(r => r.Metrics[0]).ThenBy(r => r.Key, KeyComparer.Instance);
        ordered = ordered.Skip(query.Offset);
        if (query.Limit is { } limit)
        {
            ordered = ordered.Take(limit);
        }

        return new AggregateResult([.. ordered.Select(r => new AggregateRow(r.Key, r.Metrics))]);
    }

    // Goal conditions standing alone or under the top-level "and" define the converting visitors (conversion_rate's
    // numerator); the others are left in the tree for ResolveGoals.
    private static (List<HitFilterCondition> Goals, HitFilter? Others) SplitGoalConditions(HitFilter? filter)
    {
        if (filter is null)
        {
            return ([], null);
        }

        var parts = filter is HitFilterAnd and ? and.Filters.ToList() : [filter];
        var goals = parts.OfType<HitFilterCondition>().Where(c => c.Dimension == HitDimension.Goal).ToList();
        var rest = parts.Where(p => p is not HitFilterCondition c || c.Dimension != HitDimension.Goal).ToList();
        foreach (var goal in goals)
        {
            CheckGoalOperator(goal);
        }

        return (goals, rest.Count == 0 ? null : rest.Count == 1 ? rest[0] : new HitFilterAnd(rest));
    }

    private static void CheckGoalOperator(HitFilterCondition goal)
    {
        if (goal.Operator is not (HitFilterOperator.Is or HitFilterOperator.Contains or HitFilterOperator.Matches))
        {
            throw new HitQueryException("filters", "event:goal filters take is, contains or matches on goal names (as in Plausible); for the opposite wrap them in [\"not\", …] or use has_not_done.");
        }
    }

    /// <summary>Replaces every event:goal condition in the tree by the filter of the goals whose names pass it.</summary>
    private static HitFilter? ResolveGoals(HitFilter? filter, IReadOnlyList<HitGoal> goals) => filter switch
    {
        null => null,
        HitFilterCondition c when c.Dimension == HitDimension.Goal => GoalsFilter(c, goals),
        HitFilterCondition c => c,
        HitFilterAnd and => new HitFilterAnd([.. and.Filters.Select(f => ResolveGoals(f, goals)!)]),
        HitFilterOr or => new HitFilterOr([.. or.Filters.Select(f => ResolveGoals(f, goals)!)]),
        HitFilterNot not => new HitFilterNot(ResolveGoals(not.Filter, goals)!),
        HitFilterHasDone done => done with { Filter = ResolveGoals(done.Filter, goals)! },
        _ => throw new HitQueryException("filters", "Unknown filter."),
    };

    private static HitFilter GoalsFilter(HitFilterCondition condition, IReadOnlyList<HitGoal> goals)
    {
        CheckGoalOperator(condition);
        var passing = goals.Where(g => condition.Test(g.Name)).ToList();
        return passing.Count == 0 ? Nothing() : passing.Count == 1 ? passing[0].Filter : HitFilter.Or([.. passing.Select(g => g.Filter)]);
    }

    private static HitFilter And(HitFilter? a, HitFilter b) => a is null ? b : HitFilter.And(a, b);

    // A filter no hit passes (a goal filter that lets no configured goal through).
    private static HitFilter Nothing() => HitFilter.And(HitFilter.Is(HitDimension.EventName, Hit.PageviewEvent), HitFilter.Not(HitFilter.Is(HitDimension.EventName, Hit.PageviewEvent)));

    private static double Percent(double part, double whole, int decimals) =>
        whole == 0 ? 0 : Math.Round(100 * part / whole, decimals, MidpointRounding.AwayFromZero);

    private static string[] Without(string[] key, int index) => index < 0 ? key : [.. key.Where((_, i) => i != index)];

    private static string Key(IReadOnlyList<string> dimensions) => string.Join('\u0001', dimensions);

    private sealed class KeyComparer : IComparer<string[]>
    {
        public static KeyComparer Instance { get; } = new();

        public int Compare(string[]? x, string[]? y)
        {
            for (var i = 0; i < x!.Length; i++)
            {
                var c = Utf8OrdinalComparer.Instance.Compare(x[i], y![i]);
                if (c != 0)
                {
                    return c;
                }
            }

            return 0;
        }
    }
}

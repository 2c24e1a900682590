namespace FrancisBeacon.Querying;

/// <summary>A filter on a <see cref="HitQuery"/>: a condition, or <c>and</c>, <c>or</c>, <c>not</c> of filters.</summary>
/// <remarks>
/// <para>A filter picks hits. A condition on an event dimension (<c>event:page</c>, <c>event:name</c>, …) looks at the
/// hit itself; a condition on a visit dimension (<c>visit:source</c>, <c>visit:entry_page</c>, …) looks at the hit's
/// session (its first hit, or for the exit page its last), so it keeps or drops whole sessions, as in Plausible.
/// Conditions of both kinds combine freely with <c>and</c>, <c>or</c> and <c>not</c>; sessions are formed from every
/// hit in the range before filtering, so a filter never splits or joins sessions.</para>
/// <para>Event metrics (visitors, pageviews, events) count the kept hits; session metrics (visits, bounce_rate,
/// visit_duration, views_per_visit) are computed over the sessions with at least one kept hit, each taken whole.</para>
/// </remarks>
public abstract record HitFilter
{
    /// <summary>
    /// Whether a hit passes the filter, judging every condition on the hit's own values (a visit condition on the
    /// hit's own attribute, as if it were its session's first hit; entry and exit page on its path). Stores judge
    /// visit conditions on the hit's session instead; see the remarks on <see cref="HitFilter"/>.
    /// </summary>
    public abstract bool Matches(Hit hit);

    /// <summary>Every condition in the filter tree.</summary>
    public abstract IEnumerable<HitFilterCondition> Conditions();

    /// <summary>Both filters.</summary>
    public static HitFilter And(params HitFilter[] filters) => new HitFilterAnd(filters);

    /// <summary>Either filter.</summary>
    public static HitFilter Or(params HitFilter[] filters) => new HitFilterOr(filters);

    /// <summary>The opposite of a filter.</summary>
    public static HitFilter Not(HitFilter filter) => new HitFilterNot(filter);

    /// <summary>The dimension's value is one of <paramref name="values"/>.</summary>
    public static HitFilter Is(HitDimension dimension, params string[] values) => new HitFilterCondition(HitFilterOperator.Is, dimension, values);

    /// <summary>The dimension's value matches one of the regular expressions <paramref name="patterns"/> (see <see cref="QueryRegex"/>).</summary>
    public static HitFilter Matches(HitDimension dimension, params string[] patterns) => new HitFilterCondition(HitFilterOperator.Matches, dimension, patterns);

    /// <summary>The dimension's value contains one of <paramref name="values"/> (ordinal, case-sensitive).</summary>
    public static HitFilter Contains(HitDimension dimension, params string[] values) => new HitFilterCondition(HitFilterOperator.Contains, dimension, values);

    /// <summary>
    /// Plausible's <c>has_done</c>: hits of the sessions in which some hit in the range passes <paramref name="filter"/>
    /// (see <see cref="HitFilterHasDone"/>).
    /// </summary>
    public static HitFilter HasDone(HitFilter filter) => new HitFilterHasDone(filter);

    /// <summary>Plausible's <c>has_not_done</c>: hits of the sessions in which no hit in the range passes <paramref name="filter"/>.</summary>
    public static HitFilter HasNotDone(HitFilter filter) => new HitFilterHasDone(filter) { Negated = true };

    /// <summary>Whether the filter tree holds a <see cref="HitFilterHasDone"/> (has_done / has_not_done) anywhere.</summary>
    public static bool IsBehavioral(HitFilter? filter) => filter switch
    {
        null or HitFilterCondition => false,
        HitFilterHasDone => true,
        HitFilterAnd and => and.Filters.Any(IsBehavioral),
        HitFilterOr or => or.Filters.Any(IsBehavioral),
        HitFilterNot not => IsBehavioral(not.Filter),
        _ => false,
    };
}

/// <summary>How a <see cref="HitFilterCondition"/> compares.</summary>
public enum HitFilterOperator
{
    /// <summary>The value equals one of the values (<c>is</c>).</summary>
    Is,

    /// <summary>The value equals none of the values (<c>is_not</c>).</summary>
    IsNot,

    /// <summary>The value contains one of the values, case-sensitively (<c>contains</c>).</summary>
    Contains,

    /// <summary>The value contains none of the values (<c>contains_not</c>).</summary>
    ContainsNot,

    /// <summary>The value matches one of the regular expressions (<c>matches</c>; see <see cref="QueryRegex"/> for the subset).</summary>
    Matches,

    /// <summary>The value matches none of the regular expressions (<c>matches_not</c>).</summary>
    MatchesNot,
}

/// <summary>A comparison of one dimension's value (<see cref="HitDimension.NotSet"/> when missing) with a list of values.</summary>
/// <param name="Operator">How to compare.</param>
/// <param name="Dimension">The dimension whose value is compared.</param>
/// <param name="Values">
/// The values, at least one and at most 100. Each is cleaned as stored text is (<see cref="HitText.Clean(string)"/>:
/// a NUL or an unpaired surrogate becomes U+FFFD), so a filter matches what a store holds and no store is handed a
/// value it cannot take.
/// </param>
public sealed record HitFilterCondition(HitFilterOperator Operator, HitDimension Dimension, IReadOnlyList<string> Values) : HitFilter
{
    private readonly IReadOnlyList<string> _values = CleanValues(Values);

    /// <summary>The values, cleaned with <see cref="HitText.Clean(string)"/>.</summary>
    public IReadOnlyList<string> Values
    {
        get => _values;
        init => _values = CleanValues(value);
    }

    /// <summary>
    /// Compare ignoring the case of ASCII letters A–Z (Plausible's <c>"modifiers": {"case_sensitive": false}</c>); other
    /// letters still compare exactly, so every store gives the same answer. Not for regular expressions. Default: off.
    /// </summary>
    public bool IgnoreCase { get; init; }

    /// <summary>Folds ASCII letters A–Z to lower case, leaving every other character as it is.</summary>
    public static string FoldAsciiCase(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return string.Create(value.Length, value, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
            }
        });
    }

    private static IReadOnlyList<string> CleanValues(IReadOnlyList<string> values)
    {
        if (values is null)
        {
            return values!;
        }

        foreach (var value in values)
        {
            if (value is not null && HitText.NeedsCleaning(value))
            {
                return [.. values.Select(v => HitText.Clean(v))];
            }
        }

        return values;
    }

    /// <inheritdoc />
    public bool Equals(HitFilterCondition? other) =>
        other is not null && Operator == other.Operator && Dimension == other.Dimension && IgnoreCase == other.IgnoreCase &&
        Values.SequenceEqual(other.Values, StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Operator, Dimension, IgnoreCase, Values.Count);

    /// <inheritdoc />
    public override string ToString() =>
        $"{Operator}({Dimension}{(IgnoreCase ? ", ignore case" : string.Empty)}: {string.Join(", ", Values.Select(v => "\"" + v + "\""))})";

    /// <inheritdoc />
    public override bool Matches(Hit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        return Test(Dimension == HitDimension.EntryPage || Dimension == HitDimension.ExitPage ? hit.Path : Dimension.ValueOf(hit));
    }

    /// <summary>Whether a dimension value (<see cref="HitDimension.NotSet"/> when missing) passes the condition.</summary>
    public bool Test(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (IgnoreCase && Operator is not (HitFilterOperator.Matches or HitFilterOperator.MatchesNot))
        {
            value = FoldAsciiCase(value);
            var folded = Values.Select(FoldAsciiCase).ToList();
            return (this with { IgnoreCase = false, Values = folded }).Test(value);
        }

        return Operator switch
        {
            HitFilterOperator.Matches => Values.Any(v => QueryRegex.Parse(v).IsMatch(value)),
            HitFilterOperator.MatchesNot => !Values.Any(v => QueryRegex.Parse(v).IsMatch(value)),
            HitFilterOperator.Is => Values.Contains(value, StringComparer.Ordinal),
            HitFilterOperator.IsNot => !Values.Contains(value, StringComparer.Ordinal),
            HitFilterOperator.Contains => Values.Any(v => value.Contains(v, StringComparison.Ordinal)),
            HitFilterOperator.ContainsNot => !Values.Any(v => value.Contains(v, StringComparison.Ordinal)),
            _ => throw new HitQueryException("filters", $"Unknown operator {Operator}."),
        };
    }

    /// <inheritdoc />
    public override IEnumerable<HitFilterCondition> Conditions() => [this];
}

/// <summary>All of the filters.</summary>
/// <param name="Filters">The filters, at least one.</param>
public sealed record HitFilterAnd(IReadOnlyList<HitFilter> Filters) : HitFilter
{
    /// <inheritdoc />
    public override bool Matches(Hit hit) => Filters.All(f => f.Matches(hit));

    /// <inheritdoc />
    public override IEnumerable<HitFilterCondition> Conditions() => Filters.SelectMany(f => f.Conditions());
}

/// <summary>Any of the filters.</summary>
/// <param name="Filters">The filters, at least one.</param>
public sealed record HitFilterOr(IReadOnlyList<HitFilter> Filters) : HitFilter
{
    /// <inheritdoc />
    public override bool Matches(Hit hit) => Filters.Any(f => f.Matches(hit));

    /// <inheritdoc />
    public override IEnumerable<HitFilterCondition> Conditions() => Filters.SelectMany(f => f.Conditions());
}

/// <summary>The opposite of a filter.</summary>
/// <param name="Filter">The filter to negate.</param>
public sealed record HitFilterNot(HitFilter Filter) : HitFilter
{
    /// <inheritdoc />
    public override bool Matches(Hit hit) => !Filter.Matches(hit);

    /// <inheritdoc />
    public override IEnumerable<HitFilterCondition> Conditions() => Filter.Conditions();
}

/// <summary>
/// A behavioural filter, Plausible's <c>has_done</c> (or, <see cref="Negated"/>, <c>has_not_done</c>): it keeps the
/// hits of every session in which at least one hit of the range passes <see cref="Filter"/> (for <c>has_not_done</c>:
/// none does). Sessions are the query's (formed before filtering, joined across midnight), so
/// <c>[["is", "event:goal", ["Signup"]], ["has_done", ["is", "event:page", ["/pricing"]]]]</c> counts the signups of
/// sessions that also viewed <c>/pricing</c>, which a plain <c>and</c> of the two conditions (one hit both a signup and
/// a view of /pricing) cannot express.
/// </summary>
/// <remarks>
/// Behavioural filters cannot be nested in each other. The SQL stores answer them from their session rollups when
/// every condition is on a rollup dimension and no day of the range waits for a rebuild, otherwise from the raw hits
/// (docs/query-api.md).
/// </remarks>
/// <param name="Filter">The condition some hit of the session must pass (event and visit conditions, and/or/not).</param>
public sealed record HitFilterHasDone(HitFilter Filter) : HitFilter
{
    /// <summary>Whether this is <c>has_not_done</c>: the session has no hit passing <see cref="Filter"/>.</summary>
    public bool Negated { get; init; }

    /// <summary>Judged on the hit alone, as if it were its session's only hit.</summary>
    public override bool Matches(Hit hit) => Filter.Matches(hit) != Negated;

    /// <inheritdoc />
    public override IEnumerable<HitFilterCondition> Conditions() => Filter.Conditions();

    /// <inheritdoc />
    public override string ToString() => $"{(Negated ? "HasNotDone" : "HasDone")}({Filter})";
}

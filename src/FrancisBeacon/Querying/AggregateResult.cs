namespace FrancisBeacon.Querying;

/// <summary>The answer to a <see cref="HitQuery"/>: rows in the order the query defines. Never null.</summary>
/// <param name="Rows">The rows; empty when nothing matched.</param>
public sealed record AggregateResult(IReadOnlyList<AggregateRow> Rows)
{
    /// <summary>A result with no rows.</summary>
    public static AggregateResult Empty { get; } = new([]);

    /// <inheritdoc />
    public bool Equals(AggregateResult? other) => other is not null && Rows.SequenceEqual(other.Rows);

    /// <inheritdoc />
    public override int GetHashCode() => Rows.Count;

    /// <inheritdoc />
    public override string ToString() => string.Join(Environment.NewLine, Rows);
}

/// <summary>One row of an <see cref="AggregateResult"/>.</summary>
/// <param name="Dimensions">The dimension values, one per <see cref="HitQuery.Dimensions"/> entry.</param>
/// <param name="Metrics">The metric values, one per <see cref="HitQuery.Metrics"/> entry.</param>
public sealed record AggregateRow(IReadOnlyList<string> Dimensions, IReadOnlyList<double> Metrics)
{
    /// <inheritdoc />
    public bool Equals(AggregateRow? other) =>
        other is not null && Dimensions.SequenceEqual(other.Dimensions, StringComparer.Ordinal) &&
        Metrics.SequenceEqual(other.Metrics);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = default(HashCode);
        foreach (var d in Dimensions)
        {
            hash.Add(d, StringComparer.Ordinal);
        }

        foreach (var m in Metrics)
        {
            hash.Add(m);
        }

        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => $"[{string.Join(", ", Dimensions)}] => [{string.Join(", ", Metrics)}]";
}

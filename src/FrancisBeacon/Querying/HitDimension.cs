namespace FrancisBeacon.Querying;

/// <summary>
/// A property a <see cref="HitQuery"/> groups by, named as in the Plausible Stats API v2 (<c>event:page</c>,
/// <c>time:day</c>).
/// </summary>
public sealed record HitDimension
{
    private HitDimension(string name, bool isTime)
    {
        Name = name;
        IsTime = isTime;
    }

    /// <summary>The API name, for example <c>event:page</c>.</summary>
    public string Name { get; }

    /// <summary>Whether this dimension is a time bucket (rows are ordered by it, oldest first).</summary>
    public bool IsTime { get; }

    /// <summary>The page path (<see cref="Hit.Path"/>).</summary>
    public static HitDimension Page { get; } = new("event:page", isTime: false);

    /// <summary>
    /// The calendar day in the query's time zone, as <c>yyyy-MM-dd</c>.
    /// </summary>
    public static HitDimension Day { get; } = new("time:day", isTime: true);

    /// <summary>Every dimension this version understands.</summary>
    public static IReadOnlyList<HitDimension> All { get; } = [Page, Day];

    /// <summary>Finds a dimension by its API name; returns <see langword="false"/> for an unknown one.</summary>
    public static bool TryParse(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HitDimension? dimension)
    {
        dimension = All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal));
        return dimension is not null;
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}

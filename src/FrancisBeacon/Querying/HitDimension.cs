namespace FrancisBeacon.Querying;

/// <summary>
/// A property a <see cref="HitQuery"/> groups by, named as in the Plausible Stats API v2 (<c>event:page</c>,
/// <c>time:day</c>).
/// </summary>
public sealed record HitDimension
{
    private HitDimension(string name, bool isTime, bool isVisit = false)
    {
        Name = name;
        IsTime = isTime;
        IsVisit = isVisit;
    }

    /// <summary>The API name, for example <c>event:page</c>.</summary>
    public string Name { get; }

    /// <summary>Whether this dimension is a time bucket (rows are ordered by it, oldest first).</summary>
    public bool IsTime { get; }

    /// <summary>Whether this dimension is a property of a session (<c>visit:…</c>) rather than of a hit.</summary>
    public bool IsVisit { get; }

    /// <summary>The page path (<see cref="Hit.Path"/>).</summary>
    public static HitDimension Page { get; } = new("event:page", isTime: false);

    /// <summary>
    /// The calendar day in the query's time zone, as <c>yyyy-MM-dd</c>.
    /// </summary>
    public static HitDimension Day { get; } = new("time:day", isTime: true);

    /// <summary>The path of a session's first hit.</summary>
    public static HitDimension EntryPage { get; } = new("visit:entry_page", isTime: false, isVisit: true);

    /// <summary>The path of a session's last hit.</summary>
    public static HitDimension ExitPage { get; } = new("visit:exit_page", isTime: false, isVisit: true);

    /// <summary>Every dimension this version understands.</summary>
    public static IReadOnlyList<HitDimension> All { get; } = [Page, Day, EntryPage, ExitPage];

    /// <summary>Finds a dimension by its API name; returns <see langword="false"/> for an unknown one.</summary>
    public static bool TryParse(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HitDimension? dimension)
    {
        dimension = All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal));
        return dimension is not null;
    }

    /// <inheritdoc />
    public override string ToString() => Name;
}

using System.Text;

namespace FrancisBeacon.Querying;

/// <summary>
/// A goal of a site, as in Plausible: a custom event name (<c>Signup</c>), or a page-path pattern (<c>/blog/*</c>)
/// reached by a page view. Goals are configured per site (<see cref="BeaconSiteOptions.Goals"/>) and travel with the
/// query (<see cref="HitQuery.Goals"/>), so every store answers <c>event:goal</c> the same way.
/// </summary>
public sealed record HitGoal
{
    private HitGoal(string name, string? eventName, string? pagePath, HitFilter filter)
    {
        Name = name;
        EventName = eventName;
        PagePath = pagePath;
        Filter = filter;
    }

    /// <summary>The goal's name in answers: the event name, or <c>Visit &lt;pattern&gt;</c> for a page goal.</summary>
    public string Name { get; }

    /// <summary>The custom event name, for an event goal.</summary>
    public string? EventName { get; }

    /// <summary>The page-path pattern, for a page goal: <c>*</c> matches any run of characters (<c>/</c> included).</summary>
    public string? PagePath { get; }

    /// <summary>The hits that complete the goal, as a plain filter every store understands.</summary>
    public HitFilter Filter { get; }

    /// <summary>A goal completed by a custom event named <paramref name="eventName"/>.</summary>
    public static HitGoal Event(string eventName)
    {
        // At most MaxShortTextBytes too: a stored event name is cut to that size, so a longer goal would never match.
        if (string.IsNullOrEmpty(eventName) || eventName.Length > 120 || !HitText.Fits(eventName, HitLimits.MaxShortTextBytes))
        {
            throw new HitQueryException("goals", $"A goal's event name is 1 to 120 characters and at most {HitLimits.MaxShortTextBytes} bytes of UTF-8.");
        }

        return new HitGoal(eventName, eventName, null, HitFilter.Is(HitDimension.EventName, eventName));
    }

    /// <summary>A goal completed by a page view whose path matches <paramref name="pattern"/> (<c>*</c>: any characters).</summary>
    public static HitGoal Page(string pattern)
    {
        if (string.IsNullOrEmpty(pattern) || pattern[0] != '/' || pattern.Length > 120)
        {
            throw new HitQueryException("goals", "A page goal is a path of 1 to 120 characters starting with '/', with * as a wildcard.");
        }

        if (!pattern.Contains('*', StringComparison.Ordinal))
        {
            // The same hits as the anchored pattern, as a plain equality: stores answer that from their page indexes and
            // rollups (a pattern makes them test every page of the range).
            return new HitGoal("Visit " + pattern, null, pattern, HitFilter.And(HitFilter.Is(HitDimension.EventName, Hit.PageviewEvent), HitFilter.Is(HitDimension.Page, pattern)));
        }

        var regex = new StringBuilder("^");
        foreach (var part in pattern.Split('*'))
        {
            if (regex.Length > 1)
            {
                regex.Append(".*");
            }

            regex.Append(QueryRegex.Escape(part));
        }

        regex.Append('$');
        var filter = HitFilter.And(HitFilter.Is(HitDimension.EventName, Hit.PageviewEvent), HitFilter.Matches(HitDimension.Page, regex.ToString()));
        return new HitGoal("Visit " + pattern, null, pattern, filter);
    }

    /// <inheritdoc />
    public bool Equals(HitGoal? other) => other is not null && Name == other.Name && EventName == other.EventName && PagePath == other.PagePath;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, EventName, PagePath);
}

using System.Globalization;

namespace FrancisBeacon.Querying;

/// <summary>What kind of property a <see cref="HitDimension"/> is.</summary>
public enum HitDimensionKind
{
    /// <summary>A property of each hit (<c>event:…</c>).</summary>
    Event,

    /// <summary>A property of a session, taken from its first hit (or, for the exit page, its last) (<c>visit:…</c>).</summary>
    Visit,

    /// <summary>A time bucket in the query's time zone (<c>time:…</c>).</summary>
    Time,
}

/// <summary>
/// A property a <see cref="HitQuery"/> groups by, named as in the Plausible Stats API v2 (<c>event:page</c>,
/// <c>visit:source</c>, <c>time:day</c>). Hits without a value group under <see cref="NotSet"/>.
/// </summary>
/// <remarks>
/// Visit dimensions describe sessions: every hit of a session carries the values of the session's first hit (its
/// source, browser, country, …), as in Plausible. They cannot be combined with event dimensions in one query.
/// </remarks>
public sealed record HitDimension
{
    private readonly Func<Hit, string?>? _value;

    private HitDimension(string name, HitDimensionKind kind, string? column = null, Func<Hit, string?>? value = null)
    {
        Name = name;
        Kind = kind;
        Column = column;
        _value = value;
    }

    /// <summary>The label of a group whose hits have no value, for example hits with no referrer under <c>visit:source</c>.</summary>
    public const string NotSet = "(not set)";

    /// <summary>The prefix of custom property dimensions: <c>event:props:&lt;key&gt;</c>.</summary>
    public const string PropertyPrefix = "event:props:";

    /// <summary>The longest custom property key a dimension may name.</summary>
    public const int MaxPropertyKeyLength = 300;

    /// <summary>The API name, for example <c>event:page</c>.</summary>
    public string Name { get; }

    /// <summary>For <c>event:props:&lt;key&gt;</c>: the property key; <see langword="null"/> for every other dimension.</summary>
    public string? PropertyKey { get; private init; }

    /// <summary>
    /// The custom property <paramref name="key"/> of each hit (<see cref="Hit.Properties"/>), <c>event:props:&lt;key&gt;</c>;
    /// hits without it group under <see cref="NotSet"/>. Two instances for the same key are equal.
    /// </summary>
    /// <exception cref="HitQueryException">The key is empty or longer than <see cref="MaxPropertyKeyLength"/>.</exception>
    public static HitDimension Property(string key)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxPropertyKeyLength)
        {
            throw new HitQueryException("dimensions", $"A property key is 1 to {MaxPropertyKeyLength} characters: event:props:<key>.");
        }

        key = HitText.Clean(key); // as stored keys are
        return new HitDimension(PropertyPrefix + key, HitDimensionKind.Event, null, h => h.Properties.TryGetValue(key, out var v) ? v : null) { PropertyKey = key };
    }

    /// <summary>Dimensions are equal when their API names are (the name determines everything else).</summary>
    public bool Equals(HitDimension? other) => other is not null && string.Equals(Name, other.Name, StringComparison.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Name);

    /// <summary>What kind of property this is.</summary>
    public HitDimensionKind Kind { get; }

    /// <summary>
    /// For attribute dimensions: the SQL expression over the hits table's columns that gives the value (the SQL
    /// stores share it); <see langword="null"/> for time buckets and entry/exit pages.
    /// </summary>
    public string? Column { get; }

    /// <summary>Whether this dimension is a time bucket (rows are ordered by it, oldest first).</summary>
    public bool IsTime => Kind == HitDimensionKind.Time;

    /// <summary>Whether this dimension is a property of a session (<c>visit:…</c>) rather than of a hit.</summary>
    public bool IsVisit => Kind == HitDimensionKind.Visit;

    /// <summary>The page path (<see cref="Hit.Path"/>).</summary>
    public static HitDimension Page { get; } = new("event:page", HitDimensionKind.Event, "path", h => h.Path);

    /// <summary>The event name: <c>pageview</c> or a custom event.</summary>
    public static HitDimension EventName { get; } = new("event:name", HitDimensionKind.Event, "event_name", h => h.EventName);

    /// <summary>The page's host name.</summary>
    public static HitDimension Hostname { get; } = new("event:hostname", HitDimensionKind.Event, "hostname", h => h.Hostname);

    /// <summary>
    /// The goal a hit completes (<see cref="HitQuery.Goals"/>), <c>event:goal</c>: a hit counts under every goal it
    /// completes, and hits completing none are left out. Answered through <see cref="CompositeQueries"/>.
    /// </summary>
    public static HitDimension Goal { get; } = new("event:goal", HitDimensionKind.Event);

    /// <summary>The local hour, as <c>yyyy-MM-dd HH:00:00</c>.</summary>
    public static HitDimension Hour { get; } = new("time:hour", HitDimensionKind.Time);

    /// <summary>The calendar day in the query's time zone, as <c>yyyy-MM-dd</c>.</summary>
    public static HitDimension Day { get; } = new("time:day", HitDimensionKind.Time);

    /// <summary>The ISO week (Monday to Sunday), as the date of its Monday, <c>yyyy-MM-dd</c>.</summary>
    public static HitDimension Week { get; } = new("time:week", HitDimensionKind.Time);

    /// <summary>The calendar month, as the date of its first day, <c>yyyy-MM-01</c>.</summary>
    public static HitDimension Month { get; } = new("time:month", HitDimensionKind.Time);

    /// <summary>The path of a session's first hit.</summary>
    public static HitDimension EntryPage { get; } = new("visit:entry_page", HitDimensionKind.Visit);

    /// <summary>The path of a session's last hit.</summary>
    public static HitDimension ExitPage { get; } = new("visit:exit_page", HitDimensionKind.Visit);

    /// <summary>The session's source (<see cref="Hit.ReferrerSource"/> of its first hit).</summary>
    public static HitDimension Source { get; } = Visit("visit:source", "referrer_source", h => h.ReferrerSource);

    /// <summary>The session's acquisition channel.</summary>
    public static HitDimension Channel { get; } = Visit("visit:channel", "channel", h => h.Channel);

    /// <summary>The session's full referrer URL.</summary>
    public static HitDimension Referrer { get; } = Visit("visit:referrer", "referrer", h => h.Referrer);

    /// <summary>The session's <c>utm_source</c>.</summary>
    public static HitDimension UtmSource { get; } = Visit("visit:utm_source", "utm_source", h => h.UtmSource);

    /// <summary>The session's <c>utm_medium</c>.</summary>
    public static HitDimension UtmMedium { get; } = Visit("visit:utm_medium", "utm_medium", h => h.UtmMedium);

    /// <summary>The session's <c>utm_campaign</c>.</summary>
    public static HitDimension UtmCampaign { get; } = Visit("visit:utm_campaign", "utm_campaign", h => h.UtmCampaign);

    /// <summary>The session's <c>utm_term</c>.</summary>
    public static HitDimension UtmTerm { get; } = Visit("visit:utm_term", "utm_term", h => h.UtmTerm);

    /// <summary>The session's <c>utm_content</c>.</summary>
    public static HitDimension UtmContent { get; } = Visit("visit:utm_content", "utm_content", h => h.UtmContent);

    /// <summary>The browser.</summary>
    public static HitDimension Browser { get; } = Visit("visit:browser", "browser", h => h.Browser);

    /// <summary>The browser's major version.</summary>
    public static HitDimension BrowserVersion { get; } = Visit("visit:browser_version", "browser_version", h => h.BrowserVersion);

    /// <summary>The operating system.</summary>
    public static HitDimension OperatingSystem { get; } = Visit("visit:os", "os", h => h.OperatingSystem);

    /// <summary>The operating system's version.</summary>
    public static HitDimension OperatingSystemVersion { get; } = Visit("visit:os_version", "os_version", h => h.OperatingSystemVersion);

    /// <summary>The device type.</summary>
    public static HitDimension Device { get; } = Visit("visit:device", "device_type", h => h.DeviceType);

    /// <summary>The ISO 3166-1 country code.</summary>
    public static HitDimension Country { get; } = Visit("visit:country", "country", h => h.Country);

    /// <summary>The ISO 3166-2 region code.</summary>
    public static HitDimension Region { get; } = Visit("visit:region", "region", h => h.Region);

    /// <summary>The city.</summary>
    public static HitDimension City { get; } = Visit("visit:city", "city", h => h.City);

    /// <summary>The screen class from the screen width: Mobile, Tablet, Laptop or Desktop (see <see cref="Enrichment.ScreenSize"/>).</summary>
    public static HitDimension Screen { get; } = Visit(
        "visit:screen",
        "CASE WHEN screen_width IS NULL OR screen_width <= 0 THEN NULL WHEN screen_width < 576 THEN 'Mobile' WHEN screen_width < 992 THEN 'Tablet' WHEN screen_width < 1440 THEN 'Laptop' ELSE 'Desktop' END",
        h => Enrichment.ScreenSize.Classify(h.ScreenWidth));

    /// <summary>The preferred language.</summary>
    public static HitDimension Language { get; } = Visit("visit:language", "language", h => h.Language);

    /// <summary>Every dimension this version understands.</summary>
    public static IReadOnlyList<HitDimension> All { get; } =
    [
        Page, EventName, Hostname, Goal, Hour, Day, Week, Month, EntryPage, ExitPage, Source, Channel, Referrer, UtmSource,
        UtmMedium, UtmCampaign, UtmTerm, UtmContent, Browser, BrowserVersion, OperatingSystem, OperatingSystemVersion,
        Device, Country, Region, City, Screen, Language,
    ];

    /// <summary>Finds a dimension by its API name; returns <see langword="false"/> for an unknown one.</summary>
    public static bool TryParse(string? name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HitDimension? dimension)
    {
        dimension = All.FirstOrDefault(d => string.Equals(d.Name, name, StringComparison.Ordinal));
        if (dimension is null && name is not null && name.StartsWith(PropertyPrefix, StringComparison.Ordinal) &&
            name.Length > PropertyPrefix.Length && name.Length <= PropertyPrefix.Length + MaxPropertyKeyLength)
        {
            dimension = Property(name[PropertyPrefix.Length..]);
        }

        return dimension is not null;
    }

    /// <summary>The value of an attribute dimension for a hit (<see cref="NotSet"/> when it has none).</summary>
    /// <exception cref="InvalidOperationException">This is a time dimension or the entry/exit page.</exception>
    public string ValueOf(Hit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        return (_value ?? throw new InvalidOperationException($"{Name} is not an attribute of a hit."))(hit) ?? NotSet;
    }

    /// <summary>The label of the time bucket holding a local time, for a time dimension.</summary>
    public string BucketLabel(DateTime local)
    {
        if (this == Hour)
        {
            return local.ToString("yyyy-MM-dd HH:00:00", CultureInfo.InvariantCulture);
        }

        var day = DateOnly.FromDateTime(local);
        if (this == Week)
        {
            day = day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
        }
        else if (this == Month)
        {
            day = new DateOnly(day.Year, day.Month, 1);
        }
        else if (this != Day)
        {
            throw new InvalidOperationException($"{Name} is not a time dimension.");
        }

        return day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public override string ToString() => Name;

    private static HitDimension Visit(string name, string column, Func<Hit, string?> value) => new(name, HitDimensionKind.Visit, column, value);
}

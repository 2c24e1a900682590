namespace FrancisBeacon;

/// <summary>
/// One recorded hit: a page view or a custom event. This is the row every store keeps.
/// </summary>
/// <remarks>
/// <para>Optional string fields are <see langword="null"/> when unknown; stores give back exactly what was appended
/// (<see langword="null"/> stays <see langword="null"/>, an empty string stays empty).</para>
/// <para><see cref="Timestamp"/> is UTC and stores keep it to the millisecond; the ingestion pipeline truncates it to
/// whole milliseconds before a hit reaches a store.</para>
/// <para>A hit never carries an IP address or a raw user agent: only the derived <see cref="VisitorId"/> and the
/// parsed browser, operating system and device.</para>
/// </remarks>
public sealed record Hit
{
    /// <summary>The event name of a page view.</summary>
    public const string PageviewEvent = "pageview";

    /// <summary>
    /// Unique id of the hit. Appending a hit whose id a store already holds is a no-op. Default: a new version 7
    /// (time-ordered) GUID, so the stores' unique id indexes grow at their end instead of at random places (a random
    /// id costs a cache miss per insert once the index outgrows memory).
    /// </summary>
    public Guid Id { get; init; } = HitIds.NewVersion7();

    /// <summary>The site the hit belongs to (usually its domain).</summary>
    public required string SiteId { get; init; }

    /// <summary>When the hit happened, in UTC, to the millisecond.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The event name: <see cref="PageviewEvent"/> or a custom event. Default: <c>pageview</c>.</summary>
    public string EventName { get; init; } = PageviewEvent;

    /// <summary>The host name of the page, lower case.</summary>
    public string Hostname { get; init; } = string.Empty;

    /// <summary>The normalised path of the page, starting with <c>/</c>, without query string or fragment.</summary>
    public required string Path { get; init; }

    /// <summary>The document referrer as sent by the browser, if any.</summary>
    public string? Referrer { get; init; }

    /// <summary>The source derived from the referrer or the UTM source (for example <c>Google</c>), if known.</summary>
    public string? ReferrerSource { get; init; }

    /// <summary>
    /// The acquisition channel (<c>Organic Search</c>, <c>Referral</c>, <c>Direct</c>, …) derived from the referrer
    /// and campaign parameters, if known.
    /// </summary>
    public string? Channel { get; init; }

    /// <summary>The <c>utm_source</c> query parameter of the page URL.</summary>
    public string? UtmSource { get; init; }

    /// <summary>The <c>utm_medium</c> query parameter of the page URL.</summary>
    public string? UtmMedium { get; init; }

    /// <summary>The <c>utm_campaign</c> query parameter of the page URL.</summary>
    public string? UtmCampaign { get; init; }

    /// <summary>The <c>utm_term</c> query parameter of the page URL.</summary>
    public string? UtmTerm { get; init; }

    /// <summary>The <c>utm_content</c> query parameter of the page URL.</summary>
    public string? UtmContent { get; init; }

    /// <summary>
    /// The cookie-less visitor id: a keyed 64-bit hash that changes every day. Zero when unknown.
    /// </summary>
    public long VisitorId { get; init; }

    /// <summary>
    /// The visitor id the same person had on the site's previous day, set only for hits shortly after the site's
    /// local midnight (while yesterday's salt still exists), so that a session crossing midnight stays one session.
    /// <see langword="null"/> otherwise.
    /// </summary>
    public long? PreviousVisitorId { get; init; }

    /// <summary>The browser name, for example <c>Firefox</c>.</summary>
    public string? Browser { get; init; }

    /// <summary>The browser's major version.</summary>
    public string? BrowserVersion { get; init; }

    /// <summary>The operating system name, for example <c>Windows</c>.</summary>
    public string? OperatingSystem { get; init; }

    /// <summary>The operating system version.</summary>
    public string? OperatingSystemVersion { get; init; }

    /// <summary>The device type: <c>Desktop</c>, <c>Mobile</c>, <c>Tablet</c>, ...</summary>
    public string? DeviceType { get; init; }

    /// <summary>ISO 3166-1 alpha-2 country code.</summary>
    public string? Country { get; init; }

    /// <summary>ISO 3166-2 region code.</summary>
    public string? Region { get; init; }

    /// <summary>City name.</summary>
    public string? City { get; init; }

    /// <summary>The screen width in CSS pixels as reported by the tracker.</summary>
    public int? ScreenWidth { get; init; }

    /// <summary>The preferred language, for example <c>de-DE</c>.</summary>
    public string? Language { get; init; }

    /// <summary>The revenue a conversion brought (for example a purchase), if any. Stores keep 18 digits, 6 after the point.</summary>
    public decimal? RevenueAmount { get; init; }

    /// <summary>The ISO 4217 currency of <see cref="RevenueAmount"/> (<c>EUR</c>), if any.</summary>
    public string? RevenueCurrency { get; init; }

    /// <summary>Custom string properties of the hit. Never <see langword="null"/>.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = EmptyProperties;

    /// <summary>An empty, shared property set.</summary>
    public static IReadOnlyDictionary<string, string> EmptyProperties { get; } =
        new Dictionary<string, string>(StringComparer.Ordinal).AsReadOnly();
}

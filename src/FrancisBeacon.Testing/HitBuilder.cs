// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;

namespace FrancisBeacon.Testing;

/// <summary>
/// Builds <see cref="Hit"/> values for tests with sensible defaults, so that a test states only what matters to it.
/// </summary>
/// <remarks>
/// <para>A builder is immutable: every <c>With…</c> method returns a new builder, so one builder can serve as the
/// template of many hits. <see cref="Build"/> gives each hit a new <see cref="Hit.Id"/> unless
/// <see cref="WithId"/> fixed one.</para>
/// <para>Defaults: site <see cref="DefaultSiteId"/>, host name <see cref="DefaultSiteId"/>, time
/// <see cref="DefaultTimestamp"/>, event <see cref="Hit.PageviewEvent"/>, path <c>/</c>, visitor 1, every optional
/// field <see langword="null"/>, no properties. Timestamps set through the builder are converted to UTC and
/// truncated to whole milliseconds, as the ingestion pipeline does; a test that needs a sub-millisecond timestamp
/// uses <c>hit with { Timestamp = … }</c> on the built hit.</para>
/// </remarks>
public sealed class HitBuilder
{
    /// <summary>The site id hits get unless <see cref="ForSite"/> says otherwise: <c>example.com</c>.</summary>
    public const string DefaultSiteId = "example.com";

    private readonly Hit _template;
    private readonly Guid? _id;

    /// <summary>Creates a builder with the defaults.</summary>
    public HitBuilder()
        : this(new Hit { SiteId = DefaultSiteId, Hostname = DefaultSiteId, Timestamp = DefaultTimestamp, Path = "/", VisitorId = 1 }, null)
    {
    }

    private HitBuilder(Hit template, Guid? id)
    {
        _template = template;
        _id = id;
    }

    /// <summary>The time hits get unless <see cref="At"/> says otherwise: 2025-01-15 12:00:00.000 UTC.</summary>
    public static DateTimeOffset DefaultTimestamp { get; } = new(2025, 1, 15, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A builder for a page view of <paramref name="path"/>.</summary>
    public static HitBuilder Pageview(string path) => new HitBuilder().OnPage(path);

    /// <summary>A builder for a custom event named <paramref name="eventName"/> on <paramref name="path"/>.</summary>
    public static HitBuilder CustomEvent(string eventName, string path) => new HitBuilder().OnPage(path).WithEvent(eventName);

    /// <summary>Sets the site id, and the host name to the same value.</summary>
    public HitBuilder ForSite(string siteId)
    {
        ArgumentNullException.ThrowIfNull(siteId);
        return With(_template with { SiteId = siteId, Hostname = siteId });
    }

    /// <summary>Sets the time, converted to UTC and truncated to whole milliseconds.</summary>
    public HitBuilder At(DateTimeOffset timestamp) => With(_template with { Timestamp = TruncateToMillisecond(timestamp) });

    /// <summary>
    /// Sets the time from a local wall-clock time in <paramref name="timeZone"/>. An ambiguous time (the repeated hour
    /// when clocks go back) means its first occurrence; a time that does not exist (skipped when clocks go forward)
    /// throws <see cref="ArgumentException"/>.
    /// </summary>
    public HitBuilder AtLocal(DateTime localTime, TimeZoneInfo timeZone) => At(FromLocal(localTime, timeZone));

    /// <summary>Sets the page path.</summary>
    public HitBuilder OnPage(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return With(_template with { Path = path });
    }

    /// <summary>Sets the event name (<see cref="Hit.PageviewEvent"/> for a page view).</summary>
    public HitBuilder WithEvent(string eventName)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        return With(_template with { EventName = eventName });
    }

    /// <summary>Sets the visitor id.</summary>
    public HitBuilder ByVisitor(long visitorId) => With(_template with { VisitorId = visitorId });

    /// <summary>Sets <see cref="Hit.PreviousVisitorId"/>: the person's visitor id on the site's previous day.</summary>
    public HitBuilder WithPreviousVisitor(long? previousVisitorId) => With(_template with { PreviousVisitorId = previousVisitorId });

    /// <summary>Sets <see cref="Hit.RevenueAmount"/> and <see cref="Hit.RevenueCurrency"/>.</summary>
    public HitBuilder WithRevenue(decimal? amount, string? currency) => With(_template with { RevenueAmount = amount, RevenueCurrency = currency });

    /// <summary>Sets <see cref="Hit.Channel"/>.</summary>
    public HitBuilder WithChannel(string? channel) => With(_template with { Channel = channel });

    /// <summary>Fixes the hit id, so that every hit built from this builder has it.</summary>
    public HitBuilder WithId(Guid id) => new(_template with { Id = id }, id);

    /// <summary>Sets the host name (and keeps the site id).</summary>
    public HitBuilder WithHostname(string hostname)
    {
        ArgumentNullException.ThrowIfNull(hostname);
        return With(_template with { Hostname = hostname });
    }

    /// <summary>Sets the referrer and the source derived from it.</summary>
    public HitBuilder WithReferrer(string? referrer, string? referrerSource) =>
        With(_template with { Referrer = referrer, ReferrerSource = referrerSource });

    /// <summary>Sets the five UTM parameters.</summary>
    public HitBuilder WithUtm(string? source, string? medium, string? campaign, string? term, string? content) =>
        With(_template with { UtmSource = source, UtmMedium = medium, UtmCampaign = campaign, UtmTerm = term, UtmContent = content });

    /// <summary>Sets the browser and its version.</summary>
    public HitBuilder WithBrowser(string? browser, string? version) =>
        With(_template with { Browser = browser, BrowserVersion = version });

    /// <summary>Sets the operating system and its version.</summary>
    public HitBuilder WithOperatingSystem(string? operatingSystem, string? version) =>
        With(_template with { OperatingSystem = operatingSystem, OperatingSystemVersion = version });

    /// <summary>Sets the device type.</summary>
    public HitBuilder WithDeviceType(string? deviceType) => With(_template with { DeviceType = deviceType });

    /// <summary>Sets the country, region and city.</summary>
    public HitBuilder WithLocation(string? country, string? region, string? city) =>
        With(_template with { Country = country, Region = region, City = city });

    /// <summary>Sets the screen width in CSS pixels.</summary>
    public HitBuilder WithScreenWidth(int? screenWidth) => With(_template with { ScreenWidth = screenWidth });

    /// <summary>Sets the language.</summary>
    public HitBuilder WithLanguage(string? language) => With(_template with { Language = language });

    /// <summary>Adds (or replaces) one custom property.</summary>
    public HitBuilder WithProperty(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var properties = new Dictionary<string, string>(_template.Properties, StringComparer.Ordinal) { [key] = value };
        return With(_template with { Properties = properties.AsReadOnly() });
    }

    /// <summary>Replaces all custom properties.</summary>
    public HitBuilder WithProperties(IEnumerable<KeyValuePair<string, string>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var copy = new Dictionary<string, string>(properties, StringComparer.Ordinal);
        return With(_template with { Properties = copy.AsReadOnly() });
    }

    /// <summary>Builds the hit, with a new id unless <see cref="WithId"/> fixed one.</summary>
    public Hit Build() => _template with { Id = _id ?? Guid.NewGuid() };

    /// <summary>Converts a UTC instant to UTC with zero offset and truncates it to whole milliseconds.</summary>
    public static DateTimeOffset TruncateToMillisecond(DateTimeOffset timestamp)
    {
        var ticks = timestamp.UtcTicks;
        return new DateTimeOffset(ticks - (ticks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    /// <summary>
    /// The UTC instant of a local wall-clock time in a zone; an ambiguous time means its first occurrence, and a
    /// skipped time throws <see cref="ArgumentException"/>.
    /// </summary>
    public static DateTimeOffset FromLocal(DateTime localTime, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        var local = DateTime.SpecifyKind(localTime, DateTimeKind.Unspecified);
        if (timeZone.IsInvalidTime(local))
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"{local:yyyy-MM-dd HH:mm:ss.fff} does not exist in {timeZone.Id}."),
                nameof(localTime));
        }

        var offset = timeZone.IsAmbiguousTime(local) ? timeZone.GetAmbiguousTimeOffsets(local).Max() : timeZone.GetUtcOffset(local);
        return new DateTimeOffset(local, offset).ToUniversalTime();
    }

    private HitBuilder With(Hit template) => new(template, _id);
}

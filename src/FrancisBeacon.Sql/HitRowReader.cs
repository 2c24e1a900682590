using System.Data.Common;

namespace FrancisBeacon.Sql;

/// <summary>
/// Reads a hit from a row whose columns come in the shared order: <c>id, site_id, ts, event_name, hostname, path,
/// referrer, referrer_source, utm_source, utm_medium, utm_campaign, utm_term, utm_content, visitor_id, browser,
/// browser_version, os, os_version, device_type, country, region, city, screen_width, language, props, channel,
/// prev_visitor_id, revenue, revenue_currency</c>. The two columns whose storage differs per database (timestamp and
/// revenue) are read by the store's own functions.
/// </summary>
public static class HitRowReader
{
    /// <summary>Reads the current row (its id with the provider's <see cref="DbDataReader.GetGuid"/>).</summary>
    public static Hit Read(DbDataReader reader, Func<DbDataReader, int, DateTimeOffset> timestamp, Func<DbDataReader, int, decimal> revenue) =>
        Read(reader, static (r, i) => r.GetGuid(i), timestamp, revenue);

    /// <summary>Reads the current row, its id through <paramref name="id"/> (for a store that keeps ids in a byte order of its own).</summary>
    public static Hit Read(DbDataReader reader, Func<DbDataReader, int, Guid> id, Func<DbDataReader, int, DateTimeOffset> timestamp, Func<DbDataReader, int, decimal> revenue)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(timestamp);
        ArgumentNullException.ThrowIfNull(revenue);
        return new Hit
        {
            Id = id(reader, 0),
            SiteId = reader.GetString(1),
            Timestamp = timestamp(reader, 2),
            EventName = reader.GetString(3),
            Hostname = reader.GetString(4),
            Path = reader.GetString(5),
            Referrer = Text(reader, 6),
            ReferrerSource = Text(reader, 7),
            UtmSource = Text(reader, 8),
            UtmMedium = Text(reader, 9),
            UtmCampaign = Text(reader, 10),
            UtmTerm = Text(reader, 11),
            UtmContent = Text(reader, 12),
            VisitorId = reader.GetInt64(13),
            Browser = Text(reader, 14),
            BrowserVersion = Text(reader, 15),
            OperatingSystem = Text(reader, 16),
            OperatingSystemVersion = Text(reader, 17),
            DeviceType = Text(reader, 18),
            Country = Text(reader, 19),
            Region = Text(reader, 20),
            City = Text(reader, 21),
            ScreenWidth = reader.IsDBNull(22) ? null : reader.GetInt32(22),
            Language = Text(reader, 23),
            Properties = HitPropertiesJson.Deserialize(Text(reader, 24)),
            Channel = Text(reader, 25),
            PreviousVisitorId = reader.IsDBNull(26) ? null : reader.GetInt64(26),
            RevenueAmount = reader.IsDBNull(27) ? null : revenue(reader, 27),
            RevenueCurrency = Text(reader, 28),
        };
    }

    private static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}

using System.Diagnostics.CodeAnalysis;

namespace FrancisBeacon;

/// <summary>Looks up IANA time zones without throwing.</summary>
public static class SiteTimeZones
{
    /// <summary>Finds a time zone by IANA (or Windows) id.</summary>
    public static bool TryFind(string? id, [NotNullWhen(true)] out TimeZoneInfo? timeZone)
    {
        timeZone = null;
        if (string.IsNullOrWhiteSpace(id) || id.Length > 64)
        {
            return false;
        }

        if (string.Equals(id, "UTC", StringComparison.OrdinalIgnoreCase) || string.Equals(id, "Etc/UTC", StringComparison.Ordinal))
        {
            timeZone = TimeZoneInfo.Utc;
            return true;
        }

        return TimeZoneInfo.TryFindSystemTimeZoneById(id, out timeZone);
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;
using System.Text;

namespace FrancisBeacon.Testing;

/// <summary>
/// Assertions on <see cref="Hit"/> values that compare every field by value (properties included, in any order),
/// strings ordinally (so <see langword="null"/> and the empty string differ) and timestamps as UTC instants with a zero
/// offset. <see cref="Hit"/>'s own record equality compares <see cref="Hit.Properties"/> by reference, so it is no use
/// for hits read back from a store.
/// </summary>
public static class HitAssert
{
    /// <summary>Fails unless <paramref name="actual"/> equals <paramref name="expected"/> field by field.</summary>
    public static void Equal(Hit expected, Hit actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var differences = Differences(expected, actual);
        if (differences.Count > 0)
        {
            Assert.Fail($"Hit {expected.Id} differs from what was expected:{Environment.NewLine}{string.Join(Environment.NewLine, differences)}");
        }
    }

    /// <summary>Fails unless both lists hold equal hits in the same order.</summary>
    public static void Equal(IReadOnlyList<Hit> expected, IReadOnlyList<Hit> actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        var message = new StringBuilder();
        var count = Math.Min(expected.Count, actual.Count);
        for (var i = 0; i < count; i++)
        {
            var differences = Differences(expected[i], actual[i]);
            if (differences.Count > 0)
            {
                message.Append(CultureInfo.InvariantCulture, $"Hit #{i} (expected id {expected[i].Id}) differs:").AppendLine();
                foreach (var difference in differences)
                {
                    message.AppendLine(difference);
                }

                break;
            }
        }

        if (expected.Count != actual.Count)
        {
            message.Append(CultureInfo.InvariantCulture, $"Expected {expected.Count} hits, got {actual.Count}.").AppendLine();
        }

        if (message.Length > 0)
        {
            Assert.Fail(message.ToString());
        }
    }

    private static List<string> Differences(Hit expected, Hit actual)
    {
        var differences = new List<string>();
        if (actual is null)
        {
            differences.Add("  the hit is null");
            return differences;
        }

        void Check<T>(string name, T e, T a)
        {
            if (!EqualityComparer<T>.Default.Equals(e, a))
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"  {name}: expected {Show(e)}, actual {Show(a)}"));
            }
        }

        Check(nameof(Hit.Id), expected.Id, actual.Id);
        Check(nameof(Hit.SiteId), expected.SiteId, actual.SiteId);
        Check(nameof(Hit.Timestamp), expected.Timestamp.UtcDateTime, actual.Timestamp.UtcDateTime);
        Check(nameof(Hit.Timestamp) + ".Offset", TimeSpan.Zero, actual.Timestamp.Offset);
        Check(nameof(Hit.EventName), expected.EventName, actual.EventName);
        Check(nameof(Hit.Hostname), expected.Hostname, actual.Hostname);
        Check(nameof(Hit.Path), expected.Path, actual.Path);
        Check(nameof(Hit.Referrer), expected.Referrer, actual.Referrer);
        Check(nameof(Hit.ReferrerSource), expected.ReferrerSource, actual.ReferrerSource);
        Check(nameof(Hit.UtmSource), expected.UtmSource, actual.UtmSource);
        Check(nameof(Hit.UtmMedium), expected.UtmMedium, actual.UtmMedium);
        Check(nameof(Hit.UtmCampaign), expected.UtmCampaign, actual.UtmCampaign);
        Check(nameof(Hit.UtmTerm), expected.UtmTerm, actual.UtmTerm);
        Check(nameof(Hit.UtmContent), expected.UtmContent, actual.UtmContent);
        Check(nameof(Hit.VisitorId), expected.VisitorId, actual.VisitorId);
        Check(nameof(Hit.Browser), expected.Browser, actual.Browser);
        Check(nameof(Hit.BrowserVersion), expected.BrowserVersion, actual.BrowserVersion);
        Check(nameof(Hit.OperatingSystem), expected.OperatingSystem, actual.OperatingSystem);
        Check(nameof(Hit.OperatingSystemVersion), expected.OperatingSystemVersion, actual.OperatingSystemVersion);
        Check(nameof(Hit.DeviceType), expected.DeviceType, actual.DeviceType);
        Check(nameof(Hit.Country), expected.Country, actual.Country);
        Check(nameof(Hit.Region), expected.Region, actual.Region);
        Check(nameof(Hit.City), expected.City, actual.City);
        Check(nameof(Hit.ScreenWidth), expected.ScreenWidth, actual.ScreenWidth);
        Check(nameof(Hit.Language), expected.Language, actual.Language);
        Check(nameof(Hit.Channel), expected.Channel, actual.Channel);
        Check(nameof(Hit.PreviousVisitorId), expected.PreviousVisitorId, actual.PreviousVisitorId);
        Check(nameof(Hit.RevenueAmount), expected.RevenueAmount, actual.RevenueAmount);
        Check(nameof(Hit.RevenueCurrency), expected.RevenueCurrency, actual.RevenueCurrency);
        if (actual.Properties is null)
        {
            differences.Add("  Properties: null (must be an empty collection)");
        }
        else
        {
            var expectedProperties = expected.Properties.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
            var actualProperties = actual.Properties.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
            if (!expectedProperties.SequenceEqual(actualProperties))
            {
                differences.Add($"  Properties: expected {Show(expectedProperties)}, actual {Show(actualProperties)}");
            }
        }

        return differences;
    }

    private static string Show<T>(T value) => value switch
    {
        null => "null",
        string s => Quote(s),
        DateTime utc => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
        IEnumerable<KeyValuePair<string, string>> pairs => "{" + string.Join(", ", pairs.Select(p => Quote(p.Key) + ": " + Quote(p.Value))) + "}",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static string Quote(string s) =>
        s.Length <= 80
            ? "\"" + s + "\""
            : string.Create(CultureInfo.InvariantCulture, $"\"{s[..40]}…{s[^20..]}\" ({s.Length} chars)");
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Buffers;

namespace FrancisBeacon;

/// <summary>
/// What a stored text value can hold: every store keeps any string except two kinds of UTF-16 code unit, which
/// <see cref="Clean(string)"/> replaces with U+FFFD (the replacement character) before a hit is queued.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><description>U+0000 (NUL): PostgreSQL's <c>text</c> cannot hold a 0x00 byte and its <c>jsonb</c> rejects
/// <c>\u0000</c>, so one such value used to fail its whole batch.</description></item>
/// <item><description>An unpaired surrogate (a high surrogate not followed by a low one, or a low one not preceded by a
/// high one): it has no UTF-8 form, so a strict encoder throws and a lenient one writes U+FFFD.</description></item>
/// </list>
/// The replacement keeps the length in UTF-16 code units, so a value within <see cref="HitLimits"/> stays within them.
/// Every other character (other control characters included) is kept as it is. The beacon's ingestion pipeline
/// cleans every string field and every property key and value of every hit it makes; a caller of
/// <c>IHitStore.AppendAsync</c> that makes hits itself should do the same (<see cref="Clean(Hit)"/>).
/// </remarks>
public static class HitText
{
    /// <summary>The replacement for a code unit a store cannot hold: U+FFFD.</summary>
    public const char Replacement = '\uFFFD';

    // NUL and the whole surrogate range: a hit on the range means a closer look (a valid pair is kept).
    private static readonly SearchValues<char> Suspects = SearchValues.Create("\0" + SurrogateRange());

    /// <summary>Whether <paramref name="value"/> holds a NUL or an unpaired surrogate.</summary>
    /// <param name="value">The text; <see langword="null"/> needs no cleaning.</param>
    /// <returns><see langword="true"/> when <see cref="Clean(string)"/> would change the value.</returns>
    public static bool NeedsCleaning(ReadOnlySpan<char> value)
    {
        var at = value.IndexOfAny(Suspects);
        if (at < 0)
        {
            return false;
        }

        for (var i = at; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0' || char.IsLowSurrogate(c))
            {
                return true;
            }

            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return true;
                }

                i++;
            }
        }

        return false;
    }

    /// <summary>
    /// <paramref name="value"/> with every NUL and every unpaired surrogate replaced by <see cref="Replacement"/>; the
    /// same instance when there is nothing to replace (and <see langword="null"/> for <see langword="null"/>).
    /// </summary>
    /// <param name="value">The text to clean.</param>
    /// <returns>The cleaned text, of the same length.</returns>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
    public static string? Clean(string? value)
    {
        if (value is null || !NeedsCleaning(value))
        {
            return value;
        }

        return string.Create(value.Length, value, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                if (c == '\0' || char.IsLowSurrogate(c))
                {
                    span[i] = Replacement;
                }
                else if (char.IsHighSurrogate(c))
                {
                    if (i + 1 < source.Length && char.IsLowSurrogate(source[i + 1]))
                    {
                        span[i] = c;
                        span[i + 1] = source[i + 1];
                        i++;
                    }
                    else
                    {
                        span[i] = Replacement;
                    }
                }
                else
                {
                    span[i] = c;
                }
            }
        });
    }

    /// <summary>
    /// <paramref name="hit"/> with <see cref="Clean(string)"/> applied to every string field and to every property key
    /// and value; the same instance when nothing needed cleaning. Two keys that become equal keep the later value.
    /// </summary>
    /// <param name="hit">The hit.</param>
    /// <returns>The cleaned hit.</returns>
    public static Hit Clean(Hit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        if (!NeedsCleaning(hit))
        {
            return hit;
        }

        var properties = hit.Properties;
        if (PropertiesNeedCleaning(properties))
        {
            var cleaned = new Dictionary<string, string>(properties.Count, StringComparer.Ordinal);
            foreach (var (key, value) in properties)
            {
                cleaned[Clean(key)] = Clean(value);
            }

            properties = cleaned.AsReadOnly();
        }

        return hit with
        {
            SiteId = Clean(hit.SiteId),
            EventName = Clean(hit.EventName),
            Hostname = Clean(hit.Hostname),
            Path = Clean(hit.Path),
            Referrer = Clean(hit.Referrer),
            ReferrerSource = Clean(hit.ReferrerSource),
            Channel = Clean(hit.Channel),
            UtmSource = Clean(hit.UtmSource),
            UtmMedium = Clean(hit.UtmMedium),
            UtmCampaign = Clean(hit.UtmCampaign),
            UtmTerm = Clean(hit.UtmTerm),
            UtmContent = Clean(hit.UtmContent),
            Browser = Clean(hit.Browser),
            BrowserVersion = Clean(hit.BrowserVersion),
            OperatingSystem = Clean(hit.OperatingSystem),
            OperatingSystemVersion = Clean(hit.OperatingSystemVersion),
            DeviceType = Clean(hit.DeviceType),
            Country = Clean(hit.Country),
            Region = Clean(hit.Region),
            City = Clean(hit.City),
            Language = Clean(hit.Language),
            RevenueCurrency = Clean(hit.RevenueCurrency),
            Properties = properties,
        };
    }

    /// <summary>Whether any string field, property key or property value of <paramref name="hit"/> needs cleaning.</summary>
    /// <param name="hit">The hit.</param>
    /// <returns><see langword="true"/> when <see cref="Clean(Hit)"/> would change the hit.</returns>
    public static bool NeedsCleaning(Hit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        return NeedsCleaning(hit.SiteId) || NeedsCleaning(hit.EventName) || NeedsCleaning(hit.Hostname) ||
            NeedsCleaning(hit.Path) || NeedsCleaning(hit.Referrer) || NeedsCleaning(hit.ReferrerSource) ||
            NeedsCleaning(hit.Channel) || NeedsCleaning(hit.UtmSource) || NeedsCleaning(hit.UtmMedium) ||
            NeedsCleaning(hit.UtmCampaign) || NeedsCleaning(hit.UtmTerm) || NeedsCleaning(hit.UtmContent) ||
            NeedsCleaning(hit.Browser) || NeedsCleaning(hit.BrowserVersion) || NeedsCleaning(hit.OperatingSystem) ||
            NeedsCleaning(hit.OperatingSystemVersion) || NeedsCleaning(hit.DeviceType) || NeedsCleaning(hit.Country) ||
            NeedsCleaning(hit.Region) || NeedsCleaning(hit.City) || NeedsCleaning(hit.Language) ||
            NeedsCleaning(hit.RevenueCurrency) || PropertiesNeedCleaning(hit.Properties);
    }

    /// <summary>
    /// <paramref name="value"/> cut to its longest prefix of at most <paramref name="maxBytes"/> bytes of UTF-8, at a
    /// character boundary (a surrogate pair is kept whole or dropped whole); the same instance when it already fits
    /// (and <see langword="null"/> for <see langword="null"/>).
    /// </summary>
    /// <param name="value">The text. An unpaired surrogate counts as the three bytes of U+FFFD, as UTF-8 encoders write it
    /// (<see cref="Clean(string)"/> replaces it first in the pipeline and the stores).</param>
    /// <param name="maxBytes">The most bytes of UTF-8 the result may take.</param>
    /// <returns>The value, or its cut prefix.</returns>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(value))]
    public static string? Truncate(string? value, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        if (value is null || Fits(value, maxBytes))
        {
            return value;
        }

        // Every code unit takes at least one byte: the cut is within the first maxBytes units, and an ASCII run is
        // taken whole.
        var span = value.AsSpan(0, Math.Min(value.Length, maxBytes));
        var ascii = span.IndexOfAnyExceptInRange('\0', '\u007F');
        if (ascii < 0)
        {
            return value[..span.Length];
        }

        var bytes = ascii;
        var i = ascii;
        while (i < value.Length)
        {
            var c = value[i];
            int width, units = 1;
            if (c < 0x80)
            {
                width = 1;
            }
            else if (c < 0x800)
            {
                width = 2;
            }
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                width = 4;
                units = 2;
            }
            else
            {
                width = 3;
            }

            if (bytes + width > maxBytes)
            {
                break;
            }

            bytes += width;
            i += units;
        }

        return value[..i];
    }

    /// <summary>
    /// <paramref name="hit"/> with every string field cut to its <see cref="HitLimits"/> size in bytes of UTF-8
    /// (<see cref="Truncate(string, int)"/>): the path and the referrer to <see cref="HitLimits.MaxUrlBytes"/>, every
    /// other string field (site id included) to <see cref="HitLimits.MaxShortTextBytes"/>; and its properties bounded
    /// as a request's are, in characters: keys cut to <see cref="HitLimits.MaxPropertyKeyLength"/>, values to
    /// <see cref="HitLimits.MaxPropertyValueLength"/> (never inside a surrogate pair), and at most
    /// <see cref="HitLimits.MaxProperties"/> of them kept, the first keys in ordinal order (a key that its cut makes
    /// equal to one already kept is dropped). The same instance when every field fits.
    /// </summary>
    /// <remarks>
    /// The properties are bounded so that every hit a store holds is one an export file can carry back in
    /// (<c>HitExportReader</c> refuses more), whoever appended it.
    /// </remarks>
    /// <param name="hit">The hit.</param>
    /// <returns>The hit, or a copy with its over-long fields cut.</returns>
    public static Hit Truncate(Hit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        if (!NeedsTruncating(hit))
        {
            return hit;
        }

        const int Url = HitLimits.MaxUrlBytes;
        const int Short = HitLimits.MaxShortTextBytes;
        return hit with
        {
            SiteId = Truncate(hit.SiteId, Short),
            EventName = Truncate(hit.EventName, Short),
            Hostname = Truncate(hit.Hostname, Short),
            Path = Truncate(hit.Path, Url),
            Referrer = Truncate(hit.Referrer, Url),
            ReferrerSource = Truncate(hit.ReferrerSource, Short),
            Channel = Truncate(hit.Channel, Short),
            UtmSource = Truncate(hit.UtmSource, Short),
            UtmMedium = Truncate(hit.UtmMedium, Short),
            UtmCampaign = Truncate(hit.UtmCampaign, Short),
            UtmTerm = Truncate(hit.UtmTerm, Short),
            UtmContent = Truncate(hit.UtmContent, Short),
            Browser = Truncate(hit.Browser, Short),
            BrowserVersion = Truncate(hit.BrowserVersion, Short),
            OperatingSystem = Truncate(hit.OperatingSystem, Short),
            OperatingSystemVersion = Truncate(hit.OperatingSystemVersion, Short),
            DeviceType = Truncate(hit.DeviceType, Short),
            Country = Truncate(hit.Country, Short),
            Region = Truncate(hit.Region, Short),
            City = Truncate(hit.City, Short),
            Language = Truncate(hit.Language, Short),
            RevenueCurrency = Truncate(hit.RevenueCurrency, Short),
            Properties = PropertiesFit(hit.Properties) ? hit.Properties : TruncateProperties(hit.Properties),
        };
    }

    /// <summary>
    /// Whether any string field of <paramref name="hit"/> is longer than its <see cref="HitLimits"/> size in bytes, or its
    /// properties are more, or longer, than <see cref="HitLimits"/> allows.
    /// </summary>
    /// <param name="hit">The hit.</param>
    /// <returns><see langword="true"/> when <see cref="Truncate(Hit)"/> would change the hit.</returns>
    public static bool NeedsTruncating(Hit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        const int Url = HitLimits.MaxUrlBytes;
        const int Short = HitLimits.MaxShortTextBytes;
        return !Fits(hit.SiteId, Short) || !Fits(hit.EventName, Short) || !Fits(hit.Hostname, Short) ||
            !Fits(hit.Path, Url) || !Fits(hit.Referrer, Url) || !Fits(hit.ReferrerSource, Short) ||
            !Fits(hit.Channel, Short) || !Fits(hit.UtmSource, Short) || !Fits(hit.UtmMedium, Short) ||
            !Fits(hit.UtmCampaign, Short) || !Fits(hit.UtmTerm, Short) || !Fits(hit.UtmContent, Short) ||
            !Fits(hit.Browser, Short) || !Fits(hit.BrowserVersion, Short) || !Fits(hit.OperatingSystem, Short) ||
            !Fits(hit.OperatingSystemVersion, Short) || !Fits(hit.DeviceType, Short) || !Fits(hit.Country, Short) ||
            !Fits(hit.Region, Short) || !Fits(hit.City, Short) || !Fits(hit.Language, Short) ||
            !Fits(hit.RevenueCurrency, Short) || !PropertiesFit(hit.Properties);
    }

    /// <summary>Whether <paramref name="value"/> takes at most <paramref name="maxBytes"/> bytes of UTF-8.</summary>
    /// <param name="value">The text; <see langword="null"/> fits.</param>
    /// <param name="maxBytes">The most bytes.</param>
    /// <returns><see langword="true"/> when <see cref="Truncate(string, int)"/> would return the value unchanged.</returns>
    public static bool Fits(string? value, int maxBytes)
    {
        if (value is null || value.Length * 3L <= maxBytes)
        {
            return true; // at most three bytes per UTF-16 code unit (a surrogate pair takes four for two units)
        }

        return value.Length <= maxBytes && System.Text.Encoding.UTF8.GetByteCount(value) <= maxBytes;
    }

    private static bool PropertiesFit(IReadOnlyDictionary<string, string> properties)
    {
        if (properties.Count == 0)
        {
            return true;
        }

        if (properties.Count > HitLimits.MaxProperties)
        {
            return false;
        }

        if (properties is Dictionary<string, string> dictionary)
        {
            foreach (var (key, value) in dictionary)
            {
                if (key.Length > HitLimits.MaxPropertyKeyLength || value.Length > HitLimits.MaxPropertyValueLength)
                {
                    return false;
                }
            }

            return true;
        }

        foreach (var (key, value) in properties)
        {
            if (key.Length > HitLimits.MaxPropertyKeyLength || value.Length > HitLimits.MaxPropertyValueLength)
            {
                return false;
            }
        }

        return true;
    }

    private static System.Collections.ObjectModel.ReadOnlyDictionary<string, string> TruncateProperties(IReadOnlyDictionary<string, string> properties)
    {
        var kept = new Dictionary<string, string>(Math.Min(properties.Count, HitLimits.MaxProperties), StringComparer.Ordinal);
        foreach (var key in properties.Keys.Order(StringComparer.Ordinal))
        {
            if (kept.Count == HitLimits.MaxProperties)
            {
                break;
            }

            kept.TryAdd(CutChars(key, HitLimits.MaxPropertyKeyLength), CutChars(properties[key], HitLimits.MaxPropertyValueLength));
        }

        return kept.AsReadOnly();
    }

    // At most maxLength UTF-16 code units, one fewer when the cut would split a surrogate pair.
    private static string CutChars(string value, int maxLength) =>
        value.Length <= maxLength ? value :
        value[..(char.IsHighSurrogate(value[maxLength - 1]) && char.IsLowSurrogate(value[maxLength]) ? maxLength - 1 : maxLength)];

    private static bool PropertiesNeedCleaning(IReadOnlyDictionary<string, string> properties)
    {
        if (properties.Count == 0)
        {
            return false;
        }

        if (properties is Dictionary<string, string> dictionary)
        {
            // The struct enumerator: no enumerator object per hit (the pipeline's readers make Dictionary instances).
            foreach (var (key, value) in dictionary)
            {
                if (NeedsCleaning(key) || NeedsCleaning(value))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (var (key, value) in properties)
        {
            if (NeedsCleaning(key) || NeedsCleaning(value))
            {
                return true;
            }
        }

        return false;
    }

    private static string SurrogateRange()
    {
        var chars = new char[0xE000 - 0xD800];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = (char)(0xD800 + i);
        }

        return new string(chars);
    }
}

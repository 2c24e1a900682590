namespace FrancisBeacon;

/// <summary>
/// The longest values a hit may carry. The ingestion pipeline rejects or truncates longer input before it reaches a
/// store, and every store must keep values up to these lengths exactly (the conformance kit checks it).
/// </summary>
public static class HitLimits
{
    /// <summary>The longest page URL or referrer accepted, in characters: 2048.</summary>
    public const int MaxUrlLength = 2048;

    /// <summary>The longest site id, host name, event name or other short text field, in characters: 256.</summary>
    public const int MaxShortTextLength = 256;

    /// <summary>The most custom properties one hit may carry: 30.</summary>
    public const int MaxProperties = 30;

    /// <summary>The longest custom property key, in characters: 256.</summary>
    public const int MaxPropertyKeyLength = 256;

    /// <summary>The longest custom property value, in characters: 2048.</summary>
    public const int MaxPropertyValueLength = 2048;
}

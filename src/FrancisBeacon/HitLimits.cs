namespace FrancisBeacon;

/// <summary>
/// The longest values a hit may carry. The ingestion pipeline rejects or truncates longer input before it reaches a
/// store, and every store must keep values up to these lengths exactly (the conformance kit checks it).
/// </summary>
/// <remarks>
/// <para>
/// Two kinds of limit. The <c>…Length</c> limits, in characters (UTF-16 code units), bound what a request may send: a
/// longer URL, event name or property is refused or ignored where it is read. The <c>…Bytes</c> limits, in bytes of
/// UTF-8, bound what a stored hit holds in the fields the stores key their rollups on (site id, path, referrer and
/// every other string field but the properties): the pipeline cuts a longer value with
/// <see cref="HitText.Truncate(Hit)"/> (at a character boundary, never inside a surrogate pair), and every store cuts
/// a hit handed to <c>IHitStore.AppendAsync</c> the same way.
/// </para>
/// <para>
/// Why bytes: PostgreSQL's B-tree index entries hold at most 2,704 bytes, and several rollup keys hold a site id and
/// two values (<c>rollup_page_visits</c>: site id, path and a visit value such as the entry page or the referrer),
/// which do not compress when the text is random. With <see cref="MaxShortTextBytes"/> for the site id, two values of
/// <see cref="MaxUrlBytes"/> make a 2,392-byte entry; the ceiling is about 1,180 bytes per value (docs/storage.md,
/// "What a stored value can hold"). A 2,048-character CJK path is about 6 KB of UTF-8, so limits in characters could
/// not hold.
/// </para>
/// </remarks>
public static class HitLimits
{
    /// <summary>
    /// The longest page URL or referrer URL a request may send, in characters: 2048. The path and referrer taken from
    /// it are then cut to <see cref="MaxUrlBytes"/>.
    /// </summary>
    public const int MaxUrlLength = 2048;

    /// <summary>
    /// The longest site id, host name, event name or other short text field a request may send, in characters: 256.
    /// The stored value is then cut to <see cref="MaxShortTextBytes"/>.
    /// </summary>
    public const int MaxShortTextLength = 256;

    /// <summary>
    /// The longest stored path (<see cref="Hit.Path"/>) or referrer (<see cref="Hit.Referrer"/>), in bytes of UTF-8:
    /// 1024 (1,024 ASCII characters, 341 CJK characters).
    /// </summary>
    public const int MaxUrlBytes = 1024;

    /// <summary>
    /// The longest stored site id, host name, event name or other short text field (every string field of a
    /// <see cref="Hit"/> but the path, the referrer and the properties), in bytes of UTF-8: 256. Site ids longer than
    /// this are refused where sites are configured, not cut.
    /// </summary>
    public const int MaxShortTextBytes = 256;

    /// <summary>
    /// The most custom properties one hit may carry: 30. A request with more is refused; a store keeps the first 30 keys
    /// in ordinal order of a hit handed to <c>IHitStore.AppendAsync</c> with more (<see cref="HitText.Truncate(Hit)"/>).
    /// </summary>
    public const int MaxProperties = 30;

    /// <summary>
    /// The longest custom property key, in characters: 256. Properties are not cut to a number of bytes (no index holds
    /// them) but to these lengths: a store cuts a longer key or value of a hit handed to <c>IHitStore.AppendAsync</c>
    /// (<see cref="HitText.Truncate(Hit)"/>), a request with one is refused.
    /// </summary>
    public const int MaxPropertyKeyLength = 256;

    /// <summary>The longest custom property value, in characters: 2048 (not cut to a number of bytes, like the keys).</summary>
    public const int MaxPropertyValueLength = 2048;
}

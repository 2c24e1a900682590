namespace FrancisBeacon.AspNetCore;

/// <summary>
/// One read-only dashboard share link, <c>{dashboard}/share/{token}</c>, stored as the SHA-256 hash of its token.
/// It opens the dashboard of one site and reaches nothing but that site's read API.
/// </summary>
public sealed class BeaconShareLinkOptions
{
    /// <summary>A name that identifies the link in logs and claims (never the token). Required, unique.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>
    /// The lowercase hexadecimal SHA-256 of the token (64 characters), as printed by
    /// <see cref="BeaconTokens.CreateShareLink"/>. Required, unique.
    /// </summary>
    public string Hash { get; set; } = string.Empty;

    /// <summary>The one site the link shows. Required.</summary>
    public string Site { get; set; } = string.Empty;

    /// <summary>When the link stops working. Default: <see langword="null"/> (never).</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}

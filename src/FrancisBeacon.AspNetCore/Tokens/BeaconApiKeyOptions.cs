namespace FrancisBeacon.AspNetCore;

/// <summary>One API key: a bearer token for the query API, stored as its SHA-256 hash.</summary>
public sealed class BeaconApiKeyOptions
{
    /// <summary>A name that identifies the key in logs and claims (never the token). Required, unique.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>
    /// The lowercase hexadecimal SHA-256 of the token (64 characters), as printed by
    /// <see cref="BeaconTokens.CreateApiKey"/> or <see cref="BeaconTokens.ComputeHash"/>. Required, unique.
    /// </summary>
    public string Hash { get; set; } = string.Empty;

    /// <summary>
    /// The site ids the key may query; <c>*</c> allows every site. Calls about any other site answer 403, and
    /// <c>GET {api}/sites</c> lists only these. Required (at least one).
    /// </summary>
    public IList<string> Sites { get; } = [];

    /// <summary>When the key stops working. Default: <see langword="null"/> (never).</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}

namespace FrancisBeacon.AspNetCore;

/// <summary>A freshly minted token and the hash to configure. Show the token once; store only the hash.</summary>
/// <param name="Token">The secret handed to the caller (an API key, or the last segment of a share link).</param>
/// <param name="Hash">Its lowercase hexadecimal SHA-256, for <see cref="BeaconApiKeyOptions.Hash"/> or <see cref="BeaconShareLinkOptions.Hash"/>.</param>
public sealed record BeaconTokenSecret(string Token, string Hash)
{
    /// <summary>Only the hash: the token must not end up in logs by accident.</summary>
    /// <returns>A description that omits <see cref="Token"/>.</returns>
    public override string ToString() => $"BeaconTokenSecret {{ Hash = {Hash} }}";
}

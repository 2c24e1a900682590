using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;

namespace FrancisBeacon.AspNetCore;

/// <summary>Mints API keys and share-link tokens, and hashes tokens the way <see cref="BeaconTokenOptions"/> stores them.</summary>
/// <remarks>
/// A token is a prefix (<c>fbk_</c> for API keys, <c>fbs_</c> for share links, so secret scanners and log reviewers
/// can tell them apart) followed by 32 random bytes from <see cref="RandomNumberGenerator"/> in base64url: 256 bits
/// of entropy, which is why an unsalted SHA-256 is a sound way to keep it at rest.
/// </remarks>
public static class BeaconTokens
{
    /// <summary>The prefix of every API key: <c>fbk_</c>.</summary>
    public const string ApiKeyPrefix = "fbk_";

    /// <summary>The prefix of every share-link token: <c>fbs_</c>.</summary>
    public const string ShareLinkPrefix = "fbs_";

    /// <summary>The longest token the beacon looks at; longer ones are rejected without hashing.</summary>
    internal const int MaxTokenLength = 128;

    /// <summary>Mints a new API key and its hash.</summary>
    /// <returns>The key (show it once) and the hash to put in <see cref="BeaconApiKeyOptions.Hash"/>.</returns>
    public static BeaconTokenSecret CreateApiKey() => Create(ApiKeyPrefix);

    /// <summary>Mints a new share-link token and its hash; the link is <c>{dashboard}/share/{token}</c>.</summary>
    /// <returns>The token (show it once) and the hash to put in <see cref="BeaconShareLinkOptions.Hash"/>.</returns>
    public static BeaconTokenSecret CreateShareLink() => Create(ShareLinkPrefix);

    /// <summary>The lowercase hexadecimal SHA-256 of the UTF-8 bytes of <paramref name="token"/>.</summary>
    /// <param name="token">A token as handed to the caller.</param>
    /// <returns>64 lowercase hexadecimal characters.</returns>
    public static string ComputeHash(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>
    /// Whether <paramref name="principal"/> was authenticated by a beacon API key or share link (it carries a
    /// <see cref="BeaconTokenDefaults.KindClaimType"/> claim). Endpoints that change or erase data refuse such callers:
    /// beacon tokens are read-only.
    /// </summary>
    /// <param name="principal">The caller, usually <c>HttpContext.User</c>.</param>
    /// <returns><see langword="true"/> when any identity of the principal came from a beacon token.</returns>
    public static bool IsToken(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.HasClaim(c => c.Type == BeaconTokenDefaults.KindClaimType);
    }

    private static BeaconTokenSecret Create(string prefix)
    {
        var token = prefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return new BeaconTokenSecret(token, ComputeHash(token));
    }
}

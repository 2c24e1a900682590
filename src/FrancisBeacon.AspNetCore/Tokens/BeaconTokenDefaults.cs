namespace FrancisBeacon.AspNetCore;

/// <summary>Names used by the beacon's token authentication: its scheme, claim types and claim values.</summary>
public static class BeaconTokenDefaults
{
    /// <summary>
    /// The authentication scheme that reads API keys from <c>Authorization: Bearer</c>: <c>BeaconToken</c>. Name it
    /// in a policy (<c>policy.AddAuthenticationSchemes(..., BeaconTokenDefaults.AuthenticationScheme)</c>) to let
    /// that policy accept API keys besides the app's own users.
    /// </summary>
    public const string AuthenticationScheme = "BeaconToken";

    /// <summary>
    /// Claim type naming what kind of token authenticated the caller: <see cref="ApiKeyKind"/> or
    /// <see cref="ShareLinkKind"/>. Every principal built from a beacon token has exactly one; endpoints that change
    /// data must refuse principals that carry it (see <see cref="BeaconTokens.IsToken"/>).
    /// </summary>
    public const string KindClaimType = "francisbeacon:token_kind";

    /// <summary>
    /// Claim type of a site the caller may read, one claim per site (<c>*</c> for every site). A principal with any
    /// such claim is restricted to those sites on every endpoint that takes <c>site_id</c>, whichever scheme issued it,
    /// so an app can scope its own users the same way.
    /// </summary>
    public const string SiteClaimType = "francisbeacon:site";

    /// <summary>Claim type of the configured name of the token (never the token itself).</summary>
    public const string NameClaimType = "francisbeacon:token_name";

    /// <summary>Claim type of what the token may do; beacon tokens carry only <see cref="ReadScope"/>.</summary>
    public const string ScopeClaimType = "francisbeacon:scope";

    /// <summary>The <see cref="ScopeClaimType"/> value of read-only access: <c>read</c>.</summary>
    public const string ReadScope = "read";

    /// <summary>The <see cref="KindClaimType"/> value of an API key: <c>api_key</c>.</summary>
    public const string ApiKeyKind = "api_key";

    /// <summary>The <see cref="KindClaimType"/> value of a dashboard share link: <c>share_link</c>.</summary>
    public const string ShareLinkKind = "share_link";

    /// <summary>The <see cref="SiteClaimType"/> value that allows every site: <c>*</c>.</summary>
    public const string AllSites = "*";
}

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// API keys and dashboard share links, registered by <c>AddBeacon(...).AddTokens(...)</c> (see docs/api.md and
/// docs/dashboard.md). Only SHA-256 hashes of the tokens are kept here; mint a token and its hash with
/// <see cref="BeaconTokens.CreateApiKey"/> or <see cref="BeaconTokens.CreateShareLink"/>.
/// </summary>
/// <remarks>
/// Read through <c>IOptionsMonitor</c>: when the options are bound to a configuration source that reloads
/// (appsettings.json does), removing an entry revokes its token without a restart.
/// </remarks>
public sealed class BeaconTokenOptions
{
    /// <summary>Bearer tokens for the query API, each scoped to a set of sites. Default: none.</summary>
    public IList<BeaconApiKeyOptions> ApiKeys { get; } = [];

    /// <summary>Read-only dashboard share links, each scoped to one site. Default: none.</summary>
    public IList<BeaconShareLinkOptions> ShareLinks { get; } = [];
}

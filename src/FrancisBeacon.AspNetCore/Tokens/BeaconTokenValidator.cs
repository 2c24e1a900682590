using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// Turns a presented token into a principal: hashes it with SHA-256 and compares the hash with every configured one
/// in constant time. Reads <see cref="BeaconTokenOptions"/> through <see cref="IOptionsMonitor{TOptions}"/>, so a
/// removed entry is revoked as soon as its configuration reloads. Never logs a token, only configured names.
/// </summary>
internal sealed partial class BeaconTokenValidator(IOptionsMonitor<BeaconTokenOptions> options, TimeProvider time, ILogger<BeaconTokenValidator> logger)
{
    // Anyone can send a made-up token, and the lines name no client: one line a minute with the count says as much.
    private readonly LogThrottle _unknownLog = new(time);
    private readonly LogThrottle _invalidConfigurationLog = new(time);

    public const string InvalidApiKey = "The API key is invalid, expired or revoked.";
    public const string InvalidShareLink = "The share link is invalid, expired or revoked.";

    /// <summary>The principal of a valid API key, or <see langword="null"/>.</summary>
    public ClaimsPrincipal? ValidateApiKey(string token)
    {
        var keys = Current()?.ApiKeys ?? [];
        var match = Find(token, BeaconTokens.ApiKeyPrefix, keys.Count, i => keys[i].Hash);
        if (match < 0)
        {
            LogUnknown(BeaconTokenDefaults.ApiKeyKind);
            return null;
        }

        var key = keys[match];
        if (key.ExpiresAt is { } expires && expires <= time.GetUtcNow())
        {
            Expired(logger, BeaconTokenDefaults.ApiKeyKind, key.Name, expires);
            return null;
        }

        Accepted(logger, BeaconTokenDefaults.ApiKeyKind, key.Name);
        return Principal(BeaconTokenDefaults.ApiKeyKind, key.Name, key.Sites.Select(s => s.Trim()));
    }

    /// <summary>The principal of a valid share link, or <see langword="null"/>.</summary>
    public ClaimsPrincipal? ValidateShareLink(string token)
    {
        var links = Current()?.ShareLinks ?? [];
        var match = Find(token, BeaconTokens.ShareLinkPrefix, links.Count, i => links[i].Hash);
        if (match < 0)
        {
            LogUnknown(BeaconTokenDefaults.ShareLinkKind);
            return null;
        }

        var link = links[match];
        if (link.ExpiresAt is { } expires && expires <= time.GetUtcNow())
        {
            Expired(logger, BeaconTokenDefaults.ShareLinkKind, link.Name, expires);
            return null;
        }

        Accepted(logger, BeaconTokenDefaults.ShareLinkKind, link.Name);
        return Principal(BeaconTokenDefaults.ShareLinkKind, link.Name, [link.Site.Trim()]);
    }

    // A configuration reloaded with invalid entries fails closed (no token works) instead of failing the request.
    private BeaconTokenOptions? Current()
    {
        try
        {
            return options.CurrentValue;
        }
        catch (OptionsValidationException ex)
        {
            if (_invalidConfigurationLog.Count() is var count and > 0)
            {
                InvalidConfiguration(logger, count, ex.Message);
            }

            return null;
        }
    }

    private void LogUnknown(string kind)
    {
        if (_unknownLog.Count() is var count and > 0)
        {
            UnknownToken(logger, count, kind);
        }
    }

    private static int Find(string token, string prefix, int count, Func<int, string> hashAt)
    {
        if (token.Length > BeaconTokens.MaxTokenLength || !token.StartsWith(prefix, StringComparison.Ordinal))
        {
            return -1;
        }

        Span<byte> presented = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(token), presented);
        Span<byte> configured = stackalloc byte[32];
        var match = -1;
        // Every entry is compared, each in constant time, so timing says nothing about which entry (if any) matched.
        for (var i = 0; i < count; i++)
        {
            var hex = hashAt(i);
            if (!BeaconTokenOptionsValidator.IsSha256Hex(hex) ||
                Convert.FromHexString(hex, configured, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
            {
                continue;
            }

            if (CryptographicOperations.FixedTimeEquals(presented, configured) && match < 0)
            {
                match = i;
            }
        }

        return match;
    }

    private static ClaimsPrincipal Principal(string kind, string name, IEnumerable<string> sites)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, kind + ":" + name),
            new(BeaconTokenDefaults.NameClaimType, name),
            new(BeaconTokenDefaults.KindClaimType, kind),
            new(BeaconTokenDefaults.ScopeClaimType, BeaconTokenDefaults.ReadScope),
        };
        claims.AddRange(sites.Select(s => new Claim(BeaconTokenDefaults.SiteClaimType, s)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, BeaconTokenDefaults.AuthenticationScheme));
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Debug, Message = "Beacon {Kind} {Name} accepted.")]
    private static partial void Accepted(ILogger logger, string kind, string name);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Information, Message = "{Count} beacon token(s) matched no configured entry (unknown or revoked), the latest of kind {Kind}; logged at most once a minute.")]
    private static partial void UnknownToken(ILogger logger, long count, string kind);

    [LoggerMessage(EventId = 7104, Level = LogLevel.Error, Message = "The beacon token configuration is invalid, so no API key or share link is accepted ({Count} request(s) refused since the last line; logged at most once a minute): {Problems}")]
    private static partial void InvalidConfiguration(ILogger logger, long count, string problems);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Information, Message = "Beacon {Kind} {Name} was refused: it expired at {ExpiresAt:O}.")]
    private static partial void Expired(ILogger logger, string kind, string name, DateTimeOffset expiresAt);
}

using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>A tracked site as the pipeline sees it.</summary>
internal sealed record ResolvedSite(string Id, TimeZoneInfo TimeZone, BeaconSiteOptions Settings)
{
    public ResolvedSite(string id, TimeZoneInfo timeZone)
        : this(id, timeZone, new BeaconSiteOptions { Id = id })
    {
    }
}

/// <summary>Maps a page's host name to its site, and a site id to its time zone, from <see cref="BeaconOptions.Sites"/>.</summary>
internal sealed class SiteResolver
{
    private readonly Dictionary<string, ResolvedSite> _byHost = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<(string Suffix, ResolvedSite Site)> _wildcards = [];
    private readonly Dictionary<string, ResolvedSite> _byId = new(StringComparer.OrdinalIgnoreCase);
    private readonly ResolvedSite? _default;
    private readonly TimeZoneInfo _defaultZone;
    private readonly HashSet<string>? _allowed;

    // With no configured site each host name is its own site: one ResolvedSite per host name, not one per hit (its
    // settings object is what HitFactory's parse cache is keyed on).
    private readonly ParseCache<ResolvedSite> _implicit;

    public SiteResolver(IOptions<BeaconOptions> options)
    {
        var value = options.Value;
        _defaultZone = SiteTimeZones.TryFind(value.DefaultTimeZone, out var zone) ? zone : TimeZoneInfo.Utc;
        foreach (var site in value.Sites)
        {
            var resolved = new ResolvedSite(site.Id, SiteTimeZones.TryFind(site.TimeZone, out var z) ? z : TimeZoneInfo.Utc, site);
            _byId[site.Id] = resolved;
            foreach (var host in site.Hostnames.Count == 0 ? [site.Id] : site.Hostnames)
            {
                if (host.StartsWith("*.", StringComparison.Ordinal))
                {
                    _wildcards.Add((host[1..], resolved));
                }
                else
                {
                    _byHost[host] = resolved;
                }
            }
        }

        HasConfiguredSites = value.Sites.Count > 0;
        _implicit = new ParseCache<ResolvedSite>(capacity: 1024, maxKeyLength: 253);
        if (value.DefaultSiteId is { Length: > 0 } defaultId)
        {
            _default = _byId.TryGetValue(defaultId, out var d) ? d : new ResolvedSite(defaultId, _defaultZone);
        }
    }

    // A view of another resolver restricted to some site ids (see For).
    private SiteResolver(SiteResolver all, HashSet<string> allowed)
    {
        _byHost = all._byHost;
        _wildcards = all._wildcards;
        _byId = all._byId;
        _default = all._default;
        _defaultZone = all._defaultZone;
        HasConfiguredSites = all.HasConfiguredSites;
        _implicit = all._implicit;
        _allowed = allowed;
    }

    /// <summary>Whether the owner configured any site (else each host name is its own site).</summary>
    public bool HasConfiguredSites { get; }

    /// <summary>The configured sites (only those the caller may read, on a view from <see cref="For"/>).</summary>
    public IEnumerable<ResolvedSite> Sites => _allowed is null ? _byId.Values : _byId.Values.Where(s => _allowed.Contains(s.Id));

    /// <summary>The site ids a restricted view allows, or <see langword="null"/> when every site is allowed.</summary>
    public IReadOnlySet<string>? AllowedSiteIds => _allowed;

    /// <summary>
    /// This resolver as <paramref name="user"/> may use it: a caller with <see cref="BeaconTokenDefaults.SiteClaimType"/>
    /// claims (an API key, a share link, or an app user given such claims) sees only those sites, and asking about any
    /// other answers 403. Everyone else gets this resolver unchanged.
    /// </summary>
    public SiteResolver For(ClaimsPrincipal? user)
    {
        if (user is null || !user.HasClaim(c => c.Type == BeaconTokenDefaults.SiteClaimType))
        {
            return this;
        }

        var allowed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var claim in user.FindAll(BeaconTokenDefaults.SiteClaimType))
        {
            if (claim.Value == BeaconTokenDefaults.AllSites)
            {
                return this;
            }

            allowed.Add(claim.Value.Trim());
        }

        return new SiteResolver(this, allowed);
    }

    /// <summary>The site a page host name belongs to, or <see langword="null"/> when it belongs to none.</summary>
    public ResolvedSite? ForHost(string hostname) => ForHost(hostname, null);

    /// <summary>
    /// The site a page host name belongs to; when it belongs to no configured site, the first configured site named
    /// in <paramref name="siteIdHint"/> (a site id, or several separated by commas, as trackers send <c>domain</c>),
    /// then <see cref="BeaconOptions.DefaultSiteId"/>. <see langword="null"/> when none applies.
    /// </summary>
    public ResolvedSite? ForHost(string hostname, string? siteIdHint)
    {
        if (_byHost.TryGetValue(hostname, out var site))
        {
            return site;
        }

        foreach (var (suffix, wildcardSite) in _wildcards)
        {
            if (hostname.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && hostname.Length > suffix.Length)
            {
                return wildcardSite;
            }
        }

        if (!string.IsNullOrWhiteSpace(siteIdHint) && _byId.Count > 0)
        {
            foreach (var id in siteIdHint.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (_byId.TryGetValue(id, out var hinted))
                {
                    return hinted;
                }
            }
        }

        if (_default is not null)
        {
            return _default;
        }

        if (HasConfiguredSites)
        {
            return null;
        }

        if (!_implicit.TryGet(hostname, out var implicitSite))
        {
            // The host name would be the site id: one longer than a stored site id may be is refused, not cut (two
            // host names cut to the same prefix would share a site).
            if (!HitText.Fits(hostname, HitLimits.MaxShortTextBytes))
            {
                return null;
            }

            implicitSite = new ResolvedSite(hostname, _defaultZone);
            _implicit.Set(hostname, implicitSite);
        }

        return implicitSite;
    }

    /// <summary>The message of the error for a site id that is not configured (answered with 404).</summary>
    public const string UnknownSiteMessage = "Unknown site; it is not in the configured Sites.";

    /// <summary>The message of the error for a site outside the caller's scope (answered with 403).</summary>
    public const string ForbiddenSiteMessage = "This credential may not read that site.";

    /// <summary>
    /// The site an API call asks about: the given id, or the only configured site when none is given. Throws
    /// <see cref="Querying.HitQueryException"/> for field <c>site_id</c> otherwise (see <see cref="StatusCodeFor"/>).
    /// </summary>
    public ResolvedSite ForQuery(string? siteId)
    {
        if (string.IsNullOrWhiteSpace(siteId) && _allowed is { Count: 1 })
        {
            siteId = _allowed.First();
        }

        if (string.IsNullOrWhiteSpace(siteId))
        {
            var configured = Sites.ToList();
            return configured.Count == 1 ? configured[0] : throw new Querying.HitQueryException("site_id", "site_id is required.");
        }

        if (siteId.Length > HitLimits.MaxShortTextLength || !HitText.Fits(siteId, HitLimits.MaxShortTextBytes))
        {
            throw new Querying.HitQueryException("site_id", "site_id is too long.");
        }

        if (siteId.AsSpan().Trim().IndexOfAnyInRange('\0', '\x1f') >= 0)
        {
            // No stored site id holds a control character (they are host names or configured ids), and with no
            // configured sites any id is a site: a NUL reached PostgreSQL, which refuses it in text (22021, a 500).
            throw new Querying.HitQueryException("site_id", "site_id holds a control character.");
        }

        // Out of scope answers 403 whether or not the site exists, so a token cannot probe for other sites.
        if (_allowed is not null && !_allowed.Contains(siteId.Trim()))
        {
            throw new Querying.HitQueryException("site_id", ForbiddenSiteMessage);
        }

        return ForId(siteId.Trim()) ?? throw new Querying.HitQueryException("site_id", UnknownSiteMessage);
    }

    /// <summary>The HTTP status of an invalid query: 404 for an unknown site, 403 for a site out of scope, else 400.</summary>
    public static int StatusCodeFor(Querying.HitQueryException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.Field != "site_id" ? 400
            : exception.Reason == UnknownSiteMessage ? 404
            : exception.Reason == ForbiddenSiteMessage ? 403
            : 400;
    }

    /// <summary>The site with an id, for queries; unconfigured ids are allowed only when no site is configured.</summary>
    public ResolvedSite? ForId(string siteId)
    {
        if (_byId.TryGetValue(siteId, out var site))
        {
            return site;
        }

        if (_default is not null && string.Equals(_default.Id, siteId, StringComparison.OrdinalIgnoreCase))
        {
            return _default;
        }

        return HasConfiguredSites ? null : new ResolvedSite(siteId, _defaultZone);
    }
}

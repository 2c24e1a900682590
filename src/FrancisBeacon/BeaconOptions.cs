namespace FrancisBeacon;

/// <summary>Options of the beacon pipeline, bound from code or from configuration (section shape in docs/configuration.md).</summary>
public sealed class BeaconOptions
{
    /// <summary>The path under which <c>UseBeacon</c> serves its endpoints. Default: <c>/beacon</c>.</summary>
    public string PathPrefix { get; set; } = "/beacon";

    /// <summary>
    /// The sites this app tracks. A hit whose host name belongs to no site is dropped (and counted) unless
    /// <see cref="DefaultSiteId"/> is set. Default: empty, which means every host name is its own site.
    /// </summary>
    public IList<BeaconSiteOptions> Sites { get; } = [];

    /// <summary>The site that receives hits whose host name matches no configured site. Default: none (drop them).</summary>
    public string? DefaultSiteId { get; set; }

    /// <summary>The time zone of sites not configured in <see cref="Sites"/>, as an IANA id. Default: <c>UTC</c>.</summary>
    public string DefaultTimeZone { get; set; } = "UTC";

    /// <summary>How many hits may wait for the writer; past it hits are dropped and counted. Default: 100 000.</summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>The most hits written in one batch. Default: 1 000.</summary>
    public int MaxBatchSize { get; set; } = 1_000;

    /// <summary>The longest a queued hit waits before its batch is written. Default: 1 second.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The largest request body the event endpoint reads, in bytes. Default: 8 192.</summary>
    public int MaxBodyBytes { get; set; } = 8 * 1024;

    /// <summary>
    /// How many leading bits of an IPv4 address go into the visitor id (8–32). 24 groups a /24 network into one
    /// visitor per user agent, for owners who want even less precision. Default: 32 (the whole address).
    /// </summary>
    public int VisitorIpv4PrefixLength { get; set; } = 32;

    /// <summary>How many leading bits of an IPv6 address go into the visitor id (16–128). Default: 128.</summary>
    public int VisitorIpv6PrefixLength { get; set; } = 128;
}

/// <summary>One tracked site.</summary>
public sealed class BeaconSiteOptions
{
    /// <summary>The site id, usually its domain (<c>example.com</c>). Required.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary>
    /// Host names whose hits belong to this site, compared case-insensitively; <c>*.example.com</c> matches every
    /// subdomain. Default: empty, meaning just <see cref="Id"/>.
    /// </summary>
    public IList<string> Hostnames { get; } = [];

    /// <summary>The site's IANA time zone, which decides where its days begin. Default: <c>UTC</c>.</summary>
    public string TimeZone { get; set; } = "UTC";
}

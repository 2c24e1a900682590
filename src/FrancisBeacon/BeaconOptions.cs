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

    /// <summary>
    /// How many hits may wait for the writer (queued or in the batch being written); past it hits are dropped and
    /// counted, or refused (<see cref="QueueFullMode"/>). Default: 100 000.
    /// </summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>
    /// The approximate memory, in bytes, that hits waiting for the writer may take (each hit is estimated from its
    /// fields and strings); past it hits are dropped and counted, or refused. Together with
    /// <see cref="QueueCapacity"/> it bounds the memory a stalled store can cost (1 MiB – 16 GiB). Default: 64 MiB.
    /// </summary>
    public long QueueMaxBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>What the collection endpoints do when the queue is full. Default: <see cref="BeaconQueueFullMode.Drop"/>.</summary>
    public BeaconQueueFullMode QueueFullMode { get; set; } = BeaconQueueFullMode.Drop;

    /// <summary>The <c>Retry-After</c> of a refused hit (<see cref="BeaconQueueFullMode.Refuse"/>), whole seconds (1 s – 1 h). Default: 10 seconds.</summary>
    public TimeSpan QueueFullRetryAfter { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The opt-in durable mode: a local spool file written before each hit is acknowledged. Off by default.</summary>
    public BeaconSpoolOptions Spool { get; } = new();

    /// <summary>
    /// The most hits written in one batch while the writer keeps up. When a batch reaches this size and at least as many
    /// hits again are already waiting behind it (a backlog: the store was slow or held by the rollup pass), the batch
    /// also takes those, up to <see cref="MaxBacklogBatchSize"/>. Default: 1 000.
    /// </summary>
    public int MaxBatchSize { get; set; } = 1_000;

    /// <summary>
    /// The most hits one batch takes while the writer catches up with a backlog (another <see cref="MaxBatchSize"/>
    /// waiting behind a full batch): fewer, larger write transactions cost the store less per hit and let a backlog drain between two
    /// transactions of a rollup pass instead of one batch at a time (docs/performance.md, "Round 12"). A value at or
    /// below <see cref="MaxBatchSize"/> writes backlogs in batches of <see cref="MaxBatchSize"/>. Default: 10 000.
    /// </summary>
    public int MaxBacklogBatchSize { get; set; } = 10_000;

    /// <summary>
    /// The longest a queued hit waits before its batch is written: the writer writes the hits that arrived within this
    /// time of a batch's first (or <see cref="MaxBatchSize"/> of them, sooner), so a steady load goes in batches of
    /// about its rate times this interval, and a full load in batches of <see cref="MaxBatchSize"/>. Short batches
    /// are short bursts of the writer's CPU, which the requests would otherwise wait behind (docs/performance.md,
    /// round 11). Default: 20 milliseconds.
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The largest request body the event endpoint reads, in bytes. Default: 8 192.</summary>
    public int MaxBodyBytes { get; set; } = 8 * 1024;

    /// <summary>
    /// The longest query string the collection endpoints accept, in characters; longer ones are answered <c>414</c>.
    /// Default: 4 096 (a 2 048-character page URL and referrer, percent-encoded, fit).
    /// </summary>
    public int MaxQueryStringLength { get; set; } = 4096;

    /// <summary>Optional per-client rate limiting of the collection endpoints. Off by default.</summary>
    public BeaconRateLimitOptions RateLimiting { get; } = new();

    /// <summary>How many query API requests run at once, and how many wait. Default: half the processors, 100 waiting.</summary>
    public BeaconQueryConcurrencyOptions QueryConcurrency { get; } = new();

    /// <summary>
    /// How many leading bits of an IPv4 address go into the visitor id (8–32). 24 groups a /24 network into one
    /// visitor per user agent, for owners who want even less precision. Default: 32 (the whole address).
    /// </summary>
    public int VisitorIpv4PrefixLength { get; set; } = 32;

    /// <summary>How many leading bits of an IPv6 address go into the visitor id (16–128). Default: 128.</summary>
    public int VisitorIpv6PrefixLength { get; set; } = 128;

    /// <summary>
    /// How long hits are kept: a background service deletes older hits of every site once an hour. Zero keeps hits
    /// forever. Default: zero.
    /// </summary>
    public TimeSpan RetentionPeriod { get; set; }

    /// <summary>
    /// How long the SQL stores' rollups (per-day and per-month aggregates) are kept: <see langword="null"/> (the default)
    /// keeps them exactly as long as hits (<see cref="RetentionPeriod"/>); zero keeps them forever; otherwise at least
    /// <see cref="RetentionPeriod"/>. Days older than <see cref="RetentionPeriod"/> but within this period are answered
    /// from rollups only (see docs/performance.md for which queries that covers).
    /// </summary>
    public TimeSpan? RollupRetentionPeriod { get; set; }

    /// <summary>
    /// How far below the app's priority the SQL stores' rollup passes run: the nice value (1–19) of the rollup worker's
    /// own thread on Linux (a lower thread priority on Windows); 0 (the default) runs them at the app's priority. Under
    /// load the requests then get the cores first and a pass takes longer; but a pass that holds SQLite's write lock
    /// while starved keeps the hit writer waiting, and threads the runtime creates from the worker's thread inherit its
    /// priority (docs/performance.md, round 9): measure before turning it on. Answers stay exact either way (days a pass
    /// has not reached are cut from the raw hits, see the stores' <c>MaxRollupLag</c>).
    /// </summary>
    public int RollupWorkerNice { get; set; }

    /// <summary>Record hits from detected bots instead of dropping them. Default: <see langword="false"/>.</summary>
    public bool IncludeBots { get; set; }

    /// <summary>Which header heuristics the bot filter applies (user-agent patterns always apply).</summary>
    public FrancisBeacon.Enrichment.BotDetectorOptions BotDetection { get; } = new();

    /// <summary>
    /// How many recently dropped bot hits to keep in memory for audit (time, site, path, reason; never the IP or
    /// the user agent), shown by the API's <c>/bots</c> endpoint. 0 turns the log off. Default: 200.
    /// </summary>
    public int BotLogSize { get; set; } = 200;

    /// <summary>Page views, 404s and server errors recorded from the app's own responses, with no script. Off by default.</summary>
    public ServerSideTrackingOptions ServerSideTracking { get; } = new();

    /// <summary>Drop-in endpoints for Plausible's and Umami's trackers. Off by default.</summary>
    public BeaconCompatibilityOptions Compatibility { get; } = new();
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

    /// <summary>
    /// Drop hits from browsers that send <c>Sec-GPC: 1</c> (Global Privacy Control). GPC is a legally recognised
    /// opt-out in some jurisdictions; honouring it undercounts the visitors who set it. Default: <see langword="true"/>.
    /// </summary>
    public bool RespectGlobalPrivacyControl { get; set; } = true;

    /// <summary>
    /// Drop hits from browsers that send <c>DNT: 1</c>. Do-Not-Track is deprecated and on by default in some
    /// browsers and privacy tools, so honouring it can drop a large share of real visitors. Default: <see langword="false"/>.
    /// </summary>
    public bool RespectDoNotTrack { get; set; }

    /// <summary>
    /// Query-string parameters kept in the stored path (for example <c>id</c> on <c>/product?id=5</c>); every other
    /// parameter is removed. UTM parameters, <c>ref</c> and <c>source</c> are always read into their own fields.
    /// Default: empty (paths carry no query string).
    /// </summary>
    public IList<string> QueryParameters { get; } = [];

    /// <summary>Keep the URL fragment as part of the path, for sites whose router uses <c>#/route</c>. Default: <see langword="false"/>.</summary>
    public bool HashRouting { get; set; }

    /// <summary>What to do with a trailing <c>/</c> on paths other than <c>/</c>. Default: <see cref="TrailingSlashMode.Keep"/>.</summary>
    public TrailingSlashMode TrailingSlash { get; set; } = TrailingSlashMode.Keep;

    /// <summary>
    /// The site's goals (as in Plausible), reported by the <c>event:goal</c> dimension and filter and the
    /// <c>conversion_rate</c> metric. Default: none.
    /// </summary>
    public IList<BeaconGoalOptions> Goals { get; } = [];

    /// <summary>
    /// The ISO 4217 currency the query API's <c>total_revenue</c> and <c>average_revenue</c> add up; revenue in other
    /// currencies is left out of them (no conversion). Default: <c>EUR</c>.
    /// </summary>
    public string RevenueCurrency { get; set; } = "EUR";

    /// <summary>The goals as query definitions, in configuration order.</summary>
    public IReadOnlyList<Querying.HitGoal> ResolveGoals() =>
        [.. Goals.Select(g => string.IsNullOrEmpty(g.EventName) ? Querying.HitGoal.Page(g.PagePath ?? string.Empty) : Querying.HitGoal.Event(g.EventName))];
}

/// <summary>A goal: set exactly one of <see cref="EventName"/> and <see cref="PagePath"/>.</summary>
public sealed class BeaconGoalOptions
{
    /// <summary>A custom event name (<c>Signup</c>); the goal is named after it.</summary>
    public string? EventName { get; set; }

    /// <summary>A page path with <c>*</c> as a wildcard for any characters (<c>/blog/*</c>); the goal is named <c>Visit /blog/*</c>.</summary>
    public string? PagePath { get; set; }
}

/// <summary>How paths ending in <c>/</c> are stored.</summary>
public enum TrailingSlashMode
{
    /// <summary>Store paths as the browser sent them: <c>/blog/</c> and <c>/blog</c> are two pages.</summary>
    Keep,

    /// <summary>Remove a trailing slash: <c>/blog/</c> is stored as <c>/blog</c>.</summary>
    Remove,
}

using System.Globalization;
using System.Security.Cryptography;
using FrancisBeacon.Enrichment;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// Server-side tracking (<see cref="ServerSideTrackingOptions"/>): after the app has answered a navigation, records a
/// page view (or a <c>404</c> / <c>Server Error</c> event) through the usual factory and pipeline, either at once or,
/// with <see cref="ServerSideTrackingOptions.RequireConfirmation"/>, once the page has loaded its confirmation image.
/// </summary>
internal sealed partial class ServerSideTracker : IDisposable
{
    /// <summary>The <see cref="HttpContext.Items"/> key of the request's confirmation token.</summary>
    internal static readonly object TokenKey = new();

    public const string NotFoundEvent = "404";
    public const string ServerErrorEvent = "Server Error";

    private readonly ServerSideTrackingOptions _options;
    private readonly PathString _prefix;
    private readonly PathString[] _excluded;
    private readonly HitFactory _factory;
    private readonly HitQueue _queue;
    private readonly BeaconMetrics _metrics;
    private readonly VisitorIdHasher _hasher;
    private readonly ILogger<ServerSideTracker> _logger;
    private readonly byte[] _requesterKey = RandomNumberGenerator.GetBytes(32);
    private int _missingTagLogged;

    public ServerSideTracker(IOptions<BeaconOptions> options, HitFactory factory, HitQueue queue, BeaconMetrics metrics, VisitorIdHasher hasher, TimeProvider time, ILogger<ServerSideTracker> logger)
    {
        var value = options.Value;
        _options = value.ServerSideTracking;
        _prefix = new PathString(value.PathPrefix);
        _excluded = [.. _options.ExcludePaths.Where(p => p.Length > 0 && p[0] == '/').Select(p => new PathString(p.TrimEnd('/').Length == 0 ? "/" : p.TrimEnd('/')))];
        _factory = factory;
        _queue = queue;
        _metrics = metrics;
        _hasher = hasher;
        _logger = logger;
        Enabled = _options.Enabled;
        RequireConfirmation = _options.Enabled && _options.RequireConfirmation;
        Pending = new PendingPageViews(_options.ConfirmationTimeout, time, metrics, RequireConfirmation);
    }

    /// <summary>Whether responses are tracked at all.</summary>
    public bool Enabled { get; }

    /// <summary>Whether page views wait for their confirmation image.</summary>
    public bool RequireConfirmation { get; }

    /// <summary>Page views waiting for their confirmation image.</summary>
    internal PendingPageViews Pending { get; }

    /// <summary>
    /// The confirmation token of the current request, created on first use; <see langword="null"/> when
    /// confirmation is not required.
    /// </summary>
    public string? GetOrCreateToken(HttpContext context)
    {
        if (!RequireConfirmation)
        {
            return null;
        }

        if (context.Items.TryGetValue(TokenKey, out var existing) && existing is string token)
        {
            return token;
        }

        token = Base64UrlToken();
        context.Items[TokenKey] = token;
        return token;
    }

    /// <summary>Runs the app, then records the response when it is a tracked navigation.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!IsCandidate(context.Request))
        {
            await next(context);
            return;
        }

        try
        {
            await next(context);
        }
        catch (Exception) when (RecordThrown(context))
        {
            throw; // never reached: RecordThrown returns false, so the exception passes untouched
        }

        Record(context, context.Response.StatusCode);
    }

    /// <summary>Answers <c>{prefix}/c/{token}.gif</c>: confirms the pending page view of that token, if any.</summary>
    public Task ConfirmAsync(HttpContext context, string token)
    {
        // Only a GET confirms: a HEAD (a link checker's) is answered the same headers and loads no image.
        if (RequireConfirmation && HttpMethods.IsGet(context.Request.Method) && token.Length is > 0 and <= 64)
        {
            var requester = RequesterOf(context);
            if (Pending.TryConfirm(token, requester) is { } hit)
            {
                _queue.TryEnqueue(hit);
            }
        }

        return BeaconMiddleware.WriteTransparentGifAsync(context);
    }

    public void Dispose() => Pending.Dispose();

    /// <summary>A GET navigation to a path that is neither the beacon's nor excluded.</summary>
    internal bool IsCandidate(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method) || request.Path.StartsWithSegments(_prefix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        foreach (var excluded in _excluded)
        {
            if (excluded.Value == "/" || request.Path.StartsWithSegments(excluded, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        var headers = request.Headers;
        var dest = headers["Sec-Fetch-Dest"].ToString();
        if (dest.Length > 0)
        {
            return dest.Equals("document", StringComparison.OrdinalIgnoreCase);
        }

        // No Fetch Metadata (plain http, older browsers): an HTML navigation asks for text/html, and script
        // requests for HTML fragments identify themselves.
        return headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase) &&
            headers["X-Requested-With"].Count == 0 &&
            headers["HX-Request"].Count == 0;
    }

    private bool RecordThrown(HttpContext context)
    {
        if (!context.RequestAborted.IsCancellationRequested)
        {
            Record(context, StatusCodes.Status500InternalServerError);
        }

        return false;
    }

    private void Record(HttpContext context, int status)
    {
        string eventName;
        Dictionary<string, string>? props = null;
        if (status is >= 200 and < 300 && IsHtml(context.Response.ContentType))
        {
            eventName = Hit.PageviewEvent;
        }
        else if (status == StatusCodes.Status404NotFound && _options.TrackNotFound)
        {
            eventName = NotFoundEvent;
            props = new(StringComparer.Ordinal) { ["path"] = Truncate(context.Request.PathBase.Add(context.Request.Path).Value ?? "/") };
        }
        else if (status is >= 500 and < 600 && _options.TrackServerErrors)
        {
            eventName = ServerErrorEvent;
            props = new(StringComparer.Ordinal) { ["status"] = status.ToString(CultureInfo.InvariantCulture) };
        }
        else
        {
            return;
        }

        var headers = context.Request.Headers;
        if (Contains(headers["Sec-Purpose"].ToString(), "prefetch") || Contains(headers["Purpose"].ToString(), "prefetch"))
        {
            Drop(DropReasons.Prefetch);
            return;
        }

        var token = context.Items.TryGetValue(TokenKey, out var value) ? value as string : null;
        var isPageview = eventName == Hit.PageviewEvent;
        if (RequireConfirmation && token is null && isPageview)
        {
            // The page rendered no confirmation image, so it could never be confirmed.
            Drop(DropReasons.ConfirmationMissing);
            if (Interlocked.Exchange(ref _missingTagLogged, 1) == 0)
            {
                LogConfirmationMissing(_logger);
            }

            return;
        }

        if (RequestUrls.PageUrl(context.Request) is not { } url)
        {
            // A Host header that is not a valid international domain name (e.g. "xn--a.xn--"): HostString throws while
            // building the URL, after the app answered (a fail log, and a 500 in place of a 404).
            LogNotRecorded(_logger, "the Host header is not a valid host name");
            return;
        }

        var input = new HitInput(url, headers.Referer.ToString(), eventName, null, props);
        var result = _factory.Build(input, context, HitSource.Server);
        if (result.Hit is { } hit)
        {
            if (RequireConfirmation && token is not null)
            {
                if (!Pending.TryAdd(token, hit, RequesterOf(context)))
                {
                    Drop(DropReasons.ConfirmationOverflow);
                }
            }
            else
            {
                _queue.TryEnqueue(hit);
            }
        }
        else if (result.DropReason is { } reason)
        {
            Drop(reason);
        }
        else
        {
            LogNotRecorded(_logger, result.Error ?? "invalid");
        }
    }

    private void Drop(string reason)
    {
        _metrics.Dropped(reason);
        LogDropped(_logger, reason);
    }

    /// <summary>
    /// A short keyed hash of the sender (masked client address and user agent, keyed with a per-process random
    /// key), so that only the browser that got the page can confirm it. Neither value is kept.
    /// </summary>
    private long RequesterOf(HttpContext context) =>
        _hasher.Compute(_requesterKey, "confirm", context.Connection.RemoteIpAddress, context.Request.Headers.UserAgent.ToString());

    private static bool IsHtml(string? contentType) =>
        contentType is not null && contentType.AsSpan().TrimStart().StartsWith("text/html", StringComparison.OrdinalIgnoreCase);

    private static bool Contains(string header, string token) => header.Contains(token, StringComparison.OrdinalIgnoreCase);

    private static string Truncate(string value) =>
        value.Length > HitLimits.MaxPropertyValueLength ? value[..HitLimits.MaxPropertyValueLength] : value;

    private static string Base64UrlToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [LoggerMessage(EventId = 700, Level = LogLevel.Debug, Message = "Server-side tracking dropped a response: {Reason}")]
    private static partial void LogDropped(ILogger logger, string reason);

    [LoggerMessage(EventId = 701, Level = LogLevel.Debug, Message = "Server-side tracking could not record a response: {Error}")]
    private static partial void LogNotRecorded(ILogger logger, string error);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "ServerSideTracking.RequireConfirmation is on, but an HTML page was answered without a confirmation image, so its page view is dropped (reason confirmation_missing). Add <beacon-confirm /> or TrackerScript.ConfirmationTag(context) to the page layout. (Logged once.)")]
    private static partial void LogConfirmationMissing(ILogger logger);
}

/// <summary>
/// Server-side page views waiting for their confirmation image: a bounded in-memory set keyed by a random token.
/// Entries older than the timeout are dropped and counted as <c>unconfirmed</c>; a sweep runs on every change and on
/// a timer.
/// </summary>
internal sealed class PendingPageViews : IDisposable
{
    /// <summary>The most page views that may wait at once; past it new ones are dropped (<c>confirmation_overflow</c>).</summary>
    public const int Capacity = 10_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Queue<(string Token, DateTimeOffset Expires)> _order = new();
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly BeaconMetrics _metrics;
    private readonly ITimer? _timer;

    public PendingPageViews(TimeSpan timeout, TimeProvider time, BeaconMetrics metrics, bool enabled)
    {
        _timeout = timeout;
        _time = time;
        _metrics = metrics;
        if (enabled)
        {
            var period = timeout < TimeSpan.FromSeconds(5) ? timeout : TimeSpan.FromSeconds(5);
            _timer = time.CreateTimer(static state => ((PendingPageViews)state!).Sweep(), this, period, period);
        }
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Holds a page view; <see langword="false"/> when the set is full (or the token is taken).</summary>
    public bool TryAdd(string token, Hit hit, long requester)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            SweepLocked(now);
            if (_entries.Count >= Capacity || !_entries.TryAdd(token, new Entry(hit, requester)))
            {
                return false;
            }

            _order.Enqueue((token, now + _timeout));
            return true;
        }
    }

    /// <summary>The held page view of <paramref name="token"/> when the same sender asks in time; it leaves the set.</summary>
    public Hit? TryConfirm(string token, long requester)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            SweepLocked(now);
            if (_entries.TryGetValue(token, out var entry) && entry.Requester == requester)
            {
                _entries.Remove(token);
                return entry.Hit;
            }

            return null;
        }
    }

    /// <summary>Drops (and counts) every page view that waited longer than the timeout.</summary>
    public void Sweep()
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            SweepLocked(now);
        }
    }

    public void Dispose() => _timer?.Dispose();

    private void SweepLocked(DateTimeOffset now)
    {
        var expired = 0;
        while (_order.TryPeek(out var head) && head.Expires <= now)
        {
            _order.Dequeue();
            if (_entries.Remove(head.Token))
            {
                expired++;
            }
        }

        if (expired > 0)
        {
            _metrics.Dropped(DropReasons.Unconfirmed, expired);
        }
    }

    private readonly record struct Entry(Hit Hit, long Requester);
}

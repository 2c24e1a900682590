using FrancisBeacon.Enrichment;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// <see cref="IBeaconTracker"/>: events from app code, through the same factory and pipeline as every hit, with
/// <see cref="HitSource.Tracker"/> (so the bot filter leaves them alone).
/// </summary>
internal sealed partial class BeaconTracker : IBeaconTracker
{
    private static readonly Func<string, string?> NoHeaders = static _ => null;

    private readonly HitFactory _factory;
    private readonly HitQueue _queue;
    private readonly BeaconMetrics _metrics;
    private readonly IHttpContextAccessor _accessor;
    private readonly ILogger<BeaconTracker> _logger;

    public BeaconTracker(HitFactory factory, HitQueue queue, BeaconMetrics metrics, IHttpContextAccessor accessor, ILogger<BeaconTracker> logger)
    {
        _factory = factory;
        _queue = queue;
        _metrics = metrics;
        _accessor = accessor;
        _logger = logger;
    }

    public ValueTask TrackAsync(
        string name,
        IReadOnlyDictionary<string, string>? props = null,
        decimal? revenue = null,
        string? currency = null,
        string? url = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        cancellationToken.ThrowIfCancellationRequested();
        var properties = CopyProps(props);
        if (currency is not null && !Revenue.IsCurrencyCode(currency))
        {
            throw new ArgumentException("The currency must be an ISO 4217 code of three upper-case letters, such as EUR.", nameof(currency));
        }

        if ((revenue is null) != (currency is null))
        {
            throw new ArgumentException("Revenue needs both an amount and a currency.", revenue is null ? nameof(revenue) : nameof(currency));
        }

        var context = _accessor.HttpContext;
        HitBuildResult result;
        if (context is not null)
        {
            var page = url ?? SameHostReferer(context.Request) ?? RequestUrls.PageUrl(context.Request);
            if (page is null)
            {
                // The request's Host header is not a valid host name (e.g. "xn--a.xn--"): it names no site. Not the
                // app's error, so not an exception in its handler.
                _metrics.Dropped(DropReasons.UnknownSite);
                LogDropped(_logger, name, DropReasons.UnknownSite);
                return ValueTask.CompletedTask;
            }

            result = _factory.Build(new HitInput(page, null, name, null, properties, null, revenue, currency), context, HitSource.Tracker);
        }
        else
        {
            if (string.IsNullOrWhiteSpace(url))
            {
                throw new ArgumentException("Outside a request the page URL is required: it decides the site.", nameof(url));
            }

            var signals = new HitRequestSignals(HitSource.Tracker, null, NoHeaders);
            result = _factory.Build(new HitInput(url, null, name, null, properties, null, revenue, currency), signals);
        }

        if (result.Hit is { } hit)
        {
            _queue.TryEnqueue(hit);
        }
        else if (result.DropReason is { } reason)
        {
            _metrics.Dropped(reason);
            LogDropped(_logger, name, reason);
        }
        else
        {
            throw new ArgumentException(result.Error ?? "Invalid event.", url is not null && result.Error?.Contains("URL", StringComparison.Ordinal) == true ? nameof(url) : nameof(name));
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>The page the request came from, when it is on the request's own host (so a form post counts on its form's page).</summary>
    private static string? SameHostReferer(HttpRequest request)
    {
        var referer = request.Headers.Referer.ToString();
        return referer.Length > 0 && Uri.TryCreate(referer, UriKind.Absolute, out var uri) &&
            string.Equals(uri.Host, RequestUrls.Host(request), StringComparison.OrdinalIgnoreCase)
            ? referer
            : null;
    }

    private static Dictionary<string, string>? CopyProps(IReadOnlyDictionary<string, string>? props)
    {
        if (props is null || props.Count == 0)
        {
            return null;
        }

        if (props.Count > HitLimits.MaxProperties)
        {
            throw new ArgumentException($"At most {HitLimits.MaxProperties} props are allowed.", nameof(props));
        }

        var copy = new Dictionary<string, string>(props.Count, StringComparer.Ordinal);
        foreach (var (key, value) in props)
        {
            if (string.IsNullOrEmpty(key) || key.Length > HitLimits.MaxPropertyKeyLength)
            {
                throw new ArgumentException($"A props key must be 1 to {HitLimits.MaxPropertyKeyLength} characters.", nameof(props));
            }

            if (value is null || value.Length > HitLimits.MaxPropertyValueLength)
            {
                throw new ArgumentException($"The value of props['{key}'] must be a string of at most {HitLimits.MaxPropertyValueLength} characters.", nameof(props));
            }

            copy[key] = value;
        }

        return copy;
    }

    [LoggerMessage(EventId = 600, Level = LogLevel.Debug, Message = "Dropped the server-side event {Name}: {Reason}")]
    private static partial void LogDropped(ILogger logger, string name, string reason);
}

using System.Globalization;
using System.Text.Json;
using FrancisBeacon.Enrichment;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The collection endpoints under <see cref="BeaconOptions.PathPrefix"/>: <c>GET hit.gif</c> (tracking pixel) and
/// <c>POST event</c> (JSON from the tracker script). They validate, build the hit, queue it and answer at once; the
/// database is never touched on the request thread. When switched on, also the confirmation image
/// (<c>GET c/{token}.gif</c>), server-side tracking of the app's own responses (<see cref="ServerSideTracker"/>) and
/// the drop-in endpoints <c>POST /api/event</c> and <c>POST /api/send</c>.
/// </summary>
internal sealed partial class BeaconMiddleware
{
    /// <summary>The 43-byte transparent 1x1 GIF89a.</summary>
    internal static readonly byte[] TransparentGif =
    [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
    ];

    private readonly RequestDelegate _next;
    private readonly PathString _prefix;
    private readonly int _maxBodyBytes;
    private readonly HitFactory _factory;
    private readonly HitQueue _queue;
    private readonly BeaconMetrics _metrics;
    private readonly ILogger<BeaconMiddleware> _logger;
    private readonly ServerSideTracker _server;
    private readonly bool _plausible;
    private readonly bool _umami;
    private readonly string _retryAfterSeconds;

    /// <summary>The error of a hit refused because the queue is full (compared by reference).</summary>
    private static readonly string QueueFullRefusal = new("The beacon is busy; retry later.".ToCharArray());

    private static readonly object RateLimitedKey = new();
    private readonly int _maxQueryLength;
    private readonly BeaconRateLimiter _limiter;

    public BeaconMiddleware(RequestDelegate next, IOptions<BeaconOptions> options, HitFactory factory, HitQueue queue, BeaconMetrics metrics, ServerSideTracker server, BeaconRateLimiter limiter, ILogger<BeaconMiddleware> logger)
    {
        _limiter = limiter;
        _maxQueryLength = options.Value.MaxQueryStringLength;
        _server = server;
        _plausible = options.Value.Compatibility.Plausible;
        _umami = options.Value.Compatibility.Umami;
        _retryAfterSeconds = ((long)Math.Ceiling(options.Value.QueueFullRetryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        _next = next;
        _prefix = new PathString(options.Value.PathPrefix);
        _maxBodyBytes = options.Value.MaxBodyBytes;
        _factory = factory;
        _queue = queue;
        _metrics = metrics;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments(_prefix, StringComparison.OrdinalIgnoreCase, out var rest))
        {
            if ((_plausible || _umami) && HttpMethods.IsPost(context.Request.Method))
            {
                if (_plausible && context.Request.Path.Equals(PlausiblePath, StringComparison.OrdinalIgnoreCase))
                {
                    return Guard(context) ?? PlausibleAsync(context);
                }

                if (_umami && context.Request.Path.Equals(UmamiPath, StringComparison.OrdinalIgnoreCase))
                {
                    return Guard(context) ?? UmamiAsync(context);
                }
            }

            return _server.Enabled ? _server.InvokeAsync(context, _next) : _next(context);
        }

        if (rest.Equals("/hit.gif", StringComparison.OrdinalIgnoreCase))
        {
            if (HttpMethods.IsHead(context.Request.Method))
            {
                // The answer's headers, and no hit: browsers never send HEAD for an image; link checkers and monitors do.
                return WriteTransparentGifAsync(context);
            }

            return HttpMethods.IsGet(context.Request.Method)
                ? Guard(context) ?? PixelAsync(context)
                : MethodNotAllowed(context, "GET, HEAD");
        }

        if (rest.Equals("/event", StringComparison.OrdinalIgnoreCase))
        {
            return HttpMethods.IsPost(context.Request.Method)
                ? Guard(context) ?? EventAsync(context)
                : MethodNotAllowed(context, "POST");
        }

        if (rest.Equals("/script.js", StringComparison.OrdinalIgnoreCase) ||
            rest.Equals($"/script.{TrackerScript.Instance.Version}.js", StringComparison.OrdinalIgnoreCase))
        {
            return HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
                ? TrackerScript.Instance.ServeAsync(context, immutable: rest.Value!.Length > "/script.js".Length)
                : MethodNotAllowed(context, "GET, HEAD");
        }

        if (rest.StartsWithSegments("/c", StringComparison.OrdinalIgnoreCase, out var confirmation) &&
            confirmation.Value is { Length: > 5 } file && file.EndsWith(".gif", StringComparison.OrdinalIgnoreCase) && file.IndexOf('/', 1) < 0)
        {
            return HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)
                ? _server.ConfirmAsync(context, file[1..^4])
                : MethodNotAllowed(context, "GET, HEAD");
        }

        return _next(context);
    }

    /// <summary>
    /// The size and rate limits of the collection endpoints: answers the request (414, 429) and returns the task, or
    /// returns <see langword="null"/> to go on. With <see cref="BeaconRateLimitAction.Drop"/> the request goes on and
    /// is answered as usual, but <see cref="Accept"/> records nothing.
    /// </summary>
    private Task? Guard(HttpContext context)
    {
        if (context.Request.QueryString.Value is { } query && query.Length > _maxQueryLength)
        {
            _metrics.Dropped(DropReasons.TooLarge);
            return BadRequestAsync(context, StatusCodes.Status414UriTooLong, $"The query string is longer than {_maxQueryLength} characters.");
        }

        if (_limiter.TryAcquire(context))
        {
            return null;
        }

        _metrics.Dropped(DropReasons.RateLimited);
        if (_limiter.Action == BeaconRateLimitAction.Drop)
        {
            context.Items[RateLimitedKey] = true;
            return null;
        }

        context.Response.Headers.RetryAfter = ((int)Math.Ceiling(_limiter.Window.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return BadRequestAsync(context, StatusCodes.Status429TooManyRequests, "Too many requests from this client.");
    }

    private async Task PixelAsync(HttpContext context)
    {
        var request = context.Request;
        var (url, referrer, w) = PixelQuery.Read(request.QueryString.Value);
        if (url.Length == 0)
        {
            url = request.Headers.Referer.ToString();
        }

        int? width = null;
        if (int.TryParse(w, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
        {
            width = parsed;
        }

        var input = new HitInput(url, referrer, null, width, null);
        if (!Accept(input, context, HitSource.Pixel, out var error))
        {
            await RejectAsync(context, error);
            return;
        }

        await WriteTransparentGifAsync(context);
    }

    /// <summary>Answers <c>200</c> with <see cref="TransparentGif"/>, not to be stored by caches (no body for <c>HEAD</c>).</summary>
    internal static Task WriteTransparentGifAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "image/gif";
        response.ContentLength = TransparentGif.Length;
        response.Headers.CacheControl = "no-store";
        return HttpMethods.IsHead(context.Request.Method)
            ? Task.CompletedTask
            : response.Body.WriteAsync(TransparentGif, context.RequestAborted).AsTask();
    }

    private async Task EventAsync(HttpContext context)
    {
        var body = await ReadBodyOrAnswerAsync(context);
        if (body is null)
        {
            return;
        }

        if (!EventPayload.TryParse(body, out var input, out var parseError))
        {
            await BadRequestAsync(context, StatusCodes.Status400BadRequest, parseError);
            return;
        }

        if (!Accept(input, context, HitSource.Script, out var error))
        {
            await RejectAsync(context, error);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }

    /// <summary>Builds and queues the hit. Dropped hits (bots, unknown sites, full queue) are counted, not client errors.</summary>
    private bool Accept(HitInput input, HttpContext context, HitSource source, out string error)
    {
        if (context.Items.ContainsKey(RateLimitedKey))
        {
            error = string.Empty; // over the limit with Action = Drop: answered as usual, recorded nowhere (counted in Guard)
            return true;
        }

        var result = _factory.Build(input, context, source);
        if (result.Hit is not null)
        {
            if (_queue.TryEnqueue(result.Hit) == EnqueueResult.Refused)
            {
                error = QueueFullRefusal;
                return false;
            }

            error = string.Empty;
            return true;
        }

        if (result.DropReason is { } reason)
        {
            _metrics.Dropped(reason);
            LogDropped(_logger, reason);
            error = string.Empty;
            return true;
        }

        error = result.Error ?? "Invalid hit.";
        return false;
    }

    /// <summary>
    /// Reads at most <paramref name="max"/> bytes (<see langword="null"/> when the body is longer). The buffer starts
    /// at the announced <c>Content-Length</c> (or 512 bytes) plus one and doubles up to <paramref name="max"/> + 1, so
    /// a small event does not cost a buffer of <see cref="BeaconOptions.MaxBodyBytes"/>.
    /// </summary>
    private static async Task<byte[]?> ReadBoundedAsync(Stream body, int max, long? contentLength, CancellationToken cancellationToken)
    {
        var initial = contentLength is { } announced and >= 0 && announced < max ? (int)announced + 1 : Math.Min(512, max + 1);
        var buffer = new byte[Math.Max(initial, 1)];
        var total = 0;
        while (true)
        {
            if (total == buffer.Length)
            {
                if (buffer.Length > max)
                {
                    return null;
                }

                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, (long)max + 1));
            }

            var read = await body.ReadAsync(buffer.AsMemory(total), cancellationToken);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total > max ? null : buffer[..total];
    }

    private static Task MethodNotAllowed(HttpContext context, string allow)
    {
        context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
        context.Response.Headers.Allow = allow;
        return Task.CompletedTask;
    }

    /// <summary>Answers a hit <see cref="Accept"/> did not take: 503 with <c>Retry-After</c> when the queue refused it, else 400.</summary>
    private Task RejectAsync(HttpContext context, string error)
    {
        if (!ReferenceEquals(error, QueueFullRefusal))
        {
            return BadRequestAsync(context, StatusCodes.Status400BadRequest, error);
        }

        context.Response.Headers.RetryAfter = _retryAfterSeconds;
        return BadRequestAsync(context, StatusCodes.Status503ServiceUnavailable, error);
    }

    private static Task BadRequestAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(message, context.RequestAborted);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Debug, Message = "Dropped a hit: {Reason}")]
    private static partial void LogDropped(ILogger logger, string reason);
}

/// <summary>
/// The JSON body of <c>POST {prefix}/event</c>: <c>name</c>, <c>url</c>, <c>referrer</c>, <c>screen_width</c>,
/// <c>props</c>, <c>revenue</c> (<c>{amount, currency}</c>) and <c>domain</c> (a site id hint).
/// </summary>
internal static class EventPayload
{
    public static bool TryParse(byte[] body, out HitInput input, out string error)
    {
        input = new HitInput(null, null, null, null, null);
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            error = "The body is not valid UTF-8.";
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "The body must be a JSON object.";
                return false;
            }

            string? name = null, url = null, referrer = null, domain = null;
            (decimal? Amount, string? Currency) revenue = (null, null);
            int? width = null;
            Dictionary<string, string>? props = null;
            foreach (var property in root.EnumerateObject())
            {
                switch (property.Name)
                {
                    case "name":
                        name = StringOrNull(property.Value, "name");
                        break;
                    case "url":
                        url = StringOrNull(property.Value, "url");
                        break;
                    case "referrer":
                        referrer = StringOrNull(property.Value, "referrer");
                        break;
                    case "screen_width":
                        if (property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt32(out var w))
                        {
                            width = w;
                        }
                        else if (property.Value.ValueKind != JsonValueKind.Null)
                        {
                            throw new FormatException("screen_width must be an integer.");
                        }

                        break;
                    case "props":
                        props = ParseProps(property.Value);
                        break;
                    case "domain":
                        domain = StringOrNull(property.Value, "domain");
                        break;
                    case "revenue":
                        revenue = Revenue.FromJson(property.Value);
                        break;
                    default:
                        break; // unknown fields are ignored, as beacons do
                }
            }

            input = new HitInput(url, referrer, name, width, props, domain, revenue.Amount, revenue.Currency);
            error = string.Empty;
            return true;
        }
        catch (JsonException)
        {
            error = "The body is not valid JSON.";
            return false;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            error = "The body is not valid UTF-8 JSON.";
            return false;
        }
        catch (FormatException ex)
        {
            error = ex.Message;
            return false;
        }
    }

    internal static string? StringOrNull(JsonElement value, string field) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Null => null,
        _ => throw new FormatException($"{field} must be a string."),
    };

    /// <summary>Reads <c>props</c>; with <paramref name="skipNested"/>, nested objects and arrays are left out instead of rejected.</summary>
    internal static Dictionary<string, string>? ParseProps(JsonElement value, bool skipNested = false)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("props must be an object of string values.");
        }

        var props = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in value.EnumerateObject())
        {
            if (props.Count >= HitLimits.MaxProperties)
            {
                throw new FormatException($"props may hold at most {HitLimits.MaxProperties} entries.");
            }

            if (property.Name.Length is 0 || property.Name.Length > HitLimits.MaxPropertyKeyLength)
            {
                throw new FormatException($"A props key must be 1 to {HitLimits.MaxPropertyKeyLength} characters.");
            }

            var text = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                JsonValueKind.Null => null,
                _ when skipNested => null,
                _ => throw new FormatException("props values must be strings, numbers or booleans."),
            };
            if (text is null)
            {
                continue;
            }

            if (text.Length > HitLimits.MaxPropertyValueLength)
            {
                throw new FormatException($"A props value is longer than {HitLimits.MaxPropertyValueLength} characters.");
            }

            props[property.Name] = text;
        }

        return props;
    }
}

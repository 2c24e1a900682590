using System.Text;
using FrancisBeacon.Enrichment;
using Microsoft.AspNetCore.Http;

namespace FrancisBeacon.AspNetCore;

/// <summary>The drop-in endpoints for Plausible's and Umami's trackers (<see cref="BeaconCompatibilityOptions"/>).</summary>
internal sealed partial class BeaconMiddleware
{
    /// <summary>Plausible's tracker posts here.</summary>
    internal static readonly PathString PlausiblePath = new("/api/event");

    /// <summary>Umami's tracker posts here.</summary>
    internal static readonly PathString UmamiPath = new("/api/send");

    private static readonly byte[] PlausibleOk = "ok"u8.ToArray();

    // Umami answers a JSON object (a session cache token and ids); the shape is kept, with nothing in it to identify anyone.
    private static readonly byte[] UmamiOk = Encoding.UTF8.GetBytes("""{"cache":"","sessionId":"","visitId":""}""");

    /// <summary><c>POST /api/event</c>: answered <c>202</c> with <c>ok</c>, as Plausible does.</summary>
    private async Task PlausibleAsync(HttpContext context)
    {
        var body = await ReadBodyOrAnswerAsync(context);
        if (body is null)
        {
            return;
        }

        if (!PlausiblePayload.TryParse(body, out var input, out var error) ||
            (input.EventName != PlausiblePayload.EngagementEvent && !Accept(input, context, HitSource.Script, out error)))
        {
            await RejectAsync(context, error);
            return;
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status202Accepted;
        response.ContentType = "text/plain; charset=utf-8";
        response.ContentLength = PlausibleOk.Length;
        response.Headers.CacheControl = "no-store";
        await response.Body.WriteAsync(PlausibleOk, context.RequestAborted);
    }

    /// <summary><c>POST /api/send</c>: answered <c>200</c> with a small JSON object, as Umami does.</summary>
    private async Task UmamiAsync(HttpContext context)
    {
        var body = await ReadBodyOrAnswerAsync(context);
        if (body is null)
        {
            return;
        }

        if (!UmamiPayload.TryParse(body, context.Request.Scheme, out var input, out var error) ||
            (input is not null && !Accept(input, context, HitSource.Script, out error)))
        {
            await RejectAsync(context, error);
            return;
        }

        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength = UmamiOk.Length;
        response.Headers.CacheControl = "no-store";
        await response.Body.WriteAsync(UmamiOk, context.RequestAborted);
    }

    /// <summary>
    /// The body within <see cref="BeaconOptions.MaxBodyBytes"/>, or <see langword="null"/> after answering 413 (or 400
    /// for a body Kestrel cannot read: bad chunked framing, a body shorter than its Content-Length).
    /// </summary>
    private async Task<byte[]?> ReadBodyOrAnswerAsync(HttpContext context)
    {
        byte[]? body;
        try
        {
            body = context.Request.ContentLength > _maxBodyBytes
                ? null
                : await ReadBoundedAsync(context.Request.Body, _maxBodyBytes, context.Request.ContentLength, context.RequestAborted);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException && !context.RequestAborted.IsCancellationRequested)
        {
            // Kestrel's framing errors surface here, from the body read (unhandled, they were answered 500).
            await BadRequestAsync(context, ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest, "The request body could not be read.");
            return null;
        }

        if (body is null)
        {
            _metrics.Dropped(DropReasons.TooLarge);
            await BadRequestAsync(context, StatusCodes.Status413PayloadTooLarge, $"The body is larger than {_maxBodyBytes} bytes.");
        }

        return body;
    }
}

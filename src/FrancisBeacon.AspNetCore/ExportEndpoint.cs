using System.Globalization;
using System.Text;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// <c>GET {api}/export</c>: every raw hit of a site in a date range, streamed as NDJSON (default) or CSV, so an owner can
/// take all their data away; and <c>GET {api}/realtime</c>: visitors in the last five minutes.
/// </summary>
internal static class ExportEndpoint
{
    /// <summary>Rows read and formatted per turn at the <see cref="QueryConcurrencyGate"/>; the chunk is written after the slot is released.</summary>
    internal const int ChunkRows = 500;

    public static async Task HandleAsync(HttpContext context, SiteResolver sites, IHitStore store, TimeProvider time, QueryConcurrencyGate gate)
    {
        var query = context.Request.Query;
        ResolvedSite site;
        DateTimeOffset from, to;
        DateOnly first, last;
        string format;
        try
        {
            site = sites.For(context.User).ForQuery(query["site_id"].ToString());
            // The parameters of /stats (two dates alone are a custom range), but all time when neither is given.
            var (period, date) = (query["period"].ToString(), query["date"].ToString());
            var range = QueryDateRange.Parse(string.IsNullOrWhiteSpace(period) && string.IsNullOrWhiteSpace(date) ? "all" : period, date);
            var now = time.GetUtcNow();
            (first, last) = range.Days(site.TimeZone, now);
            (from, to) = range.Resolve(site.TimeZone, now);
            format = query["format"].ToString() is { Length: > 0 } f ? f : "ndjson";
            if (format is not ("ndjson" or "csv"))
            {
                throw new HitQueryException("format", "format is ndjson or csv.");
            }
        }
        catch (HitQueryException ex)
        {
            context.Response.StatusCode = SiteResolver.StatusCodeFor(ex);
            await context.Response.WriteAsJsonAsync(new StatsError(ex.Reason, ex.Field), StatsJsonContext.Default.StatsError, cancellationToken: context.RequestAborted);
            return;
        }

        // An export holds a database connection from its first row to its last, however slowly the client reads: a
        // bounded number at once (QueryConcurrency.Exports), one more is a 503 before anything is read.
        if (!gate.TryEnterExport())
        {
            await QueryConcurrencyGate.Refusal(context).ExecuteAsync(context);
            return;
        }

        try
        {
            // The site's local days, as the range was asked for (the UTC dates named the day before east of UTC; and a
            // day the zone skipped, Pacific/Apia 2011-12-30, has no instant to convert back).
            var fileName = string.Create(CultureInfo.InvariantCulture, $"beacon-{site.Id}-{first:yyyyMMdd}-{last:yyyyMMdd}.{format}");
            await StreamAsync(context, store, gate, site, from, to, format, fileName);
        }
        finally
        {
            gate.ExitExport();
        }
    }

    private static async Task StreamAsync(HttpContext context, IHitStore store, QueryConcurrencyGate gate, ResolvedSite site, DateTimeOffset from, DateTimeOffset to, string format, string fileName)
    {
        // The first chunk's slot before anything is sent, so that a refusal is still a 503. Later chunks take turns
        // with the queries (EnterContinuingAsync never refuses): an export's CPU is bounded like a query's, and a
        // client that reads slowly holds no slot while its chunk is being sent.
        var (slot, refused) = await gate.EnterAsync(context.RequestAborted);
        if (refused is not null)
        {
            await QueryConcurrencyGate.Refusal(context).ExecuteAsync(context);
            return;
        }

        context.Response.ContentType = format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8";
        // filename: the name in ASCII (other characters as '_'), for clients that read no more; filename*: the name
        // itself in UTF-8 (RFC 6266), so a site id such as bücher.de names the file as it is, not %-escaped.
        var disposition = new ContentDispositionHeaderValue("attachment");
        disposition.SetHttpFileName(fileName);
        context.Response.Headers.ContentDisposition = disposition.ToString();
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        var ct = context.RequestAborted;
        var output = context.Response.Body;
        var buffer = new StringBuilder();
        var hitFormat = format == "csv" ? HitExportFormat.Csv : HitExportFormat.Ndjson;
        if (hitFormat == HitExportFormat.Csv)
        {
            buffer.Append(HitExportWriter.CsvHeader);
        }

        try
        {
            await using var rows = store.ReadAsync(new HitRange { SiteId = site.Id, From = from, To = to }, ct).GetAsyncEnumerator(ct);
            while (true)
            {
                var more = true;
                using (slot)
                {
                    for (var n = 0; n < ChunkRows && (more = await rows.MoveNextAsync()); n++)
                    {
                        HitExportWriter.Append(buffer, rows.Current, hitFormat);
                    }
                }

                slot = null;
                await WriteAsync(output, buffer.ToString(), ct);
                buffer.Clear();
                if (!more)
                {
                    return;
                }

                slot = await gate.EnterContinuingAsync(ct);
            }
        }
        finally
        {
            slot?.Dispose();
        }
    }

    public static async Task<IResult> RealtimeAsync(HttpContext context, SiteResolver sites, IHitStore store, TimeProvider time, QueryConcurrencyGate gate)
    {
        ResolvedSite site;
        try
        {
            site = sites.For(context.User).ForQuery(context.Request.Query["site_id"].ToString());
        }
        catch (HitQueryException ex)
        {
            return StatsEndpoint.Error(ex);
        }

        var now = time.GetUtcNow();
        var (slot, refused) = await gate.EnterAsync(context.RequestAborted);
        if (refused is not null)
        {
            return QueryConcurrencyGate.Refusal(context);
        }

        AggregateResult result;
        using (slot)
        {
            result = await store.QueryAsync(
                new HitQuery { SiteId = site.Id, From = now.AddMinutes(-5), To = now.AddSeconds(1), TimeZone = site.TimeZone, Metrics = [HitMetric.Visitors] },
                context.RequestAborted);
        }

        return Results.Json(new RealtimeResponse(site.Id, result.Rows.Count > 0 ? (long)result.Rows[0].Metrics[0] : 0), StatsJsonContext.Default.RealtimeResponse);
    }

    private static Task WriteAsync(Stream output, string text, CancellationToken cancellationToken) =>
        text.Length == 0 ? Task.CompletedTask : output.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken).AsTask();
}

internal sealed record RealtimeResponse(
    [property: System.Text.Json.Serialization.JsonPropertyName("site_id")] string SiteId,
    [property: System.Text.Json.Serialization.JsonPropertyName("visitors")] long Visitors);

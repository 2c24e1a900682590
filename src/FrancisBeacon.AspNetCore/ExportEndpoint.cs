using System.Globalization;
using System.Text;
using System.Text.Json;
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
    private static readonly string[] CsvColumns =
    [
        "id", "site_id", "timestamp", "event_name", "hostname", "path", "referrer", "referrer_source", "channel",
        "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "visitor_id", "previous_visitor_id",
        "browser", "browser_version", "os", "os_version", "device_type", "country", "region", "city", "screen_width",
        "language", "revenue_amount", "revenue_currency", "props",
    ];

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
        if (format == "csv")
        {
            buffer.AppendJoin(',', CsvColumns).Append("\r\n");
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
                        if (format == "csv")
                        {
                            AppendCsv(buffer, rows.Current);
                        }
                        else
                        {
                            AppendJson(buffer, rows.Current);
                        }
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
            return Results.Json(new StatsError(ex.Reason, ex.Field), StatsJsonContext.Default.StatsError, statusCode: SiteResolver.StatusCodeFor(ex));
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

    private static void AppendJson(StringBuilder buffer, Hit hit)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            foreach (var (name, value) in Fields(hit))
            {
                if (value is null)
                {
                    json.WriteNull(name);
                }
                else
                {
                    json.WriteString(name, value);
                }
            }

            json.WriteStartObject("props");
            foreach (var (key, value) in hit.Properties)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        buffer.Append(Encoding.UTF8.GetString(stream.ToArray())).Append('\n');
    }

    private static void AppendCsv(StringBuilder buffer, Hit hit)
    {
        foreach (var (_, value) in Fields(hit))
        {
            buffer.Append(Csv(value)).Append(',');
        }

        buffer.Append(Csv(PropertiesJson(hit.Properties))).Append("\r\n");
    }

    private static string? PropertiesJson(IReadOnlyDictionary<string, string> properties)
    {
        if (properties.Count == 0)
        {
            return null;
        }

        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            foreach (var (key, value) in properties)
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static IEnumerable<(string Name, string? Value)> Fields(Hit hit)
    {
        var c = CultureInfo.InvariantCulture;
        yield return ("id", hit.Id.ToString());
        yield return ("site_id", hit.SiteId);
        yield return ("timestamp", hit.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", c));
        yield return ("event_name", hit.EventName);
        yield return ("hostname", hit.Hostname);
        yield return ("path", hit.Path);
        yield return ("referrer", hit.Referrer);
        yield return ("referrer_source", hit.ReferrerSource);
        yield return ("channel", hit.Channel);
        yield return ("utm_source", hit.UtmSource);
        yield return ("utm_medium", hit.UtmMedium);
        yield return ("utm_campaign", hit.UtmCampaign);
        yield return ("utm_term", hit.UtmTerm);
        yield return ("utm_content", hit.UtmContent);
        yield return ("visitor_id", hit.VisitorId.ToString(c));
        yield return ("previous_visitor_id", hit.PreviousVisitorId?.ToString(c));
        yield return ("browser", hit.Browser);
        yield return ("browser_version", hit.BrowserVersion);
        yield return ("os", hit.OperatingSystem);
        yield return ("os_version", hit.OperatingSystemVersion);
        yield return ("device_type", hit.DeviceType);
        yield return ("country", hit.Country);
        yield return ("region", hit.Region);
        yield return ("city", hit.City);
        yield return ("screen_width", hit.ScreenWidth?.ToString(c));
        yield return ("language", hit.Language);
        yield return ("revenue_amount", hit.RevenueAmount?.ToString(c));
        yield return ("revenue_currency", hit.RevenueCurrency);
    }

    /// <summary>
    /// RFC 4180 quoting; a cell a spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return)
    /// gets a leading apostrophe, unless it is a plain number (a visitor id or a refund is negative: "-49.9" is data).
    /// </summary>
    internal static string Csv(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        if (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !IsPlainNumber(value))
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    // A sign, digits, and at most one '.' followed by digits: what a spreadsheet reads as a number, never a formula.
    private static bool IsPlainNumber(string value)
    {
        if (value[0] is not ('-' or '+') || value.Length is < 2 or > 41)
        {
            return false;
        }

        var dot = -1;
        for (var i = 1; i < value.Length; i++)
        {
            if (value[i] == '.' && dot < 0 && i > 1 && i < value.Length - 1)
            {
                dot = i;
            }
            else if (!char.IsAsciiDigit(value[i]))
            {
                return false;
            }
        }

        return true;
    }
}

internal sealed record RealtimeResponse(
    [property: System.Text.Json.Serialization.JsonPropertyName("site_id")] string SiteId,
    [property: System.Text.Json.Serialization.JsonPropertyName("visitors")] long Visitors);

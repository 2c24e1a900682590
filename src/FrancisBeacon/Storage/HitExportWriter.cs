// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FrancisBeacon.Storage;

/// <summary>
/// Writes hits in the raw-hit export's formats (<see cref="HitExportFormat"/>), exactly as <c>GET {api}/export</c> sends
/// them; <see cref="HitExportReader"/> reads them back into the same hits.
/// </summary>
/// <remarks>
/// <para>NDJSON: one JSON object per hit, <c>\n</c> after each, with every field in a fixed order (<c>null</c> for an
/// unknown value; numbers as strings, so 64-bit visitor ids survive JavaScript) and <c>props</c> as an object. Text is
/// escaped as <see cref="Utf8JsonWriter"/> escapes it by default (<c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c>, quotes and
/// everything beyond ASCII as <c>\uXXXX</c>), so stored text never renders as markup.</para>
/// <para>CSV: the header <see cref="CsvHeader"/>, then one row per hit, CRLF after each; a cell holding a comma, a quote,
/// CR or LF is quoted with its quotes doubled (RFC 4180). A cell a spreadsheet would run as a formula (its value
/// starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return) gets a leading apostrophe, unless it
/// is a plain number (<c>-49.9</c>, a negative visitor id); so does a value that itself starts with an apostrophe,
/// which keeps the guard reversible (<see cref="CsvCell"/>). <c>props</c> is the properties' JSON object, empty when
/// there are none. CSV cannot tell an empty string from an unknown value: both are an empty cell.</para>
/// <para>Both: the time as <c>yyyy-MM-ddTHH:mm:ss.fffZ</c> (UTC), revenue without trailing zeros (<c>29</c>, <c>49.9</c>),
/// an unpaired surrogate as U+FFFD (it has no UTF-8 form; the SQL stores hold none). The same hits give the same bytes
/// from every store.</para>
/// </remarks>
public static class HitExportWriter
{
    /// <summary>The CSV columns, in order; the NDJSON fields have the same names and order.</summary>
    internal static readonly string[] Columns =
    [
        "id", "site_id", "timestamp", "event_name", "hostname", "path", "referrer", "referrer_source", "channel",
        "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "visitor_id", "previous_visitor_id",
        "browser", "browser_version", "os", "os_version", "device_type", "country", "region", "city", "screen_width",
        "language", "revenue_amount", "revenue_currency", "props",
    ];

    // One JSON writer and its buffer per thread, reset for every hit: a new MemoryStream and Utf8JsonWriter per hit made
    // the NDJSON export about four times as slow per hit as the CSV one.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_ndjson;

    [ThreadStatic]
    private static Utf8JsonWriter? t_ndjsonWriter;

    /// <summary>The CSV header row, with its CRLF.</summary>
    public static string CsvHeader { get; } = string.Join(',', Columns) + "\r\n";

    /// <summary>
    /// Appends one hit in <paramref name="format"/> to <paramref name="buffer"/>: a line of NDJSON (with its <c>\n</c>) or
    /// a CSV row (with its CRLF; the header is <see cref="CsvHeader"/>).
    /// </summary>
    /// <param name="buffer">Where the text goes.</param>
    /// <param name="hit">The hit.</param>
    /// <param name="format">The format.</param>
    public static void Append(StringBuilder buffer, Hit hit, HitExportFormat format)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(hit);
        if (format == HitExportFormat.Csv)
        {
            AppendCsv(buffer, hit);
        }
        else
        {
            var bytes = WriteNdjson(hit);
            var chars = ArrayPool<char>.Shared.Rent(Encoding.UTF8.GetMaxCharCount(bytes.Length));
            try
            {
                buffer.Append(chars, 0, Encoding.UTF8.GetChars(bytes, chars)).Append('\n');
            }
            finally
            {
                ArrayPool<char>.Shared.Return(chars);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="hits"/> to <paramref name="output"/> in <paramref name="format"/> as UTF-8 (the CSV with its
    /// header), a few hundred hits at a time: what <c>GET {api}/export</c> sends, for a backup from code.
    /// </summary>
    /// <param name="hits">The hits, for example <c>store.ReadAsync(new HitRange { SiteId = "example.com" }, ct)</c>.</param>
    /// <param name="output">The stream; left open.</param>
    /// <param name="format">The format.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>How many hits were written.</returns>
    public static async ValueTask<long> WriteAsync(IAsyncEnumerable<Hit> hits, Stream output, HitExportFormat format, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hits);
        ArgumentNullException.ThrowIfNull(output);
        var buffer = new StringBuilder();
        if (format == HitExportFormat.Csv)
        {
            buffer.Append(CsvHeader);
        }

        long count = 0;
        await foreach (var hit in hits.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            Append(buffer, hit, format);
            count++;
            if (buffer.Length >= 64 * 1024)
            {
                await FlushAsync(output, buffer, cancellationToken).ConfigureAwait(false);
            }
        }

        await FlushAsync(output, buffer, cancellationToken).ConfigureAwait(false);
        return count;
    }

    /// <summary>
    /// One CSV cell: empty for <see langword="null"/> or empty; an apostrophe before a value a spreadsheet would run as a
    /// formula (it starts with <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return and is not a plain
    /// number such as <c>-49.9</c>) or that starts with an apostrophe itself; quoted (RFC 4180) when it holds a comma, a
    /// quote, CR or LF.
    /// </summary>
    /// <param name="value">The value.</param>
    /// <returns>The cell's text.</returns>
    public static string CsvCell(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        if (NeedsFormulaGuard(value))
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
    }

    /// <summary>Whether <see cref="CsvCell"/> puts an apostrophe before <paramref name="value"/> (not empty).</summary>
    internal static bool NeedsFormulaGuard(string value) =>
        value[0] == '\'' || (value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' && !IsPlainNumber(value));

    /// <summary>The NDJSON object of <paramref name="hit"/> (no line feed), UTF-8.</summary>
    internal static byte[] NdjsonBytes(Hit hit) => WriteNdjson(hit).ToArray();

    /// <summary>
    /// Writes the NDJSON object of <paramref name="hit"/> (no line feed) into this thread's buffer and returns it: valid
    /// until the thread's next call.
    /// </summary>
    private static ReadOnlySpan<byte> WriteNdjson(Hit hit)
    {
        var output = t_ndjson ??= new ArrayBufferWriter<byte>(1024);
        output.ResetWrittenCount();
        var json = t_ndjsonWriter ??= new Utf8JsonWriter(output);
        json.Reset(output);
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
        foreach (var (key, value) in Sorted(hit.Properties))
        {
            json.WriteString(key, value);
        }

        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
        return output.WrittenSpan;
    }

    // A sign, digits, and at most one '.' followed by digits: what a spreadsheet reads as a number, never a formula.
    internal static bool IsPlainNumber(string value)
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

    private static void AppendCsv(StringBuilder buffer, Hit hit)
    {
        foreach (var (_, value) in Fields(hit))
        {
            buffer.Append(CsvCell(value)).Append(',');
        }

        buffer.Append(CsvCell(PropertiesJson(hit.Properties))).Append("\r\n");
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
            foreach (var (key, value) in Sorted(properties))
            {
                json.WriteString(key, value);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    // By key: a store need not keep the order a hit's properties came in (PostgreSQL's jsonb does not), and the export
    // of the same hits is the same bytes on every store.
    private static IEnumerable<KeyValuePair<string, string>> Sorted(IReadOnlyDictionary<string, string> properties) =>
        properties.Count < 2 ? properties : properties.OrderBy(p => p.Key, StringComparer.Ordinal);

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
        // Without trailing zeros, so that every store writes the same text (PostgreSQL's numeric(18,6) gave 29.000000, SQLite 29).
        yield return ("revenue_amount", hit.RevenueAmount?.ToString("0.############################", c));
        yield return ("revenue_currency", hit.RevenueCurrency);
    }

    private static async ValueTask FlushAsync(Stream output, StringBuilder buffer, CancellationToken cancellationToken)
    {
        if (buffer.Length > 0)
        {
            await output.WriteAsync(Encoding.UTF8.GetBytes(buffer.ToString()), cancellationToken).ConfigureAwait(false);
            buffer.Clear();
        }
    }
}

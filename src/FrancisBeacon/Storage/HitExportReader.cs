// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FrancisBeacon.Storage;

/// <summary>
/// Reads a raw-hit export (<see cref="HitExportFormat"/>: what <c>GET {api}/export</c> and
/// <see cref="HitExportWriter"/> write) back into <see cref="Hit"/>s, one record at a time from a stream: the exact
/// inverse of the export, so export → import → export gives the same bytes.
/// </summary>
/// <remarks>
/// <para>Input is UTF-8 (a leading byte order mark is skipped); lines end in LF or CRLF; blank lines are skipped.
/// NDJSON: one JSON object per line with the export's field names; numbers may be JSON strings (as the export writes
/// them) or JSON numbers. CSV: a header row naming the columns (any order, any subset that holds <c>site_id</c>,
/// <c>timestamp</c> and <c>path</c>), RFC 4180 quoting, and the export's apostrophe before formula-like cells taken off
/// exactly where <see cref="HitExportWriter.CsvCell"/> puts it.</para>
/// <para>Fields: <c>site_id</c>, <c>timestamp</c> (ISO 8601 with <c>Z</c> or an offset; kept to the millisecond) and
/// <c>path</c> are required. A missing or <c>null</c> optional field is unknown: <see langword="null"/>, or the
/// <see cref="Hit"/> default (<c>event_name</c> <c>pageview</c>, <c>hostname</c> empty, <c>visitor_id</c> 0, no
/// properties). In CSV an empty cell is unknown for the fields that may be unknown and an empty string for
/// <c>event_name</c>, <c>hostname</c> and <c>path</c>. A record without <c>id</c> gets one derived from its content
/// (<see cref="DeriveId"/>), so importing the same hand-made file twice stores its hits once. Unknown field names are
/// refused, not skipped: nothing in a file is silently dropped.</para>
/// <para>Bounds: a record (a line, or a CSV row with quoted line breaks) of at most <see cref="MaxRecordBytes"/> bytes;
/// at most <see cref="HitLimits.MaxProperties"/> properties, keys of at most <see cref="HitLimits.MaxPropertyKeyLength"/>
/// and values of at most <see cref="HitLimits.MaxPropertyValueLength"/> characters. Text fields longer than
/// <see cref="HitLimits"/>' sizes in bytes are read whole and cut by the store (<see cref="HitText.Truncate(Hit)"/>).
/// Every error is a <see cref="HitImportException"/> naming the line (and field); the stream's own exceptions
/// (<see cref="IOException"/>, cancellation) pass through.</para>
/// <para>The reader never disposes the stream. It is not thread-safe.</para>
/// </remarks>
public sealed class HitExportReader
{
    /// <summary>The longest record read, in bytes: 1 MiB (a hit at every limit, escaped as the export escapes it, takes less than half).</summary>
    public const int MaxRecordBytes = 1 << 20;

    private const int IdField = 0, SiteField = 1, TimestampField = 2, EventField = 3, HostnameField = 4, PathField = 5;
    private const int VisitorField = 14, PreviousVisitorField = 15, ScreenWidthField = 24, RevenueField = 26, PropsField = 28;
    private const decimal MaxRevenue = 999_999_999_999.999999m;

    private static readonly string[] Columns = HitExportWriter.Columns;
    private static readonly Dictionary<string, int> ColumnIndex = Columns.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i, StringComparer.Ordinal);
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly Stream _input;
    private readonly HitExportFormat _format;
    private byte[] _buffer = new byte[64 * 1024];
    private int _start, _scan, _end;
    private bool _eof, _started;
    private long _nextLine = 1;
    private int[]? _csvColumns;

    /// <summary>Creates a reader over <paramref name="input"/>, which it reads forward only and never disposes.</summary>
    /// <param name="input">The export, UTF-8.</param>
    /// <param name="format">Its format.</param>
    public HitExportReader(Stream input, HitExportFormat format)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (format is not (HitExportFormat.Ndjson or HitExportFormat.Csv))
        {
            throw new ArgumentOutOfRangeException(nameof(format), format, "Ndjson or Csv.");
        }

        _input = input;
        _format = format;
    }

    /// <summary>The line the last hit read starts on, from 1 (0 before the first).</summary>
    public long LineNumber { get; private set; }

    /// <summary>How many hits have been read.</summary>
    public long HitsRead { get; private set; }

    /// <summary>Reads every hit of <paramref name="input"/>.</summary>
    /// <param name="input">The export, UTF-8; not disposed.</param>
    /// <param name="format">Its format.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The hits, in the file's order.</returns>
    /// <exception cref="HitImportException">The file is not an export; the message names the line.</exception>
    public static async IAsyncEnumerable<Hit> ReadAllAsync(Stream input, HitExportFormat format, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var reader = new HitExportReader(input, format);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false) is { } hit)
        {
            yield return hit;
        }
    }

    /// <summary>
    /// A version 8 UUID (RFC 9562) for a hit that came without an id: its first 48 bits are the hit's Unix milliseconds
    /// (so such ids are time-ordered like the beacon's version 7 ids), the other 74 free bits come from the SHA-256 of
    /// the hit's NDJSON export line with the id left out. Equal hits get equal ids, whichever file or format they come in.
    /// </summary>
    /// <param name="hit">The hit (its <see cref="Hit.Id"/> is ignored).</param>
    /// <returns>The id.</returns>
    public static Guid DeriveId(Hit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(HitExportWriter.NdjsonBytes(hit with { Id = Guid.Empty }), hash);
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64BigEndian(bytes, Math.Max(0, hit.Timestamp.ToUnixTimeMilliseconds()) << 16);
        hash[..10].CopyTo(bytes[6..]);
        bytes[6] = (byte)(0x80 | (bytes[6] & 0x0F)); // version 8
        bytes[8] = (byte)(0x80 | (bytes[8] & 0x3F)); // variant 0b10
        return new Guid(bytes, bigEndian: true);
    }

    /// <summary>Reads the next hit, or <see langword="null"/> at the end of the file.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The hit; <see cref="LineNumber"/> tells where it starts.</returns>
    /// <exception cref="HitImportException">The next record is not a hit of the export; the message names the line.</exception>
    public async ValueTask<Hit?> ReadAsync(CancellationToken cancellationToken = default)
    {
        var hit = _format == HitExportFormat.Csv
            ? await ReadCsvAsync(cancellationToken).ConfigureAwait(false)
            : await ReadNdjsonAsync(cancellationToken).ConfigureAwait(false);
        if (hit is not null)
        {
            HitsRead++;
        }

        return hit;
    }

    // ---- lines ----

    /// <summary>The next physical line with its LF (if any), valid until the next call; <see langword="null"/> at the end.</summary>
    private async ValueTask<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var at = _buffer.AsSpan(_scan, _end - _scan).IndexOf((byte)'\n');
            if (at >= 0 || (_eof && _end > _start))
            {
                var stop = at >= 0 ? _scan + at + 1 : _end;
                if (stop - _start > MaxRecordBytes + 2)
                {
                    throw TooLong(_nextLine);
                }

                var line = _buffer.AsMemory(_start, stop - _start);
                _start = _scan = stop;
                if (!_started)
                {
                    _started = true;
                    if (line.Span.StartsWith("\uFEFF"u8))
                    {
                        line = line[3..];
                    }
                }

                return line;
            }

            if (_eof)
            {
                return null;
            }

            _scan = _end;
            if (_end - _start > MaxRecordBytes + 2)
            {
                throw TooLong(_nextLine);
            }

            if (_start > 0)
            {
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _scan -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxRecordBytes + 64 * 1024));
            }

            var read = await _input.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                _eof = true;
            }
            else
            {
                _end += read;
            }
        }
    }

    private static HitImportException TooLong(long line) =>
        new(line, null, $"the record is longer than {MaxRecordBytes} bytes (the export never writes one so long).");

    private static ReadOnlySpan<byte> TrimLineEnd(ReadOnlySpan<byte> line)
    {
        if (line.EndsWith("\n"u8))
        {
            line = line[..^1];
        }

        return line.EndsWith("\r"u8) ? line[..^1] : line;
    }

    // ---- NDJSON ----

    private async ValueTask<Hit?> ReadNdjsonAsync(CancellationToken cancellationToken)
    {
        while (await ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } memory)
        {
            var line = _nextLine++;
            var span = TrimLineEnd(memory.Span);
            if (span.Length > MaxRecordBytes)
            {
                throw TooLong(line);
            }

            if (span.TrimStart(" \t"u8).IsEmpty)
            {
                continue;
            }

            LineNumber = line;
            return ParseJson(span, line);
        }

        return null;
    }

    private static Hit ParseJson(ReadOnlySpan<byte> text, long line)
    {
        var values = new string?[Columns.Length];
        var present = new bool[Columns.Length];
        Dictionary<string, string>? properties = null;
        var reader = new Utf8JsonReader(text, new JsonReaderOptions { MaxDepth = 4 });
        string? field = null;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new HitImportException(line, null, "not a JSON object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                if (!ColumnIndex.TryGetValue(name, out var index))
                {
                    throw new HitImportException(line, Shorten(name), "unknown field (the export's fields: " + string.Join(", ", Columns) + ").");
                }

                field = name;
                if (present[index])
                {
                    throw new HitImportException(line, name, "appears twice.");
                }

                present[index] = true;
                reader.Read();
                if (index == PropsField)
                {
                    properties = reader.TokenType == JsonTokenType.Null ? null : ReadProperties(ref reader, line);
                    field = null;
                    continue;
                }

                values[index] = reader.TokenType switch
                {
                    JsonTokenType.Null => null,
                    JsonTokenType.String => reader.GetString(),
                    JsonTokenType.Number when index is VisitorField or PreviousVisitorField or ScreenWidthField or RevenueField =>
                        Encoding.UTF8.GetString(reader.ValueSpan),
                    _ => throw new HitImportException(line, name, "must be a string" + (index is VisitorField or PreviousVisitorField or ScreenWidthField or RevenueField ? ", a number" : string.Empty) + " or null."),
                };
                field = null;
            }

            if (reader.TokenType != JsonTokenType.EndObject)
            {
                throw new HitImportException(line, null, "not a flat JSON object of the export's fields.");
            }

            field = null;
            if (reader.Read())
            {
                throw new HitImportException(line, null, "text after the JSON object (one object per line).");
            }
        }
        catch (JsonException ex)
        {
            throw new HitImportException(line, field, "not valid JSON (" + ex.Message + ").", ex);
        }
        catch (InvalidOperationException ex)
        {
            // GetString on "\ud800" alone: JSON allows the escape, but it is no character (the export never writes one).
            throw new HitImportException(line, field is null ? null : Shorten(field), "holds an unpaired surrogate escape such as \\ud800 alone, which is no character.", ex);
        }

        return Build(values, present, properties, line);
    }

    private static Dictionary<string, string> ReadProperties(ref Utf8JsonReader reader, long line)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new HitImportException(line, "props", "must be a JSON object of string values.");
        }

        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new HitImportException(line, "props", $"the value of {Quote(key)} must be a string.");
            }

            AddProperty(properties, key, reader.GetString()!, line);
        }

        return properties;
    }

    private static void AddProperty(Dictionary<string, string> properties, string key, string value, long line)
    {
        if (properties.Count >= HitLimits.MaxProperties)
        {
            throw new HitImportException(line, "props", $"more than {HitLimits.MaxProperties} properties.");
        }

        if (key.Length > HitLimits.MaxPropertyKeyLength)
        {
            throw new HitImportException(line, "props", $"a key is longer than {HitLimits.MaxPropertyKeyLength} characters.");
        }

        if (value.Length > HitLimits.MaxPropertyValueLength)
        {
            throw new HitImportException(line, "props", $"the value of {Quote(key)} is longer than {HitLimits.MaxPropertyValueLength} characters.");
        }

        if (!properties.TryAdd(key, value))
        {
            throw new HitImportException(line, "props", $"the key {Quote(key)} appears twice.");
        }
    }

    // ---- CSV ----

    private async ValueTask<Hit?> ReadCsvAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var first = _nextLine;
            var cells = await ReadCsvRecordAsync(cancellationToken).ConfigureAwait(false);
            if (cells is null)
            {
                return null; // the end (an empty file has no header and no hits)
            }

            if (cells.Count == 0)
            {
                continue; // a blank line
            }

            if (_csvColumns is null)
            {
                _csvColumns = Header(cells, first);
                continue;
            }

            if (cells.Count != _csvColumns.Length)
            {
                throw new HitImportException(first, null, $"{cells.Count} cells where the header has {_csvColumns.Length}.");
            }

            var values = new string?[Columns.Length];
            var present = new bool[Columns.Length];
            Dictionary<string, string>? properties = null;
            for (var i = 0; i < cells.Count; i++)
            {
                var index = _csvColumns[i];
                present[index] = true;
                var value = Unguard(cells[i]);
                if (index == PropsField)
                {
                    properties = value.Length == 0 ? null : CsvProperties(value, first);
                }
                else
                {
                    // An empty cell: an empty string where the hit has no unknown value, unknown (null) elsewhere.
                    values[index] = value.Length == 0 && index is not (EventField or HostnameField or PathField) ? null : value;
                }
            }

            LineNumber = first;
            return Build(values, present, properties, first);
        }
    }

    private static int[] Header(List<string> cells, long line)
    {
        var columns = new int[cells.Count];
        var seen = new bool[Columns.Length];
        for (var i = 0; i < cells.Count; i++)
        {
            if (!ColumnIndex.TryGetValue(cells[i], out var index))
            {
                throw new HitImportException(line, Shorten(cells[i]), "unknown column in the header (the export's columns: " + string.Join(",", Columns) + ").");
            }

            if (seen[index])
            {
                throw new HitImportException(line, cells[i], "appears twice in the header.");
            }

            seen[index] = true;
            columns[i] = index;
        }

        foreach (var required in (int[])[SiteField, TimestampField, PathField])
        {
            if (!seen[required])
            {
                throw new HitImportException(line, Columns[required], "the header has no such column, and every hit needs one.");
            }
        }

        return columns;
    }

    private static Dictionary<string, string> CsvProperties(string json, long line)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), new JsonReaderOptions { MaxDepth = 2 });
        try
        {
            reader.Read();
            var properties = ReadProperties(ref reader, line);
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                throw new HitImportException(line, "props", "must be one JSON object of string values.");
            }

            return properties;
        }
        catch (JsonException ex)
        {
            throw new HitImportException(line, "props", "not valid JSON (" + ex.Message + ").", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new HitImportException(line, "props", "holds an unpaired surrogate escape such as \\ud800 alone, which is no character.", ex);
        }
    }

    /// <summary>
    /// The cells of the next CSV record (empty for a blank line), or <see langword="null"/> at the end. RFC 4180: a cell
    /// in quotes may hold commas, doubled quotes, CR and LF; records end with LF or CRLF.
    /// </summary>
    private async ValueTask<List<string>?> ReadCsvRecordAsync(CancellationToken cancellationToken)
    {
        var first = _nextLine;
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool inQuotes = false, quoted = false, any = false;
        var bytes = 0;
        while (await ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } memory)
        {
            var line = _nextLine++;
            bytes += memory.Length;
            if (bytes > MaxRecordBytes + 2)
            {
                throw TooLong(first);
            }

            if (!any && !inQuotes && TrimLineEnd(memory.Span).IsEmpty)
            {
                return cells; // a blank line
            }

            any = true;
            var i = 0;
            while (i < memory.Length)
            {
                var span = memory.Span;
                if (inQuotes)
                {
                    var quote = span[i..].IndexOf((byte)'"');
                    if (quote < 0)
                    {
                        Decode(cell, span[i..], first, cells.Count);
                        i = span.Length;
                    }
                    else
                    {
                        Decode(cell, span.Slice(i, quote), first, cells.Count);
                        i += quote + 1;
                        if (i < span.Length && span[i] == '"')
                        {
                            cell.Append('"');
                            i++;
                        }
                        else
                        {
                            inQuotes = false;
                        }
                    }

                    continue;
                }

                var b = span[i];
                if (b == ',')
                {
                    AddCell(cells, cell, first);
                    quoted = false;
                    i++;
                }
                else if (b == '\n' || (b == '\r' && i + 1 < span.Length && span[i + 1] == '\n'))
                {
                    AddCell(cells, cell, first);
                    return cells;
                }
                else if (b == '\r')
                {
                    throw new HitImportException(line, CellName(cells.Count), "a carriage return outside quotes.");
                }
                else if (quoted)
                {
                    throw new HitImportException(line, CellName(cells.Count), "text after the closing quote of a cell.");
                }
                else if (b == '"')
                {
                    if (cell.Length > 0)
                    {
                        throw new HitImportException(line, CellName(cells.Count), "a quote inside a cell that does not start with one (RFC 4180 doubles it inside quotes).");
                    }

                    inQuotes = quoted = true;
                    i++;
                }
                else
                {
                    var stop = span[i..].IndexOfAny(",\"\r\n"u8);
                    var length = stop < 0 ? span.Length - i : stop;
                    Decode(cell, span.Slice(i, length), first, cells.Count);
                    i += length;
                }
            }
        }

        if (inQuotes)
        {
            throw new HitImportException(first, CellName(cells.Count), "a quoted cell that never ends (the file ends inside it).");
        }

        if (!any)
        {
            return null;
        }

        AddCell(cells, cell, first);
        return cells;

        string CellName(int index) => _csvColumns is { } columns && index < columns.Length ? Columns[columns[index]] : "column " + (index + 1).ToString(CultureInfo.InvariantCulture);

        void AddCell(List<string> list, StringBuilder text, long at)
        {
            if (list.Count >= Columns.Length)
            {
                throw new HitImportException(at, null, $"more than the {Columns.Length} cells the export writes.");
            }

            list.Add(text.ToString());
            text.Clear();
        }
    }

    private void Decode(StringBuilder cell, ReadOnlySpan<byte> bytes, long line, int index)
    {
        try
        {
            cell.Append(StrictUtf8.GetString(bytes));
        }
        catch (DecoderFallbackException ex)
        {
            var name = _csvColumns is { } columns && index < columns.Length ? Columns[columns[index]] : null;
            throw new HitImportException(line, name, "not valid UTF-8.", ex);
        }
    }

    /// <summary>The exact inverse of <see cref="HitExportWriter.CsvCell"/>'s apostrophe: taken off only where it puts one.</summary>
    internal static string Unguard(string cell) =>
        cell.Length >= 2 && cell[0] == '\'' && HitExportWriter.NeedsFormulaGuard(cell[1..]) ? cell[1..] : cell;

    // ---- the hit ----

    private static Hit Build(string?[] values, bool[] present, Dictionary<string, string>? properties, long line)
    {
        var siteId = values[SiteField];
        if (string.IsNullOrEmpty(siteId))
        {
            throw new HitImportException(line, "site_id", present[SiteField] ? "is empty; every hit belongs to a site." : "is missing; every hit belongs to a site.");
        }

        var path = values[PathField] ?? throw new HitImportException(line, "path", present[PathField] ? "is null; every hit has a path." : "is missing; every hit has a path.");
        var hit = new Hit
        {
            Id = Guid.Empty,
            SiteId = siteId,
            Timestamp = Timestamp(values[TimestampField], present[TimestampField], line),
            EventName = values[EventField] ?? Hit.PageviewEvent,
            Hostname = values[HostnameField] ?? string.Empty,
            Path = path,
            Referrer = values[6],
            ReferrerSource = values[7],
            Channel = values[8],
            UtmSource = values[9],
            UtmMedium = values[10],
            UtmCampaign = values[11],
            UtmTerm = values[12],
            UtmContent = values[13],
            VisitorId = values[VisitorField] is { } visitor ? Long(visitor, "visitor_id", line) : 0,
            PreviousVisitorId = values[PreviousVisitorField] is { } previous ? Long(previous, "previous_visitor_id", line) : null,
            Browser = values[16],
            BrowserVersion = values[17],
            OperatingSystem = values[18],
            OperatingSystemVersion = values[19],
            DeviceType = values[20],
            Country = values[21],
            Region = values[22],
            City = values[23],
            ScreenWidth = values[ScreenWidthField] is { } width ? ScreenWidth(width, line) : null,
            Language = values[25],
            RevenueAmount = values[RevenueField] is { } amount ? Revenue(amount, line) : null,
            RevenueCurrency = values[27],
            Properties = properties is { Count: > 0 } ? properties.AsReadOnly() : Hit.EmptyProperties,
        };

        var idText = values[IdField];
        if (string.IsNullOrEmpty(idText))
        {
            return hit with { Id = DeriveId(hit) };
        }

        return Guid.TryParseExact(idText, "D", out var id)
            ? hit with { Id = id }
            : throw new HitImportException(line, "id", "not a UUID such as 0193b7a2-5c1e-7d3f-8a2b-4c5d6e7f8091.");
    }

    private static DateTimeOffset Timestamp(string? text, bool present, long line)
    {
        if (text is null)
        {
            throw new HitImportException(line, "timestamp", present ? "is null; every hit has a time." : "is missing; every hit has a time.");
        }

        // ISO 8601 with a Z or an offset: a time without one would be read in some zone nobody chose.
        var zoned = text.EndsWith('Z') || text.EndsWith('z') ||
            (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
        if (!zoned || !DateTimeOffset.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var timestamp))
        {
            throw new HitImportException(line, "timestamp", "not an ISO 8601 time with Z or an offset, such as 2026-03-01T09:14:03.123Z.");
        }

        return new DateTimeOffset(timestamp.UtcTicks - (timestamp.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
    }

    private static long Long(string text, string field, long line) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new HitImportException(line, field, "not a 64-bit integer.");

    private static int ScreenWidth(string text, long line) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new HitImportException(line, "screen_width", "not a 32-bit integer.");

    private static decimal Revenue(string text, long line)
    {
        if (!decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            throw new HitImportException(line, "revenue_amount", "not a decimal number such as 49.90.");
        }

        if (Math.Abs(amount) > MaxRevenue)
        {
            throw new HitImportException(line, "revenue_amount", "beyond what a store keeps (at most 12 digits before the point).");
        }

        return amount;
    }

    private static string Shorten(string name) => name.Length > 64 ? name[..64] + "…" : name;

    private static string Quote(string text) => "\"" + (text.Length > 64 ? text[..64] + "…" : text) + "\"";
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Globalization;
using System.Text.Json.Serialization;
using FrancisBeacon.Querying;
using FrancisBeacon.Storage;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// <c>POST {api}/import?site_id=…&amp;format=ndjson|csv</c>: the body is an export file of the site (see
/// <c>MapBeaconImportApi</c>), read as a stream and appended to the store in batches.
/// </summary>
internal sealed partial class ImportEndpoint(BeaconImportOptions options)
{
    /// <summary>How far in the future a hit may be (the clock of the server that exported it may run ahead).</summary>
    internal static readonly TimeSpan FutureTolerance = TimeSpan.FromHours(1);

    /// <summary>The <c>Retry-After</c> of an import refused because others run, in seconds.</summary>
    internal const int BusyRetryAfterSeconds = 30;

    public async Task<IResult> HandleAsync(HttpContext context, SiteResolver sites, IHitStore store, ImportGate gate, TimeProvider time, ILogger<ImportEndpoint> logger)
    {
        if (ErasureEndpoint.RefusedWrite(context, "import", "Import") is { } refused)
        {
            return refused;
        }

        // A form (or a no-cors fetch) of another origin can POST only these types, or none, without a CORS preflight.
        var contentType = context.Request.ContentType;
        if (string.IsNullOrWhiteSpace(contentType) || IsFormType(contentType))
        {
            return StatsEndpoint.Error("Send the file with Content-Type: application/x-ndjson or text/csv (form types are refused).", "content_type", StatusCodes.Status415UnsupportedMediaType);
        }

        ResolvedSite site;
        HitExportFormat format;
        try
        {
            var query = context.Request.Query;
            var siteId = query["site_id"].ToString();
            if (string.IsNullOrWhiteSpace(siteId))
            {
                throw new HitQueryException("site_id", "site_id is required: an import never picks a site on its own.");
            }

            site = sites.For(context.User).ForQuery(siteId);
            format = query["format"].ToString() switch
            {
                "" or "ndjson" => HitExportFormat.Ndjson,
                "csv" => HitExportFormat.Csv,
                _ => throw new HitQueryException("format", "format is ndjson or csv."),
            };
        }
        catch (HitQueryException ex)
        {
            return StatsEndpoint.Error(ex);
        }

        var encoding = context.Request.Headers.ContentEncoding.ToString().Trim();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
        {
            return StatsEndpoint.Error("Content-Encoding is gzip or none.", "content_encoding", StatusCodes.Status415UnsupportedMediaType);
        }

        if (context.Request.ContentLength > options.MaxRequestBodySize)
        {
            return TooLarge(new LastProgress(store).Last);
        }

        switch (gate.TryEnter(site.Id, options.MaxConcurrentImports))
        {
            case ImportGate.Entry.SiteBusy:
                context.Response.Headers.RetryAfter = BusyRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return StatsEndpoint.Error($"Another import into site {site.Id} is running in this process; send this one once it has been answered.", "site_id", StatusCodes.Status409Conflict);
            case ImportGate.Entry.Full:
                context.Response.Headers.RetryAfter = BusyRetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                return StatsEndpoint.Error($"{options.MaxConcurrentImports} imports are running in this process (BeaconImportOptions.MaxConcurrentImports); try again shortly.", "import", StatusCodes.Status503ServiceUnavailable);
        }

        try
        {
            return await ImportAsync(context, site, format, gzip, store, time, logger);
        }
        finally
        {
            gate.Leave(site.Id);
        }
    }

    private async Task<IResult> ImportAsync(HttpContext context, ResolvedSite site, HitExportFormat format, bool gzip, IHitStore store, TimeProvider time, ILogger<ImportEndpoint> logger)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.MaxRequestBodySize;
        }

        var progress = new LastProgress(store);
        var transfer = new HitTransferOptions
        {
            BatchSize = options.BatchSize,
            SiteId = site.Id,
            NotAfter = time.GetUtcNow() + FutureTolerance,
        };
        var body = new BoundedStream(context.Request.Body, options.MaxRequestBodySize);
        try
        {
            HitTransferResult result;
            if (gzip)
            {
                await using var unzipped = new GzipBodyStream(body);
                result = await HitTransfer.ImportAsync(new HitExportReader(new BoundedStream(unzipped, options.MaxRequestBodySize), format), store, transfer, progress, context.RequestAborted);
            }
            else
            {
                result = await HitTransfer.ImportAsync(new HitExportReader(body, format), store, transfer, progress, context.RequestAborted);
            }

            var name = Name(format);
            LogImported(logger, site.Id, result.Read, result.Appended, name);
            return Results.Json(new ImportResponse(site.Id, name, result.Read, result.Appended, result.Added, result.AlreadyPresent), ImportJsonContext.Default.ImportResponse);
        }
        catch (HitImportException ex)
        {
            LogStopped(logger, site.Id, ex.LineNumber, ex.HitsAppended);
            return Results.Json(
                new ImportError(ex.Message, ex.Field ?? "body", ex.LineNumber, ex.HitsRead, ex.HitsAppended, ex.HitsAdded),
                ImportJsonContext.Default.ImportError,
                statusCode: StatusCodes.Status400BadRequest);
        }
        catch (BodyTooLargeException)
        {
            return TooLarge(progress.Last);
        }
        catch (IOException ex) when (ex is ConnectionResetException || context.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-upload (a reset connection): nobody reads the answer, but the log says what was
            // stored (the batches before it), where an unhandled exception logged an error and answered 500.
            LogAborted(logger, site.Id, progress.Last.Read, progress.Last.Appended);
            return Stopped("The connection was closed before the body ended.", "body", progress.Last, StatusCodes.Status400BadRequest);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(progress.Last);
        }
        catch (BadHttpRequestException ex)
        {
            // The server could not read the body (a broken chunked encoding, a body shorter than its Content-Length).
            return Stopped("The request body could not be read (" + ex.Message + ").", "body", progress.Last, ex.StatusCode);
        }
        catch (InvalidDataException ex) when (gzip)
        {
            return Stopped("The body is not valid gzip (" + ex.Message + ").", "content_encoding", progress.Last, StatusCodes.Status400BadRequest);
        }
    }

    private IResult TooLarge(HitTransferResult progress) =>
        Stopped($"The body is larger than the import's limit of {options.MaxRequestBodySize} bytes (BeaconImportOptions.MaxRequestBodySize); split the file by date (export with date=…) or raise the limit.", "body", progress, StatusCodes.Status413PayloadTooLarge);

    /// <summary>An import that stopped before the end of its body (no line to name), with what it had stored.</summary>
    private static IResult Stopped(string message, string field, HitTransferResult progress, int status) =>
        Results.Json(
            new ImportError(message, field, 0, progress.Read, progress.Appended, progress.Added),
            ImportJsonContext.Default.ImportError,
            statusCode: status);

    private static bool IsFormType(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) &&
        (media.MediaType.Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) ||
         media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase) ||
         media.MediaType.Equals("text/plain", StringComparison.OrdinalIgnoreCase));

    private static string Name(HitExportFormat format) => format == HitExportFormat.Csv ? "csv" : "ndjson";

    [LoggerMessage(EventId = 230, Level = LogLevel.Information, Message = "Import into site {SiteId}: {Read} hits read, {Appended} appended ({Format})")]
    private static partial void LogImported(ILogger logger, string siteId, long read, long appended, string format);

    [LoggerMessage(EventId = 231, Level = LogLevel.Information, Message = "Import into site {SiteId} stopped at line {Line} of the file; {Appended} hits before it were appended")]
    private static partial void LogStopped(ILogger logger, string siteId, long line, long appended);

    [LoggerMessage(EventId = 232, Level = LogLevel.Information, Message = "Import into site {SiteId} ended by the client before its body did: {Read} hits read, {Appended} appended")]
    private static partial void LogAborted(ILogger logger, string siteId, long read, long appended);

    private sealed class LastProgress(IHitStore store) : IProgress<HitTransferResult>
    {
        public HitTransferResult Last { get; private set; } = new(0, 0) { Added = store is IHitStoreCountedAppend ? 0 : null };

        public void Report(HitTransferResult value) => Last = value;
    }

    private sealed class BodyTooLargeException() : IOException("The request body is larger than the import's limit.");

    /// <summary>A read-only view of a stream that fails once more than <c>limit</c> bytes have been read.</summary>
    private sealed class BoundedStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _read;
            set => throw new NotSupportedException();
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            return Count(read);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int read)
        {
            _read += read;
            return _read > limit ? throw new BodyTooLargeException() : read;
        }
    }
}

/// <summary>
/// The answer of a complete import. <c>appended</c> counts every hit handed to the store, new or not; <c>added</c> the
/// new ones and <c>already_present</c> the others, both <see langword="null"/> when the store cannot tell
/// (<see cref="IHitStoreCountedAppend"/>).
/// </summary>
internal sealed record ImportResponse(
    [property: JsonPropertyName("site_id")] string SiteId,
    [property: JsonPropertyName("format")] string Format,
    [property: JsonPropertyName("read")] long Read,
    [property: JsonPropertyName("appended")] long Appended,
    [property: JsonPropertyName("added")] long? Added,
    [property: JsonPropertyName("already_present")] long? AlreadyPresent);

internal sealed record ImportError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("line")] long Line,
    [property: JsonPropertyName("read")] long Read,
    [property: JsonPropertyName("appended")] long Appended,
    [property: JsonPropertyName("added")] long? Added)
{
    [JsonPropertyName("already_present")]
    public long? AlreadyPresent => Appended - Added;
}

[JsonSerializable(typeof(ImportResponse))]
[JsonSerializable(typeof(ImportError))]
internal sealed partial class ImportJsonContext : JsonSerializerContext;

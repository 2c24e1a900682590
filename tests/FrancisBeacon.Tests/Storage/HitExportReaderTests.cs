// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Text;
using FrancisBeacon.Storage;
using FrancisBeacon.Testing;

namespace FrancisBeacon.Tests.Storage;

public sealed class HitExportReaderTests
{
    private const string Header = "id,site_id,timestamp,event_name,hostname,path,referrer,referrer_source,channel,utm_source,utm_medium,utm_campaign,utm_term,utm_content,visitor_id,previous_visitor_id,browser,browser_version,os,os_version,device_type,country,region,city,screen_width,language,revenue_amount,revenue_currency,props";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<List<Hit>> ReadAsync(string text, HitExportFormat format)
    {
        var hits = new List<Hit>();
        await foreach (var hit in HitExportReader.ReadAllAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), format, Ct))
        {
            hits.Add(hit);
        }

        return hits;
    }

    private static async Task<HitImportException> FailAsync(string text, HitExportFormat format) =>
        await Assert.ThrowsAsync<HitImportException>(() => ReadAsync(text, format));

    private static string Write(IEnumerable<Hit> hits, HitExportFormat format)
    {
        var buffer = new StringBuilder(format == HitExportFormat.Csv ? HitExportWriter.CsvHeader : string.Empty);
        foreach (var hit in hits)
        {
            HitExportWriter.Append(buffer, hit, format);
        }

        return buffer.ToString();
    }

    [Theory]
    [InlineData(HitExportFormat.Ndjson)]
    [InlineData(HitExportFormat.Csv)]
    public void Write_PropertiesInAnyOrder_WritesTheSameBytes(HitExportFormat format)
    {
        // PostgreSQL's jsonb gives properties back in its own order (shorter keys first), SQLite in the order stored: the
        // export of the same hits differed between the stores, which import.md tells a migration to compare.
        var id = Guid.Parse("0193b7a2-5c1e-7d3f-8a2b-4c5d6e7f8091");
        var first = HitBuilder.Pageview("/").WithId(id).WithProperty("plan", "pro").WithProperty("a", "1").WithProperty("zz", "2").Build();
        var second = HitBuilder.Pageview("/").WithId(id).WithProperty("a", "1").WithProperty("zz", "2").WithProperty("plan", "pro").Build();

        Assert.Equal(Write([first], format), Write([second], format));
        Assert.Equal(HitExportReader.DeriveId(first), HitExportReader.DeriveId(second));
        Assert.Contains(format == HitExportFormat.Csv ? "{\"\"a\"\":\"\"1\"\",\"\"plan\"\":\"\"pro\"\",\"\"zz\"\"" : "{\"a\":\"1\",\"plan\":\"pro\",\"zz\"", Write([first], format), StringComparison.Ordinal);
    }

    [Fact]
    public void CsvHeader_IsTheExportsColumns()
    {
        Assert.Equal(Header + "\r\n", HitExportWriter.CsvHeader);
    }

    /// <summary>Revenue is written without trailing zeros, so a store keeping numeric(18,6) exports what one keeping 29 does.</summary>
    [Theory]
    [InlineData("29.000000", "29")]
    [InlineData("-49.900000", "-49.9")]
    [InlineData("0.000001", "0.000001")]
    [InlineData("999999999999.999999", "999999999999.999999")]
    public void Append_Revenue_WrittenWithoutTrailingZeros(string stored, string written)
    {
        var hit = new Hit { Id = Guid.Empty, SiteId = "s", Timestamp = HitBuilder.DefaultTimestamp, Path = "/", RevenueAmount = decimal.Parse(stored, System.Globalization.CultureInfo.InvariantCulture) };

        Assert.Contains($"\"revenue_amount\":\"{written}\"", Write([hit], HitExportFormat.Ndjson), StringComparison.Ordinal);
        Assert.Contains($",{written},", Write([hit], HitExportFormat.Csv), StringComparison.Ordinal);
    }

    /// <summary>
    /// The apostrophe the CSV writer puts before formula-like cells is taken off exactly where it was put: values that
    /// start with an apostrophe themselves get one more, so "'=x" and "=x" stay two values (before, both were written
    /// "'=x").
    /// </summary>
    [Theory]
    [InlineData("=1+2", "'=1+2")]
    [InlineData("'=1+2", "''=1+2")]
    [InlineData("'", "''")]
    [InlineData("''", "'''")]
    [InlineData("'abc", "''abc")]
    [InlineData("-49.9", "-49.9")]
    [InlineData("'-49.9", "''-49.9")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@x", "'@x")]
    [InlineData("\tx", "'\tx")]
    [InlineData("plain", "plain")]
    public async Task CsvCell_FormulaGuard_IsUndoneExactly(string value, string cell)
    {
        Assert.Equal(cell, HitExportWriter.CsvCell(value));
        var hit = new Hit { Id = Guid.NewGuid(), SiteId = "s", Timestamp = HitBuilder.DefaultTimestamp, Path = "/", Referrer = value, Properties = new Dictionary<string, string> { ["k"] = value } };

        var read = Assert.Single(await ReadAsync(Write([hit], HitExportFormat.Csv), HitExportFormat.Csv));

        Assert.Equal(value, read.Referrer);
        Assert.Equal(value, read.Properties["k"]);
    }

    [Theory]
    [InlineData(HitExportFormat.Ndjson)]
    [InlineData(HitExportFormat.Csv)]
    public async Task ReadAsync_WrittenHits_ComeBackAndWriteTheSameBytes(HitExportFormat format)
    {
        List<Hit> hits = [HitScenario.EveryField(), .. HitScenario.Unicode(), .. HitScenario.ExtremeVisitorIds(), HitScenario.NullOptionalFields()];
        var text = Write(hits, format);

        var read = await ReadAsync(text, format);

        HitAssert.Equal(hits, read);
        Assert.Equal(text, Write(read, format));
    }

    [Fact]
    public async Task ReadAsync_NdjsonByHand_MissingFieldsAreUnknownAndNumbersMayBeNumbers()
    {
        var read = Assert.Single(await ReadAsync("\uFEFF\r\n{\"site_id\":\"a.example\",\"timestamp\":\"2026-03-01T10:00:00+01:00\",\"path\":\"/x\",\"visitor_id\":-9007199254740993,\"screen_width\":1280,\"revenue_amount\":49.90}\r\n\n", HitExportFormat.Ndjson));

        Assert.Equal(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero), read.Timestamp);
        Assert.Equal(Hit.PageviewEvent, read.EventName);
        Assert.Equal(string.Empty, read.Hostname);
        Assert.Null(read.Referrer);
        Assert.Null(read.PreviousVisitorId);
        Assert.Equal(-9007199254740993, read.VisitorId);
        Assert.Equal(1280, read.ScreenWidth);
        Assert.Equal(49.90m, read.RevenueAmount);
        Assert.Empty(read.Properties);
        Assert.Equal(8, read.Id.Version);
    }

    /// <summary>A hit without an id gets one from its content: the same in both formats and on every run, different for another hit.</summary>
    [Fact]
    public async Task ReadAsync_NoId_DerivesTheSameIdFromTheSameContent()
    {
        var ndjson = "{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00.123Z\",\"path\":\"/x\",\"props\":{\"k\":\"v\"}}\n" +
                     "{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00.123Z\",\"path\":\"/y\",\"props\":{\"k\":\"v\"}}\n";
        var csv = "site_id,timestamp,path,props\r\na,2026-03-01T10:00:00.123Z,/x,\"{\"\"k\"\":\"\"v\"\"}\"\r\n";

        var fromJson = await ReadAsync(ndjson, HitExportFormat.Ndjson);
        var fromCsv = Assert.Single(await ReadAsync(csv, HitExportFormat.Csv));

        Assert.Equal(fromJson[0].Id, fromCsv.Id);
        Assert.Equal(fromJson[0].Id, (await ReadAsync(ndjson, HitExportFormat.Ndjson))[0].Id);
        Assert.NotEqual(fromJson[0].Id, fromJson[1].Id);
        Assert.StartsWith(fromJson[0].Timestamp.ToUnixTimeMilliseconds().ToString("x12", System.Globalization.CultureInfo.InvariantCulture), fromJson[0].Id.ToString("N"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_CsvSubsetOfColumnsInAnyOrder_EmptyCellsAreUnknown()
    {
        var read = Assert.Single(await ReadAsync("path,timestamp,site_id,referrer,hostname\n/p,2026-03-01T10:00:00Z,a,,\n", HitExportFormat.Csv));

        Assert.Equal("/p", read.Path);
        Assert.Null(read.Referrer);
        Assert.Equal(string.Empty, read.Hostname);
    }

    [Theory]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00Z\",\"path\":\"/\"}\n{\"site_id\":\"a\",\n", 2, null)]
    [InlineData("\n\n{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00Z\",\"path\":\"/\",\"utm_sorce\":\"x\"}", 3, "utm_sorce")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00Z\",\"path\":\"/\",\"visitor_id\":\"12x\"}", 1, "visitor_id")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01 10:00:00\",\"path\":\"/\"}", 1, "timestamp")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00\",\"path\":\"/\"}", 1, "timestamp")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"0001-01-01T00:00:00+01:00\",\"path\":\"/\"}", 1, "timestamp")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"9999-12-31T23:59:59-01:00\",\"path\":\"/\"}", 1, "timestamp")]
    [InlineData("{\"timestamp\":\"2026-03-01T10:00:00Z\",\"path\":\"/\"}", 1, "site_id")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00Z\"}", 1, "path")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00Z\",\"path\":\"/\",\"id\":\"nope\"}", 1, "id")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00Z\",\"path\":\"/\",\"path\":\"/2\"}", 1, "path")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00Z\",\"path\":{\"nested\":1}}", 1, "path")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00Z\",\"path\":\"/\",\"props\":{\"k\":1}}", 1, "props")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00Z\",\"path\":\"/\",\"props\":{\"k\":\"\\ud800\"}}", 1, "props")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00Z\",\"path\":\"/\",\"revenue_amount\":\"-1000000000000\"}", 1, "revenue_amount")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00Z\",\"path\":\"/\",\"revenue_amount\":\"1e40\"}", 1, "revenue_amount")]
    [InlineData("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00Z\",\"path\":\"/\"} {}", 1, null)]
    [InlineData("[1,2]", 1, null)]
    public async Task ReadAsync_BadNdjson_NamesTheLineAndField(string text, long line, string? field)
    {
        var error = await FailAsync(text, HitExportFormat.Ndjson);

        Assert.Equal(line, error.LineNumber);
        Assert.Equal(field, error.Field);
        Assert.StartsWith($"Line {line}", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("site_id,timestamp,pth\n", 1, "pth")]
    [InlineData("site_id,timestamp\n", 1, "path")]
    [InlineData("site_id,timestamp,path,path\n", 1, "path")]
    [InlineData("site_id,timestamp,path\na,2026-03-01T10:00:00Z\n", 2, null)]
    [InlineData("site_id,timestamp,path\na,2026-03-01T10:00:00Z,\"/never\nends\n", 2, "path")]
    [InlineData("site_id,timestamp,path\na,2026-03-01T10:00:00Z,\"/x\"y\n", 2, "path")]
    [InlineData("site_id,timestamp,path\na,2026-03-01T10:00:00Z,/x\"y\n", 2, "path")]
    [InlineData("site_id,timestamp,path\r\na,2026-03-01T10:00:00Z,/ok\r\n\"multi\nline\",2026-03-01T10:00:00Z,/x,extra\r\n", 3, null)]
    [InlineData("site_id,timestamp,path,props\na,2026-03-01T10:00:00Z,/,{not json}\n", 2, "props")]
    [InlineData("site_id,timestamp,path,screen_width\na,2026-03-01T10:00:00Z,/,wide\n", 2, "screen_width")]
    public async Task ReadAsync_BadCsv_NamesTheLineAndField(string text, long line, string? field)
    {
        var error = await FailAsync(text, HitExportFormat.Csv);

        Assert.Equal(line, error.LineNumber);
        Assert.Equal(field, error.Field);
    }

    [Fact]
    public async Task ReadAsync_InvalidUtf8InCsv_IsAnError()
    {
        var bytes = Encoding.UTF8.GetBytes("site_id,timestamp,path\na,2026-03-01T10:00:00Z,/");
        var stream = new MemoryStream([.. bytes, 0xC3, 0x28, (byte)'\n']);

        var error = await Assert.ThrowsAsync<HitImportException>(async () => await new HitExportReader(stream, HitExportFormat.Csv).ReadAsync(Ct));

        Assert.Equal(2, error.LineNumber);
        Assert.Equal("path", error.Field);
    }

    /// <summary>A line longer than MaxRecordBytes fails at that line before the reader holds much more than the bound.</summary>
    [Theory]
    [InlineData(HitExportFormat.Ndjson)]
    [InlineData(HitExportFormat.Csv)]
    public async Task ReadAsync_EndlessLine_FailsAtTheBound(HitExportFormat format)
    {
        var stream = new EndlessStream(format == HitExportFormat.Csv ? "site_id,timestamp,path\n\"" : "{\"site_id\":\"");
        var reader = new HitExportReader(stream, format);

        var error = await Assert.ThrowsAsync<HitImportException>(async () => await reader.ReadAsync(Ct));

        Assert.Equal(format == HitExportFormat.Csv ? 2 : 1, error.LineNumber);
        Assert.InRange(stream.Position, HitExportReader.MaxRecordBytes, 2L * HitExportReader.MaxRecordBytes);
    }

    [Fact]
    public async Task ReadAsync_TooManyProperties_IsAnError()
    {
        var props = string.Join(',', Enumerable.Range(0, HitLimits.MaxProperties + 1).Select(i => $"\"k{i}\":\"v\""));

        var error = await FailAsync("{\"site_id\":\"a\",\"timestamp\":\"2026-03-01T10:00:00Z\",\"path\":\"/\",\"props\":{" + props + "}}", HitExportFormat.Ndjson);

        Assert.Equal("props", error.Field);
    }

    /// <summary>Hostile bytes give a HitImportException and nothing else.</summary>
    [Fact]
    public async Task ReadAsync_RandomBytes_OnlyEverHitImportException()
    {
        var random = new Random(20261130);
        var seeds = new[] { Write([HitScenario.EveryField()], HitExportFormat.Ndjson), Write([HitScenario.EveryField()], HitExportFormat.Csv) };
        for (var i = 0; i < 400; i++)
        {
            var format = i % 2 == 0 ? HitExportFormat.Ndjson : HitExportFormat.Csv;
            var bytes = Encoding.UTF8.GetBytes(seeds[i % 2]);
            for (var n = 0; n < 1 + (i % 5); n++)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            try
            {
                await foreach (var _ in HitExportReader.ReadAllAsync(new MemoryStream(bytes), format, Ct))
                {
                }
            }
            catch (HitImportException)
            {
            }
        }
    }

    private sealed class EndlessStream(string start) : Stream
    {
        private readonly byte[] _start = Encoding.UTF8.GetBytes(start);
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            for (var i = 0; i < count; i++, _position++)
            {
                buffer[offset + i] = _position < _start.Length ? _start[_position] : (byte)'x';
            }

            return count;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

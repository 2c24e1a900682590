// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using FrancisBeacon.Sql;

namespace FrancisBeacon.PostgreSql;

/// <summary>
/// Encodes a batch of hits in PostgreSQL's binary <c>COPY</c> format (the header, one tuple per hit in the column
/// order of <see cref="PostgreSqlSql.CopyDirect"/>, the trailer) into one reused buffer and hands it to the COPY stream
/// in chunks of about 64 KiB: no per-value call into Npgsql (its <c>NpgsqlBinaryImporter</c> went through an
/// <c>NpgsqlParameter</c>, a type lookup and an async state machine for each of the 29 values of a row, about 6 us of
/// the app's CPU per hit; docs/performance.md, "Round 11").
/// </summary>
/// <remarks>
/// Each value is written as the column type's binary receive function reads it, as Npgsql writes it: <c>uuid</c> as 16
/// bytes in RFC 9562 (big-endian) order; <c>text</c> as UTF-8, after <see cref="HitText.Clean(Hit)"/> (a NUL or an
/// unpaired surrogate, which PostgreSQL cannot hold, becomes U+FFFD; the encoder stays strict behind it) and
/// <see cref="HitText.Truncate(Hit)"/> (a value longer than its <see cref="HitLimits"/> size in bytes is cut); <c>timestamptz</c> as microseconds since 2000-01-01 UTC, truncated to the millisecond first
/// (<see cref="PostgreSqlDialect.ToStored"/>), <see cref="DateTimeOffset.MinValue"/> as <c>-infinity</c>; <c>bigint</c>
/// and <c>integer</c> big-endian; <c>jsonb</c> as version 1 and the JSON text; <c>numeric</c> as base-10000 digits
/// (<see cref="WriteNumeric"/>).
/// </remarks>
internal static class PostgreSqlHitCopy
{
    /// <summary>Bytes gathered before they go to the stream.</summary>
    internal const int ChunkBytes = 64 * 1024;

    private const int Columns = 29;

    // Microseconds between 0001-01-01 and 2000-01-01 (PostgreSQL's epoch), in .NET ticks.
    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // The signature "PGCOPY\n\xff\r\n\0", then the flags and the header extension's length (both 0).
    private static ReadOnlySpan<byte> Header => [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    /// <summary>
    /// Writes <paramref name="hits"/> to <paramref name="copy"/>, an open binary COPY stream; with
    /// <paramref name="withOrdinal"/> each row starts with its index in the batch (an <c>integer</c>), for the merge's
    /// temporary table.
    /// </summary>
    public static async ValueTask WriteAsync(Stream copy, IReadOnlyList<Hit> hits, bool withOrdinal, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            Header.CopyTo(buffer);
            var used = Header.Length;
            for (var i = 0; i < hits.Count; i++)
            {
                // A NUL or an unpaired surrogate has no place in PostgreSQL's text and jsonb (a 0x00 byte and \u0000 are
                // refused, and a lone surrogate has no UTF-8 form): it would fail the whole batch, so it becomes U+FFFD
                // here too, for a caller that did not clean its hits (the beacon's own pipeline already did). A value longer
                // than its HitLimits size in bytes is cut (HitText.Truncate), as on every store: the rollup keys hold the
                // values, and a B-tree entry over 2,704 bytes would fail every rollup pass of the hit's day.
                var hit = HitText.Truncate(HitText.Clean(hits[i] ?? throw new ArgumentException("The batch holds a null hit.", nameof(hits))));
                var json = HitPropertiesJson.Serialize(hit.Properties);
                var most = MaxRowBytes(hit, json);
                if (used + most > buffer.Length)
                {
                    await copy.WriteAsync(buffer.AsMemory(0, used), cancellationToken).ConfigureAwait(false);
                    used = 0;
                    if (most > buffer.Length)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(most);
                    }
                }

                used += WriteRow(buffer.AsSpan(used), hit, json, withOrdinal ? i : -1);
            }

            if (used + 2 > buffer.Length)
            {
                await copy.WriteAsync(buffer.AsMemory(0, used), cancellationToken).ConfigureAwait(false);
                used = 0;
            }

            BinaryPrimitives.WriteInt16BigEndian(buffer.AsSpan(used), -1); // the trailer
            used += 2;
            await copy.WriteAsync(buffer.AsMemory(0, used), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>An upper bound of the bytes <see cref="WriteRow"/> writes for a hit.</summary>
    internal static int MaxRowBytes(Hit hit, string? json)
    {
        // field count, the ordinal, and each field's length word and fixed-size value (uuid, ts, 3 integers, numeric)
        var most = 2 + 8 + (Columns * 4) + 16 + 8 + 8 + 4 + 8 + 64;
        most += Text(hit.SiteId) + Text(hit.EventName) + Text(hit.Hostname) + Text(hit.Path) + Text(hit.Referrer) +
            Text(hit.ReferrerSource) + Text(hit.UtmSource) + Text(hit.UtmMedium) + Text(hit.UtmCampaign) + Text(hit.UtmTerm) +
            Text(hit.UtmContent) + Text(hit.Browser) + Text(hit.BrowserVersion) + Text(hit.OperatingSystem) +
            Text(hit.OperatingSystemVersion) + Text(hit.DeviceType) + Text(hit.Country) + Text(hit.Region) + Text(hit.City) +
            Text(hit.Language) + Text(json) + 1 + Text(hit.Channel) + Text(hit.RevenueCurrency);
        return most;

        static int Text(string? value) => value is null ? 0 : Utf8.GetMaxByteCount(value.Length);
    }

    /// <summary>Writes one tuple; returns its length. <paramref name="ordinal"/> is written first unless negative.</summary>
    internal static int WriteRow(Span<byte> row, Hit hit, string? json, int ordinal)
    {
        var at = 0;
        BinaryPrimitives.WriteInt16BigEndian(row, (short)(ordinal >= 0 ? Columns + 1 : Columns));
        at += 2;
        if (ordinal >= 0)
        {
            Int32(row, ref at, ordinal);
        }

        BinaryPrimitives.WriteInt32BigEndian(row[at..], 16);
        hit.Id.TryWriteBytes(row[(at + 4)..], bigEndian: true, out _);
        at += 20;
        Text(row, ref at, hit.SiteId);
        Int64(row, ref at, TimestampMicroseconds(hit.Timestamp));
        Text(row, ref at, hit.EventName);
        Text(row, ref at, hit.Hostname);
        Text(row, ref at, hit.Path);
        Text(row, ref at, hit.Referrer);
        Text(row, ref at, hit.ReferrerSource);
        Text(row, ref at, hit.UtmSource);
        Text(row, ref at, hit.UtmMedium);
        Text(row, ref at, hit.UtmCampaign);
        Text(row, ref at, hit.UtmTerm);
        Text(row, ref at, hit.UtmContent);
        Int64(row, ref at, hit.VisitorId);
        Text(row, ref at, hit.Browser);
        Text(row, ref at, hit.BrowserVersion);
        Text(row, ref at, hit.OperatingSystem);
        Text(row, ref at, hit.OperatingSystemVersion);
        Text(row, ref at, hit.DeviceType);
        Text(row, ref at, hit.Country);
        Text(row, ref at, hit.Region);
        Text(row, ref at, hit.City);
        if (hit.ScreenWidth is { } width)
        {
            Int32(row, ref at, width);
        }
        else
        {
            Null(row, ref at);
        }

        Text(row, ref at, hit.Language);
        if (json is null)
        {
            Null(row, ref at);
        }
        else
        {
            var length = Utf8.GetBytes(json, row[(at + 5)..]);
            BinaryPrimitives.WriteInt32BigEndian(row[at..], length + 1);
            row[at + 4] = 1; // jsonb's binary format version
            at += 5 + length;
        }

        Text(row, ref at, hit.Channel);
        if (hit.PreviousVisitorId is { } previous)
        {
            Int64(row, ref at, previous);
        }
        else
        {
            Null(row, ref at);
        }

        if (hit.RevenueAmount is { } revenue)
        {
            var length = WriteNumeric(row[(at + 4)..], decimal.Round(revenue, 6, MidpointRounding.AwayFromZero));
            BinaryPrimitives.WriteInt32BigEndian(row[at..], length);
            at += 4 + length;
        }
        else
        {
            Null(row, ref at);
        }

        Text(row, ref at, hit.RevenueCurrency);
        return at;
    }

    /// <summary>
    /// A timestamp as <c>timestamptz</c>'s binary value: microseconds since 2000-01-01 UTC of the value truncated to the
    /// millisecond; <see cref="DateTimeOffset.MinValue"/> is <c>-infinity</c> (as Npgsql sends it).
    /// </summary>
    internal static long TimestampMicroseconds(DateTimeOffset value)
    {
        var stored = PostgreSqlDialect.ToStored(value);
        return stored.UtcTicks == 0 ? long.MinValue : (stored.UtcTicks - PostgresEpochTicks) / 10;
    }

    /// <summary>
    /// A decimal as <c>numeric</c>'s binary value (the digit count, the weight of the first base-10000 digit, the sign,
    /// the display scale, then the digits); returns its length. Zero has no digits; trailing zero digits are left out.
    /// </summary>
    internal static int WriteNumeric(Span<byte> destination, decimal value)
    {
        Span<int> bits = stackalloc int[4];
        decimal.GetBits(value, bits);
        var scale = (bits[3] >> 16) & 0xFF;
        var negative = bits[3] < 0;
        var magnitude = ((UInt128)(uint)bits[2] << 64) | ((UInt128)(uint)bits[1] << 32) | (uint)bits[0];

        // Scale the magnitude to whole base-10000 fraction digits: value = magnitude / 10000^fractionDigits.
        var fractionDigits = (scale + 3) / 4;
        for (var i = scale; i < fractionDigits * 4; i++)
        {
            magnitude *= 10;
        }

        Span<short> digits = stackalloc short[16]; // least significant first; 2^106 < 10000^8
        var count = 0;
        while (magnitude != 0)
        {
            digits[count++] = (short)(ushort)(magnitude % 10000);
            magnitude /= 10000;
        }

        var lowest = 0;
        while (lowest < count && digits[lowest] == 0)
        {
            lowest++;
        }

        var ndigits = count - lowest;
        var weight = ndigits == 0 ? 0 : count - fractionDigits - 1;
        BinaryPrimitives.WriteInt16BigEndian(destination, (short)ndigits);
        BinaryPrimitives.WriteInt16BigEndian(destination[2..], (short)weight);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], negative && ndigits > 0 ? (ushort)0x4000 : (ushort)0);
        BinaryPrimitives.WriteInt16BigEndian(destination[6..], (short)scale);
        for (var i = 0; i < ndigits; i++)
        {
            BinaryPrimitives.WriteInt16BigEndian(destination[(8 + (2 * i))..], digits[count - 1 - i]);
        }

        return 8 + (2 * ndigits);
    }

    private static void Text(Span<byte> row, ref int at, string? value)
    {
        if (value is null)
        {
            Null(row, ref at);
            return;
        }

        var length = Utf8.GetBytes(value, row[(at + 4)..]);
        BinaryPrimitives.WriteInt32BigEndian(row[at..], length);
        at += 4 + length;
    }

    private static void Int64(Span<byte> row, ref int at, long value)
    {
        BinaryPrimitives.WriteInt32BigEndian(row[at..], 8);
        BinaryPrimitives.WriteInt64BigEndian(row[(at + 4)..], value);
        at += 12;
    }

    private static void Int32(Span<byte> row, ref int at, int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(row[at..], 4);
        BinaryPrimitives.WriteInt32BigEndian(row[(at + 4)..], value);
        at += 8;
    }

    private static void Null(Span<byte> row, ref int at)
    {
        BinaryPrimitives.WriteInt32BigEndian(row[at..], -1);
        at += 4;
    }
}

using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace FrancisBeacon.AspNetCore;

/// <summary>
/// The record format of the durable-mode spool files. A file starts with the 8-byte magic <c>FBSPOOL1</c>; each
/// record is <c>[payload length: int32 LE][CRC-32C of the payload: uint32 LE][payload]</c>, the payload being the
/// hit's fields in a fixed order (strings as a presence byte plus length-prefixed UTF-8). Only <see cref="Hit"/>
/// fields are written: a hit carries no IP address and no raw user agent, so neither can reach the spool.
/// </summary>
internal static class HitSpoolFormat
{
    public const int HeaderBytes = 8;
    public const int RecordHeaderBytes = 8;

    /// <summary>Larger than any valid hit (URL, texts and 30 properties at their limits): a longer length is corruption.</summary>
    public const int MaxPayloadBytes = 4 * 1024 * 1024;

    public static ReadOnlySpan<byte> Magic => "FBSPOOL1"u8;

    /// <summary>Serialises one hit as a complete record (header included).</summary>
    public static byte[] Encode(Hit hit)
    {
        using var buffer = new MemoryStream(512);
        buffer.Write(stackalloc byte[RecordHeaderBytes]);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(hit.Id.ToByteArray());
            writer.Write(hit.Timestamp.UtcTicks);
            writer.Write(hit.SiteId);
            writer.Write(hit.EventName);
            writer.Write(hit.Hostname);
            writer.Write(hit.Path);
            Text(writer, hit.Referrer);
            Text(writer, hit.ReferrerSource);
            Text(writer, hit.Channel);
            Text(writer, hit.UtmSource);
            Text(writer, hit.UtmMedium);
            Text(writer, hit.UtmCampaign);
            Text(writer, hit.UtmTerm);
            Text(writer, hit.UtmContent);
            writer.Write(hit.VisitorId);
            writer.Write(hit.PreviousVisitorId.HasValue);
            writer.Write(hit.PreviousVisitorId.GetValueOrDefault());
            Text(writer, hit.Browser);
            Text(writer, hit.BrowserVersion);
            Text(writer, hit.OperatingSystem);
            Text(writer, hit.OperatingSystemVersion);
            Text(writer, hit.DeviceType);
            Text(writer, hit.Country);
            Text(writer, hit.Region);
            Text(writer, hit.City);
            writer.Write(hit.ScreenWidth.HasValue);
            writer.Write(hit.ScreenWidth.GetValueOrDefault());
            Text(writer, hit.Language);
            writer.Write(hit.RevenueAmount.HasValue);
            writer.Write(hit.RevenueAmount.GetValueOrDefault());
            Text(writer, hit.RevenueCurrency);
            writer.Write(hit.Properties.Count);
            foreach (var (key, value) in hit.Properties)
            {
                writer.Write(key);
                writer.Write(value);
            }
        }

        var record = buffer.ToArray();
        var payload = record.AsSpan(RecordHeaderBytes);
        BinaryPrimitives.WriteInt32LittleEndian(record, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), Crc32C(payload));
        return record;
    }

    /// <summary>Reads a payload written by <see cref="Encode"/>.</summary>
    public static Hit Decode(ReadOnlySpan<byte> payload)
    {
        using var stream = new MemoryStream(payload.ToArray(), writable: false);
        using var reader = new BinaryReader(stream, Encoding.UTF8);
        var id = new Guid(reader.ReadBytes(16));
        var timestamp = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
        var site = reader.ReadString();
        var eventName = reader.ReadString();
        var hostname = reader.ReadString();
        var path = reader.ReadString();
        var hit = new Hit
        {
            Id = id,
            Timestamp = timestamp,
            SiteId = site,
            EventName = eventName,
            Hostname = hostname,
            Path = path,
            Referrer = Text(reader),
            ReferrerSource = Text(reader),
            Channel = Text(reader),
            UtmSource = Text(reader),
            UtmMedium = Text(reader),
            UtmCampaign = Text(reader),
            UtmTerm = Text(reader),
            UtmContent = Text(reader),
            VisitorId = reader.ReadInt64(),
            PreviousVisitorId = Nullable(reader.ReadBoolean(), reader.ReadInt64()),
            Browser = Text(reader),
            BrowserVersion = Text(reader),
            OperatingSystem = Text(reader),
            OperatingSystemVersion = Text(reader),
            DeviceType = Text(reader),
            Country = Text(reader),
            Region = Text(reader),
            City = Text(reader),
            ScreenWidth = Nullable(reader.ReadBoolean(), reader.ReadInt32()),
            Language = Text(reader),
            RevenueAmount = Nullable(reader.ReadBoolean(), reader.ReadDecimal()),
            RevenueCurrency = Text(reader),
        };
        var count = reader.ReadInt32();
        if (count is < 0 or > HitLimits.MaxProperties * 4)
        {
            throw new InvalidDataException("Bad property count in a spool record.");
        }

        if (count > 0)
        {
            var props = new Dictionary<string, string>(count, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                props[reader.ReadString()] = reader.ReadString();
            }

            hit = hit with { Properties = props.AsReadOnly() };
        }

        if (stream.Position != stream.Length)
        {
            throw new InvalidDataException("Trailing bytes in a spool record.");
        }

        return hit;
    }

    /// <summary>
    /// Whether a file starts with a complete header that is not this version's: written by another version (a
    /// downgrade after a crash) or not a spool file. Such a file is left alone, never replayed or deleted. A header cut
    /// short or left as zeros (a crash right after the file was created) is not foreign: the file holds no hit.
    /// </summary>
    public static bool IsForeign(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        Span<byte> header = stackalloc byte[HeaderBytes];
        return RandomAccess.Read(handle, header, 0) == HeaderBytes && !header.SequenceEqual(Magic) && header.ContainsAnyExcept((byte)0);
    }

    /// <summary>
    /// Reads the hits of one spool file in order. A damaged stretch (an incomplete or corrupt record) is reported to
    /// <paramref name="damaged"/> and skipped: reading goes on at the next whole record after it, found by its length
    /// and CRC-32C, so one bad stretch costs only the hits in it. At the end of the file it is the tail a crash in the
    /// middle of a write leaves.
    /// </summary>
    public static IEnumerable<Hit> ReadFile(string path, Action<SpoolDamage> damaged)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        var header = new byte[HeaderBytes];
        if (file.Length == 0)
        {
            yield break;
        }

        if (file.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes || !header.AsSpan().SequenceEqual(Magic))
        {
            damaged(new SpoolDamage(0, file.Length, AtEnd: true));
            yield break;
        }

        var recordHeader = new byte[RecordHeaderBytes];
        while (true)
        {
            var start = file.Position;
            var read = file.ReadAtLeast(recordHeader, RecordHeaderBytes, throwOnEndOfStream: false);
            if (read == 0)
            {
                yield break;
            }

            var length = BinaryPrimitives.ReadInt32LittleEndian(recordHeader);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(recordHeader.AsSpan(4));
            Hit? hit = null;
            if (read == RecordHeaderBytes && length is > 0 and <= MaxPayloadBytes)
            {
                var payload = new byte[length];
                if (file.ReadAtLeast(payload, length, throwOnEndOfStream: false) == length && Crc32C(payload) == crc)
                {
                    hit = TryDecode(payload);
                }
            }

            if (hit is null)
            {
                var next = FindRecord(file.SafeFileHandle, start + 1, file.Length);
                damaged(new SpoolDamage(start, (next ?? file.Length) - start, AtEnd: next is null));
                if (next is null)
                {
                    yield break;
                }

                file.Position = next.Value;
                continue;
            }

            yield return hit;
        }
    }

    /// <summary>The offset of the first whole record at or after <paramref name="from"/>, or <see langword="null"/>.</summary>
    private static long? FindRecord(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long from, long fileLength)
    {
        var window = new byte[64 * 1024];
        var at = from;
        while (at + RecordHeaderBytes <= fileLength)
        {
            var read = RandomAccess.Read(handle, window, at);
            if (read < RecordHeaderBytes)
            {
                return null;
            }

            for (var i = 0; i + RecordHeaderBytes <= read; i++)
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(window.AsSpan(i));
                if (length is <= 0 or > MaxPayloadBytes || at + i + RecordHeaderBytes + length > fileLength)
                {
                    continue;
                }

                var payload = new byte[length];
                if (RandomAccess.Read(handle, payload, at + i + RecordHeaderBytes) == length &&
                    Crc32C(payload) == BinaryPrimitives.ReadUInt32LittleEndian(window.AsSpan(i + 4)) &&
                    TryDecode(payload) is not null)
                {
                    return at + i;
                }
            }

            at += read - RecordHeaderBytes + 1;
        }

        return null;
    }

    private static Hit? TryDecode(byte[] payload)
    {
        try
        {
            return Decode(payload);
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or ArgumentException or FormatException or OverflowException)
        {
            return null;
        }
    }

    internal static uint Crc32C(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }

    private static void Text(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    private static string? Text(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    private static T? Nullable<T>(bool present, T value)
        where T : struct => present ? value : null;
}

/// <summary>
/// A damaged stretch of a spool file: <paramref name="Bytes"/> bytes from <paramref name="Offset"/>, skipped;
/// <paramref name="AtEnd"/> when no whole record follows it (the torn tail a crash leaves).
/// </summary>
internal readonly record struct SpoolDamage(long Offset, long Bytes, bool AtEnd);

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
    /// Reads the hits of one spool file in order, stopping at the first incomplete or damaged record (the tail a crash
    /// may leave). <paramref name="damaged"/> tells whether such a tail was found.
    /// </summary>
    public static IEnumerable<Hit> ReadFile(string path, Action<long> damaged)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
        var header = new byte[HeaderBytes];
        if (file.Length == 0)
        {
            yield break;
        }

        if (file.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false) < HeaderBytes || !header.AsSpan().SequenceEqual(Magic))
        {
            damaged(0);
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
            if (read < RecordHeaderBytes || length is <= 0 or > MaxPayloadBytes)
            {
                damaged(start);
                yield break;
            }

            var payload = new byte[length];
            if (file.ReadAtLeast(payload, length, throwOnEndOfStream: false) < length || Crc32C(payload) != crc)
            {
                damaged(start);
                yield break;
            }

            Hit hit;
            try
            {
                hit = Decode(payload);
            }
            catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or ArgumentException or FormatException or OverflowException)
            {
                damaged(start);
                yield break;
            }

            yield return hit;
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

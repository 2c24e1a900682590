using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FrancisBeacon.GeoIP.Tests;

/// <summary>
/// Writes small MaxMind DB files (format 2.0, 24-bit records) for shapes the public test databases lack: flat
/// records, odd values, IPv4-only trees, database types without location. Records are strings, maps
/// (<see cref="IDictionary{TKey,TValue}"/> of string to object), lists of objects, <see cref="ushort"/>,
/// <see cref="uint"/>, <see cref="ulong"/>, <see cref="double"/> and <see cref="bool"/>.
/// </summary>
internal sealed class MmdbWriter
{
    private static readonly byte[] MetadataMarker = [0xAB, 0xCD, 0xEF, .. "MaxMind.com"u8];

    private readonly string _databaseType;
    private readonly int _ipVersion;
    private readonly Node _root = new();
    private readonly List<byte> _data = [];

    public MmdbWriter(string databaseType, int ipVersion = 6)
    {
        _databaseType = databaseType;
        _ipVersion = ipVersion;
    }

    /// <summary>Maps the network <paramref name="cidr"/> (for example <c>81.2.69.0/24</c>) to <paramref name="record"/>.</summary>
    public MmdbWriter Add(string cidr, object record)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        var address = IPAddress.Parse(cidr[..slash]);
        var prefix = int.Parse(cidr[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        var bytes = address.GetAddressBytes();
        if (_ipVersion == 6 && address.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes = [.. new byte[12], .. bytes];
            prefix += 96;
        }

        var offset = _data.Count;
        Encode(_data, record);
        var node = _root;
        for (var i = 0; i < prefix; i++)
        {
            var bit = (bytes[i / 8] >> (7 - (i % 8))) & 1;
            if (i == prefix - 1)
            {
                node.Children[bit] = offset;
            }
            else
            {
                if (node.Children[bit] is not Node child)
                {
                    child = new Node();
                    node.Children[bit] = child;
                }

                node = child;
            }
        }

        return this;
    }

    public void WriteTo(string path)
    {
        var nodes = new List<Node> { _root };
        for (var i = 0; i < nodes.Count; i++)
        {
            foreach (var child in nodes[i].Children)
            {
                if (child is Node node)
                {
                    nodes.Add(node);
                }
            }
        }

        var index = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < nodes.Count; i++)
        {
            index[nodes[i]] = i;
        }

        var file = new List<byte>();
        foreach (var node in nodes)
        {
            foreach (var child in node.Children)
            {
                var value = child switch
                {
                    Node n => index[n],
                    int dataOffset => nodes.Count + 16 + dataOffset,
                    _ => nodes.Count,
                };
                file.Add((byte)(value >> 16));
                file.Add((byte)(value >> 8));
                file.Add((byte)value);
            }
        }

        file.AddRange(new byte[16]);
        file.AddRange(_data);
        file.AddRange(MetadataMarker);
        Encode(file, new Dictionary<string, object>
        {
            ["binary_format_major_version"] = (ushort)2,
            ["binary_format_minor_version"] = (ushort)0,
            ["build_epoch"] = (ulong)1_700_000_000,
            ["database_type"] = _databaseType,
            ["description"] = new Dictionary<string, object> { ["en"] = "FrancisBeacon test database" },
            ["ip_version"] = (ushort)_ipVersion,
            ["languages"] = new List<object> { "en" },
            ["node_count"] = (uint)nodes.Count,
            ["record_size"] = (ushort)24,
        });
        File.WriteAllBytes(path, [.. file]);
    }

    private static void Encode(List<byte> output, object value)
    {
        switch (value)
        {
            case string text:
                var utf8 = Encoding.UTF8.GetBytes(text);
                WriteControl(output, 2, utf8.Length);
                output.AddRange(utf8);
                break;
            case double number:
                WriteControl(output, 3, 8);
                var bits = new byte[8];
                BinaryPrimitives.WriteDoubleBigEndian(bits, number);
                output.AddRange(bits);
                break;
            case ushort number:
                WriteUnsigned(output, 5, number);
                break;
            case uint number:
                WriteUnsigned(output, 6, number);
                break;
            case ulong number:
                WriteUnsigned(output, 9, number);
                break;
            case bool flag:
                WriteControl(output, 14, flag ? 1 : 0);
                break;
            case IDictionary<string, object> map:
                WriteControl(output, 7, map.Count);
                foreach (var (key, item) in map)
                {
                    Encode(output, key);
                    Encode(output, item);
                }

                break;
            case IList<object> list:
                WriteControl(output, 11, list.Count);
                foreach (var item in list)
                {
                    Encode(output, item);
                }

                break;
            default:
                throw new ArgumentException($"Cannot encode a {value.GetType()}.", nameof(value));
        }
    }

    private static void WriteUnsigned(List<byte> output, int type, ulong value)
    {
        var bytes = new List<byte>();
        for (; value != 0; value >>= 8)
        {
            bytes.Insert(0, (byte)value);
        }

        WriteControl(output, type, bytes.Count);
        output.AddRange(bytes);
    }

    private static void WriteControl(List<byte> output, int type, int size)
    {
        var control = type <= 7 ? (byte)(type << 5) : (byte)0;
        byte[] sizeBytes;
        if (size < 29)
        {
            control |= (byte)size;
            sizeBytes = [];
        }
        else if (size < 285)
        {
            control |= 29;
            sizeBytes = [(byte)(size - 29)];
        }
        else if (size < 65_821)
        {
            control |= 30;
            sizeBytes = [(byte)((size - 285) >> 8), (byte)(size - 285)];
        }
        else
        {
            control |= 31;
            sizeBytes = [(byte)((size - 65_821) >> 16), (byte)((size - 65_821) >> 8), (byte)(size - 65_821)];
        }

        output.Add(control);
        if (type > 7)
        {
            output.Add((byte)(type - 7));
        }

        output.AddRange(sizeBytes);
    }

    private sealed class Node
    {
        /// <summary>Per bit: a <see cref="Node"/>, a data offset (<see cref="int"/>), or null for "no data".</summary>
        public object?[] Children { get; } = new object?[2];
    }
}

using System.Net;
using System.Net.Sockets;
using FrancisBeacon.Enrichment;
using MaxMind.Db;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FrancisBeacon.GeoIP;

/// <summary>
/// An <see cref="IGeoLocator"/> over a MaxMind-format database file (<c>.mmdb</c>): GeoLite2 or GeoIP2 City or
/// Country, or DB-IP's Lite databases in MMDB format. Thread-safe; register it once, as a singleton.
/// </summary>
/// <remarks>
/// <para>The file is memory-mapped when the locator is created, so lookups read it through the operating system's
/// page cache and cost a few microseconds. Replace it only atomically (write the new file beside it, then rename it
/// over the old one, as <c>geoipupdate</c> does), never by copying over it in place. Registered with
/// <c>AddGeoIP</c>, the locator checks the file every <see cref="GeoIPOptions.ReloadCheckInterval"/> and swaps a
/// new version in without a restart; created directly, it keeps the file it opened until it is disposed.</para>
/// <para>The result carries <c>country.iso_code</c> as <see cref="GeoLocation.Country"/>,
/// <c>subdivisions[0].iso_code</c> prefixed with the country as <see cref="GeoLocation.Region"/> (ISO 3166-2, for
/// example <c>DE-BY</c>) and <c>city.names.en</c> as <see cref="GeoLocation.City"/>. Flat records with
/// <c>country_code</c> and <c>city</c> strings are understood too. Values that do not look like what they should be
/// (a country code that is not two letters, a city name with control characters) are left out.</para>
/// <para>Private, loopback, link-local, unspecified, multicast, documentation and other non-global addresses are
/// answered with <see langword="null"/> without a lookup; an IPv4-mapped IPv6 address is looked up as IPv4. A
/// record the reader cannot decode gives <see langword="null"/>, never an exception; the first such failure of a
/// database is logged (without the address) as a warning.</para>
/// <para>The address is never logged, stored or cached.</para>
/// </remarks>
public sealed class MaxMindGeoLocator : IGeoLocator, IDisposable
{
    private readonly ILogger _logger;
    private readonly string _databasePath;
    private ReaderLease? _lease;
    private FileStamp? _failedStamp;

    /// <summary>Opens the database at <paramref name="databasePath"/>.</summary>
    /// <param name="databasePath">The path of the <c>.mmdb</c> file.</param>
    /// <exception cref="InvalidDatabaseException">The file is not a MaxMind DB.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public MaxMindGeoLocator(string databasePath)
        : this(databasePath, NullLogger<MaxMindGeoLocator>.Instance)
    {
    }

    /// <summary>Opens the database at <paramref name="databasePath"/>, logging unreadable records to <paramref name="logger"/>.</summary>
    /// <param name="databasePath">The path of the <c>.mmdb</c> file.</param>
    /// <param name="logger">Receives one warning per database when a record cannot be decoded. Never sees an address.</param>
    /// <exception cref="InvalidDatabaseException">The file is not a MaxMind DB.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public MaxMindGeoLocator(string databasePath, ILogger<MaxMindGeoLocator> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _databasePath = databasePath;
        var stamp = FileStamp.Of(databasePath);
        _lease = new ReaderLease(OpenReader(databasePath), stamp);
    }

    /// <inheritdoc />
    /// <remarks>Returns <see langword="null"/> after <see cref="Dispose"/>.</remarks>
    public GeoLocation? Locate(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (!IsGlobal(address))
        {
            return null;
        }

        var lease = AcquireLease();
        if (lease is null)
        {
            return null;
        }

        try
        {
            if (lease.Ipv4Only && address.AddressFamily != AddressFamily.InterNetwork)
            {
                return null;
            }

            var record = lease.Reader.Find<GeoRecord>(address);
            return record is null ? null : ToLocation(record);
        }
#pragma warning disable CA1031 // A broken database must never take tracking down: every failure is a miss.
        catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            lease.ReportFailure(ex, _logger, _databasePath);
            return null;
        }
        finally
        {
            lease.Release();
        }
    }

    /// <summary>Closes the database. Later lookups return <see langword="null"/>; lookups in flight finish first.</summary>
    public void Dispose() => Interlocked.Exchange(ref _lease, null)?.Release();

    internal static Reader OpenReader(string databasePath) => new(databasePath, FileAccessMode.MemoryMapped);

    /// <summary>
    /// Opens the database file again if its size or modification time changed since it was opened, and swaps it in:
    /// later lookups use the new file, lookups in flight finish on the old one, which is closed after them. A new
    /// file that does not open is logged once and the old one kept.
    /// </summary>
    /// <returns>Whether a new file was swapped in.</returns>
    internal bool ReloadIfChanged()
    {
        var current = Volatile.Read(ref _lease);
        if (current is null)
        {
            return false;
        }

        var stamp = FileStamp.Of(_databasePath);
        if (stamp is null || stamp == current.Stamp || stamp == _failedStamp)
        {
            return false;
        }

        Reader reader;
        try
        {
            reader = OpenReader(_databasePath);
        }
#pragma warning disable CA1031 // A bad new file must not stop the running one; it is reported and retried when it changes.
        catch (Exception ex) when (ex is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            _failedStamp = stamp;
            Log.ReloadFailed(_logger, _databasePath, ex.Message);
            return false;
        }

        var next = new ReaderLease(reader, stamp);
        if (Interlocked.CompareExchange(ref _lease, next, current) != current)
        {
            next.Release();                                // disposed, or reloaded by another caller meanwhile
            return false;
        }

        current.Release();
        Log.Reloaded(_logger, _databasePath, reader.Metadata.DatabaseType, reader.Metadata.BuildDate);
        return true;
    }

    /// <summary>Whether <paramref name="address"/> is globally routable, and so worth a lookup.</summary>
    internal static bool IsGlobal(IPAddress address)
    {
        Span<byte> b = stackalloc byte[16];
        if (!address.TryWriteBytes(b, out var length))
        {
            return false;
        }

        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork when length == 4 => IsGlobalIPv4(b[..4]),
            AddressFamily.InterNetworkV6 when length == 16 => IsGlobalIPv6(b),
            _ => false,
        };
    }

    private static bool IsGlobalIPv4(ReadOnlySpan<byte> b) => b[0] switch
    {
        0 => false,                                        // 0.0.0.0/8: unspecified, "this network"
        10 => false,                                       // 10.0.0.0/8: private
        100 when (b[1] & 0xC0) == 64 => false,             // 100.64.0.0/10: shared address space (carrier NAT)
        127 => false,                                      // 127.0.0.0/8: loopback
        169 when b[1] == 254 => false,                     // 169.254.0.0/16: link-local
        172 when (b[1] & 0xF0) == 16 => false,             // 172.16.0.0/12: private
        192 when b[1] == 0 && b[2] is 0 or 2 => false,     // 192.0.0.0/24 protocol assignments, 192.0.2.0/24 documentation
        192 when b[1] == 168 => false,                     // 192.168.0.0/16: private
        198 when (b[1] & 0xFE) == 18 => false,             // 198.18.0.0/15: benchmarking
        198 when b[1] == 51 && b[2] == 100 => false,       // 198.51.100.0/24: documentation
        203 when b[1] == 0 && b[2] == 113 => false,        // 203.0.113.0/24: documentation
        >= 224 => false,                                   // 224.0.0.0/4 multicast, 240.0.0.0/4 reserved, broadcast
        _ => true,
    };

    private static bool IsGlobalIPv6(ReadOnlySpan<byte> b)
    {
        if (!b[..12].ContainsAnyExcept((byte)0))
        {
            return false;                                  // ::/96: unspecified, loopback, deprecated IPv4-compatible
        }

        return b[0] switch
        {
            0xFF => false,                                 // ff00::/8: multicast
            0xFE when (b[1] & 0x80) == 0x80 => false,      // fe80::/10 link-local, fec0::/10 site-local
            0xFC or 0xFD => false,                         // fc00::/7: unique local
            0x20 when b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 => false, // 2001:db8::/32: documentation
            0x01 when !b[1..8].ContainsAnyExcept((byte)0) => false,         // 100::/64: discard
            _ => true,
        };
    }

    private static GeoLocation? ToLocation(GeoRecord record)
    {
        var country = CountryCode(record.Country?.IsoCode ?? record.CountryCode);
        var region = country is not null && record.Subdivisions is [var first, ..]
            ? RegionCode(country, first?.IsoCode)
            : null;
        var city = CityName(record.City switch
        {
            string name => name,
            IDictionary<string, object> map => EnglishName(map),
            _ => null,
        });
        return country is null && region is null && city is null ? null : new GeoLocation(country, region, city);
    }

    private static string? CountryCode(string? code)
    {
        if (code is not { Length: 2 } || !char.IsAsciiLetter(code[0]) || !char.IsAsciiLetter(code[1]))
        {
            return null;
        }

        code = code.ToUpperInvariant();
        return code == "ZZ" ? null : code;                 // ZZ: "unknown" in some databases
    }

    private static string? RegionCode(string country, string? code)
    {
        if (code is null)
        {
            return null;
        }

        if (code.Length > 3 && code.StartsWith(country, StringComparison.OrdinalIgnoreCase) && code[2] == '-')
        {
            code = code[3..];
        }

        if (code.Length is < 1 or > 3)
        {
            return null;
        }

        foreach (var c in code)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return null;
            }
        }

        return string.Concat(country, "-", code.ToUpperInvariant());
    }

    private static string? EnglishName(IDictionary<string, object> place) =>
        place.TryGetValue("names", out var names) && names is IDictionary<string, object> byLanguage &&
        byLanguage.TryGetValue("en", out var name)
            ? name as string
            : null;

    private static string? CityName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return null;
        }

        name = name.Trim();
        foreach (var c in name)
        {
            if (char.IsControl(c))
            {
                return null;
            }
        }

        return name.Length > HitLimits.MaxShortTextLength ? name[..HitLimits.MaxShortTextLength] : name;
    }

    private ReaderLease? AcquireLease()
    {
        while (true)
        {
            var lease = Volatile.Read(ref _lease);
            if (lease is null || lease.TryAcquire())
            {
                return lease;
            }

            // The lease was retired between the read and the acquire; its successor (or null) is already in place.
        }
    }

    /// <summary>
    /// One open reader with a reference count: the locator holds one reference, each lookup in flight another.
    /// The reader is closed when the last one is released, so a lookup never reads a closed file.
    /// </summary>
    private sealed class ReaderLease
    {
        private int _references = 1;
        private int _failureReported;

        public ReaderLease(Reader reader, FileStamp? stamp)
        {
            Reader = reader;
            Stamp = stamp;
            Ipv4Only = reader.Metadata.IPVersion == 4;
        }

        public Reader Reader { get; }

        /// <summary>The size and modification time of the file when it was opened.</summary>
        public FileStamp? Stamp { get; }

        public bool Ipv4Only { get; }

        public bool TryAcquire()
        {
            var current = Volatile.Read(ref _references);
            while (current > 0)
            {
                var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
                if (seen == current)
                {
                    return true;
                }

                current = seen;
            }

            return false;
        }

        public void Release()
        {
            if (Interlocked.Decrement(ref _references) == 0)
            {
                Reader.Dispose();
            }
        }

        public void ReportFailure(Exception exception, ILogger logger, string databasePath)
        {
            // The exception's message can quote the address, so only its type is logged.
            if (Interlocked.Exchange(ref _failureReported, 1) == 0)
            {
                Log.UnreadableRecord(logger, databasePath, exception.GetType().Name);
            }
        }
    }

    /// <summary>What tells one version of the database file from the next.</summary>
    internal sealed record FileStamp(long Length, DateTime LastWriteTimeUtc)
    {
        /// <summary>The stamp of the file at <paramref name="path"/>, or null when it cannot be read now.</summary>
        public static FileStamp? Of(string path)
        {
            try
            {
                var file = new FileInfo(path);
                return file.Exists ? new FileStamp(file.Length, file.LastWriteTimeUtc) : null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                return null;
            }
        }
    }
}

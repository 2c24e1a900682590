// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;

namespace FrancisBeacon.Sqlite;

/// <summary>
/// Whether the store's database file is still the file it opened. A SQLite file deleted, moved away or replaced while
/// connections hold it open keeps working through them, but everything written from then on goes to a file that is
/// gone at the next start, and a connection opened at the path meanwhile creates an empty database there — deleting
/// the WAL file the open connections still use (https://www.sqlite.org/howtocorrupt.html, 2.4). On Linux the identity
/// is the file's device and inode, read with <c>statx</c> after the store's first open and compared with the path's
/// now; elsewhere (or without <c>statx</c>) only whether the path still exists.
/// </summary>
/// <remarks>
/// The <c>-wal</c> file is watched too, while the store's kept append connection holds it (<see cref="IdentifyWal"/>,
/// <see cref="WalGone"/>): deleted (or replaced) under open connections, SQLite goes on appending to the deleted file
/// through them, while every connection opened since fails with <c>SQLITE_IOERR</c> ("disk I/O error": the shared
/// memory index points at frames the new, empty <c>-wal</c> at the path lacks), and the frames reach the database file
/// only at a checkpoint by a connection that holds the deleted file — at the latest when the last one closes; a crash
/// before that loses them. The store then checkpoints through its kept connection and closes its connections
/// (<see cref="SqliteHitStore"/>).
/// </remarks>
internal sealed class SqliteDatabaseFile
{
    private const int AtFdCwd = -100;
    private const uint StatxIno = 0x100;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;

    private readonly string? _path;
    private readonly byte[]? _pathBytes;
    private readonly string? _walPath;
    private readonly byte[]? _walPathBytes;
    private long _nextWalCheck;
    private readonly object _gate = new();
    private FileId? _opened;
    private volatile bool _captured;
    private volatile string? _problem;
    private long _nextCheck;
    private volatile bool _noStatx = !OperatingSystem.IsLinux();

    /// <param name="dataSource">The connection string's data source; nothing is checked for in-memory and URI databases.</param>
    /// <param name="mode">The connection string's mode.</param>
    public SqliteDatabaseFile(string dataSource, SqliteOpenMode mode)
    {
        if (string.IsNullOrEmpty(dataSource) || dataSource == ":memory:" || mode == SqliteOpenMode.Memory ||
            dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        _path = Path.GetFullPath(dataSource);
        _pathBytes = Encoding.UTF8.GetBytes(_path + "\0");
        _walPath = _path + "-wal";
        _walPathBytes = Encoding.UTF8.GetBytes(_walPath + "\0");
    }

    /// <summary>
    /// How long a verdict of <see cref="ThrowIfMoved"/> or <see cref="WalGone"/> is kept before the file is looked at
    /// again (tests: zero). Setting it makes the next looks due.
    /// </summary>
    internal TimeSpan CheckInterval
    {
        get;
        set
        {
            field = value;
            Volatile.Write(ref _nextCheck, 0);
            Volatile.Write(ref _nextWalCheck, 0);
        }
    } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Takes the identity of the file once, after the store's first successful open (SQLite has opened or created it,
    /// read-write: an overlay file system has copied it up by then).
    /// </summary>
    public void Opened()
    {
        if (_captured || _path is null)
        {
            return;
        }

        lock (_gate)
        {
            if (!_captured)
            {
                _opened = TryIdentify(out var id) == Lookup.Found ? id : null;
                _captured = true;
            }
        }
    }

    /// <summary>Looks at the file now: a description of what happened to it, or <see langword="null"/> when it is the file opened.</summary>
    public string? Check()
    {
        string? problem = null;
        if (_captured)
        {
            var lookup = TryIdentify(out var now);
            problem = lookup switch
            {
                Lookup.Gone => $"The SQLite database file '{_path}' was deleted or moved away while the beacon store had it open.",
                Lookup.Found when _opened is { } opened && opened != now =>
                    $"The SQLite database file '{_path}' was replaced by another file while the beacon store had the original open.",
                _ => null,
            };
        }

        _problem = problem;
        Volatile.Write(ref _nextCheck, Stopwatch.GetTimestamp() + (long)(CheckInterval.TotalSeconds * Stopwatch.Frequency));
        return problem;
    }

    /// <summary>
    /// Throws while the file is not the one opened, looking at it at most once per <see cref="CheckInterval"/> (the
    /// store's calls pay a timestamp read, not a system call).
    /// </summary>
    public void ThrowIfMoved()
    {
        if (!_captured)
        {
            return;
        }

        var problem = Stopwatch.GetTimestamp() >= Volatile.Read(ref _nextCheck) ? Check() : _problem;
        if (problem is not null)
        {
            // SQLite's own code for a database file moved since it was opened (SQLITE_READONLY_DBMOVED).
            throw new SqliteDatabaseMovedException(
                problem + " The store takes no writes and opens no connection until the file is back (hits wait in the queue, and in durable mode in the spool): move it back, or restore it and restart the app (docs/deployment.md, \"The SQLite file deleted or replaced\").");
        }
    }

    /// <summary>
    /// The <c>-wal</c> file as it is now, taken by the store right after its kept append connection has opened it;
    /// <see langword="null"/> when there is none (not in WAL mode) or nothing is checked (in-memory and URI databases).
    /// </summary>
    public WalMark? IdentifyWal() =>
        _walPath is null ? null : TryIdentify(_walPath, _walPathBytes!, out var id) switch
        {
            Lookup.Found => new WalMark(id),
            Lookup.Exists => new WalMark(null),
            _ => null,
        };

    /// <summary>
    /// Whether the <c>-wal</c> file <paramref name="held"/> describes is no longer at its path (deleted, moved away or
    /// replaced), looking at most once per <see cref="CheckInterval"/> (<see langword="false"/> in between).
    /// </summary>
    public bool WalGone(WalMark? held)
    {
        if (held is not { } mark || Stopwatch.GetTimestamp() < Volatile.Read(ref _nextWalCheck))
        {
            return false;
        }

        Volatile.Write(ref _nextWalCheck, Stopwatch.GetTimestamp() + (long)(CheckInterval.TotalSeconds * Stopwatch.Frequency));
        return TryIdentify(_walPath!, _walPathBytes!, out var now) switch
        {
            Lookup.Gone => true,
            Lookup.Found => mark.Id is { } id && id != now,
            _ => false,
        };
    }

    private Lookup TryIdentify(out FileId id) => TryIdentify(_path!, _pathBytes!, out id);

    private Lookup TryIdentify(string path, byte[] pathBytes, out FileId id)
    {
        id = default;
        if (!_noStatx)
        {
            var buffer = new byte[256];
            try
            {
                if (Statx(AtFdCwd, pathBytes, 0, StatxIno, buffer) == 0)
                {
                    var mask = MemoryMarshal.Read<uint>(buffer);
                    if ((mask & StatxIno) == 0)
                    {
                        return File.Exists(path) ? Lookup.Exists : Lookup.Gone;
                    }

                    // struct statx: stx_ino at byte 32; stx_dev_major and stx_dev_minor at 136 and 140 (always filled).
                    id = new FileId(MemoryMarshal.Read<uint>(buffer.AsSpan(136)), MemoryMarshal.Read<uint>(buffer.AsSpan(140)), MemoryMarshal.Read<ulong>(buffer.AsSpan(32)));
                    return Lookup.Found;
                }

                // Anything but "no such file" (a permission change on the directory, say) proves nothing.
                return Marshal.GetLastPInvokeError() is ENOENT or ENOTDIR ? Lookup.Gone : Lookup.Unknown;
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                _noStatx = true; // glibc before 2.28, musl before 1.2.5: existence only
            }
        }

        return File.Exists(path) ? Lookup.Exists : Lookup.Gone;
    }

    private enum Lookup
    {
        Found,
        Exists,
        Gone,
        Unknown,
    }

    /// <summary>A file's identity on Linux: its device and inode.</summary>
    internal readonly record struct FileId(uint DeviceMajor, uint DeviceMinor, ulong Inode);

    /// <summary>The <c>-wal</c> file a connection holds: its identity, or <see langword="null"/> where only existence is known.</summary>
    internal readonly record struct WalMark(FileId? Id);

    // Blittable arguments only (no marshalling code): DllImport rather than LibraryImport, which would need unsafe code.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Statx(int dirfd, byte[] path, int flags, uint mask, [Out] byte[] buffer);
#pragma warning restore SYSLIB1054
}

/// <summary>
/// SQLite's <c>SQLITE_READONLY_DBMOVED</c> for the store's database file deleted, moved away or replaced: the store is
/// unavailable until an operator puts the file back, so the error is transient to its callers (the query API answers
/// <c>503</c> with <c>Retry-After</c>, as for a database that does not answer, rather than a <c>500</c>).
/// </summary>
internal sealed class SqliteDatabaseMovedException(string message) : SqliteException(message, 8, 8 | (4 << 8))
{
    /// <inheritdoc />
    public override bool IsTransient => true;
}

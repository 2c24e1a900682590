using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Win32.SafeHandles;

namespace FrancisBeacon.AspNetCore;

/// <summary>One spool file: the hits appended to it that the store does not hold yet.</summary>
internal sealed class SpoolSegment(string path, SafeFileHandle handle)
{
    public string Path { get; } = path;

    public SafeFileHandle Handle { get; } = handle;

    /// <summary>Bytes written so far (the next write's offset).</summary>
    public long Length { get; set; } = HitSpoolFormat.HeaderBytes;

    /// <summary>Bytes known to be on stable storage.</summary>
    public long Synced { get; set; }

    /// <summary>How often the file was started over (<see cref="HitSpool.Stored"/>): a sync begun before one syncs nothing after it.</summary>
    public int Truncations { get; set; }

    /// <summary>Hits appended but not yet written to the store.</summary>
    public int Pending { get; set; }

    public bool Sealed { get; set; }

    /// <summary>Completed once the file is sealed and deleted: the store holds every hit it held.</summary>
    public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// Durable mode (<see cref="BeaconSpoolOptions"/>): every hit is appended to a local spool file before the beacon
/// answers, with one positional <c>write</c> (<see cref="RandomAccess"/>; no user-space buffer to lose in a crash).
/// Files are named <c>spool-&lt;sequence&gt;.fbs</c>; the active one is sealed at
/// <see cref="BeaconSpoolOptions.SegmentBytes"/> and a sealed one is deleted when the store holds all its hits, while
/// the active one is truncated whenever the store has caught up with it. Files left by an earlier process are
/// replayed by <see cref="HitWriter"/> at start and deleted once stored. A lock file keeps a second process out.
/// With <see cref="SpoolSyncMode.BeforeFlush"/> the writer syncs before each batch, and a timer every flush interval
/// syncs what is still unsynced since the previous tick (the writer cannot while a write hangs on a failing store).
/// </summary>
internal sealed partial class HitSpool : IDisposable
{
    private const string LockFileName = "spool.lock";
    private readonly object _gate = new();
    private readonly object _syncGate = new();
    private readonly ILogger<HitSpool> _logger;
    private readonly long _segmentBytes;
    // Sealed files that still hold hits the store does not: synced with the active one, deleted once stored.
    private readonly HashSet<SpoolSegment> _sealed = [];
    private readonly ITimer? _syncTimer;
    private SafeFileHandle? _lock;
    private SpoolSegment? _active;
    private long _nextSequence;
    private bool _failing;
    private SpoolSegment? _tickSegment;
    private long _tickLength;
    private int _ticking;

    public HitSpool(IOptions<BeaconOptions> options, TimeProvider time, ILogger<HitSpool> logger)
    {
        _logger = logger;
        var spool = options.Value.Spool;
        Directory = string.IsNullOrWhiteSpace(spool.Directory) ? null : System.IO.Path.GetFullPath(spool.Directory);
        SyncAlways = spool.SyncMode == SpoolSyncMode.Always;
        _segmentBytes = spool.SegmentBytes;
        LeftOver = Open();
        if (Enabled && !SyncAlways)
        {
            var interval = options.Value.FlushInterval;
            _syncTimer = time.CreateTimer(_ => SyncIfBehind(), null, interval, interval);
        }
    }

    /// <summary>The files an earlier process left, oldest first: <see cref="HitWriter"/> replays them at start.</summary>
    public IReadOnlyList<string> LeftOver { get; }

    /// <summary>The spool directory, or <see langword="null"/> when durable mode is off.</summary>
    public string? Directory { get; }

    public bool Enabled => Directory is not null;

    public bool SyncAlways { get; }

    /// <summary>Bytes of the files that still hold unstored hits not yet known to be on stable storage.</summary>
    internal long UnsyncedBytes
    {
        get
        {
            lock (_gate)
            {
                var bytes = _sealed.Sum(s => s.Length - s.Synced);
                return _active is { } active ? bytes + active.Length - active.Synced : bytes;
            }
        }
    }

    /// <summary>
    /// Creates the directory, takes its lock and returns the files an earlier process left, oldest first. New hits go
    /// to files numbered after them.
    /// </summary>
    private IReadOnlyList<string> Open()
    {
        if (Directory is null)
        {
            return [];
        }

        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            _lock = File.OpenHandle(System.IO.Path.Combine(Directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The lock is taken when the file opens, so a failed open is either another process holding it or a directory
            // that cannot be written (a read-only file system, permissions): telling them apart is the operator's fix.
            throw CannotWrite() is { } reason
                ? new InvalidOperationException(
                    $"The beacon spool directory '{Directory}' cannot be written ({reason}); durable mode needs a writable local directory (Spool.Directory).", ex)
                : new InvalidOperationException(
                    $"The beacon spool directory '{Directory}' is in use by another process; give every app instance its own Spool.Directory.", ex);
        }

        var left = System.IO.Directory.GetFiles(Directory, "spool-*.fbs")
            .Select(path => (Path: path, Sequence: SequenceOf(path)))
            .Where(f => f.Sequence >= 0)
            .OrderBy(f => f.Sequence)
            .ToList();
        _nextSequence = left.Count == 0 ? 1 : left[^1].Sequence + 1;
        return [.. left.Select(f => f.Path)];
    }

    /// <summary>
    /// Appends a hit and returns its file, or <see langword="null"/> when the spool cannot be written (logged once
    /// per failure episode); the caller must then not acknowledge the hit as stored.
    /// </summary>
    public SpoolSegment? Append(Hit hit)
    {
        var record = HitSpoolFormat.Encode(hit);
        SpoolSegment segment;
        long end;
        try
        {
            lock (_gate)
            {
                if (_active is null || _active.Length + record.Length > _segmentBytes)
                {
                    Rotate();
                }

                segment = _active!;
                RandomAccess.Write(segment.Handle, record, segment.Length);
                segment.Length += record.Length;
                segment.Pending++;
                end = segment.Length;
                if (_failing)
                {
                    _failing = false;
                    LogSpoolWritable(_logger, Directory!);
                }
            }

            if (SyncAlways)
            {
                SyncTo(segment, end);
            }

            return segment;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            lock (_gate)
            {
                if (!_failing)
                {
                    _failing = true;
                    LogSpoolFailing(_logger, ex, Directory!);
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Forces every file written so far to stable storage (before a batch goes to the store): the active one and the
    /// sealed ones that still hold unstored hits (a file sealed since the last sync has an unsynced tail).
    /// </summary>
    public void Sync()
    {
        SpoolSegment? active;
        long end;
        SpoolSegment[] sealedFiles;
        lock (_gate)
        {
            active = _active;
            end = active?.Length ?? 0;
            sealedFiles = _sealed.Count == 0 ? [] : [.. _sealed.Where(s => s.Synced < s.Length)];
        }

        foreach (var segment in sealedFiles)
        {
            TrySyncTo(segment, segment.Length);
        }

        if (active is not null)
        {
            TrySyncTo(active, end);
        }
    }

    /// <summary>
    /// Seals the active file, so that hits spooled from now on go to a new one, and returns a task that completes
    /// once every sealed file is deleted: the store then holds every hit spooled before the call, and no spool file
    /// holds one of them any more. An erasure waits for this, so that a crash after it cannot replay the hits it
    /// erased (a file is otherwise emptied only when the store has caught up with all of it, which under steady
    /// traffic can take until it reaches <see cref="BeaconSpoolOptions.SegmentBytes"/>).
    /// </summary>
    public Task SealAsync()
    {
        lock (_gate)
        {
            if (_active is { } active && active.Length > HitSpoolFormat.HeaderBytes)
            {
                _active = null;
                Seal(active);
            }

            return _sealed.Count == 0 ? Task.CompletedTask : Task.WhenAll(_sealed.Select(s => s.Released.Task));
        }
    }

    /// <summary>The store now holds <paramref name="count"/> hits of <paramref name="segment"/>.</summary>
    public void Stored(SpoolSegment segment, int count)
    {
        lock (_gate)
        {
            segment.Pending -= count;
            if (segment.Pending > 0)
            {
                return;
            }

            try
            {
                if (segment.Sealed)
                {
                    Delete(segment);
                }
                else if (segment.Length > HitSpoolFormat.HeaderBytes)
                {
                    // Everything in the active file is stored: start it over rather than let it grow.
                    RandomAccess.SetLength(segment.Handle, HitSpoolFormat.HeaderBytes);
                    segment.Length = HitSpoolFormat.HeaderBytes;
                    segment.Synced = Math.Min(segment.Synced, segment.Length);
                    segment.Truncations++;
                }
            }
            catch (IOException ex)
            {
                LogSpoolCleanupFailed(_logger, ex, segment.Path);
            }
        }
    }

    public void Dispose()
    {
        _syncTimer?.Dispose();
        lock (_gate)
        {
            if (_active is { } active)
            {
                var empty = active.Pending == 0;
                active.Handle.Dispose();
                if (empty)
                {
                    TryDelete(active.Path);
                }

                _active = null;
            }

            foreach (var segment in _sealed)
            {
                segment.Handle.Dispose(); // the file stays: its unstored hits are replayed at the next start
            }

            _sealed.Clear();

            _lock?.Dispose();
            _lock = null;
        }
    }

    /// <summary>Deletes a replayed file from an earlier process once the store holds its hits.</summary>
    public void DeleteReplayed(string path) => TryDelete(path);

    private void TrySyncTo(SpoolSegment segment, long end)
    {
        if (segment.Handle.IsClosed)
        {
            return;
        }

        try
        {
            SyncTo(segment, end);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // A file deleted meanwhile (all its hits stored) needs no sync; a failing disk shows up in Append.
        }
    }

    /// <summary>
    /// The sync timer's tick (<see cref="SpoolSyncMode.BeforeFlush"/>): syncs when something written before the
    /// previous tick is still unsynced. The writer syncs before each batch, so while it keeps up this does nothing;
    /// while a write hangs or is retried (a store that is down) it keeps the promise of one flush interval or so.
    /// </summary>
    private void SyncIfBehind()
    {
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
        {
            return; // the previous tick is still syncing
        }

        try
        {
            SpoolSegment? active;
            long length;
            bool sealedBehind;
            lock (_gate)
            {
                active = _active;
                length = active?.Length ?? 0;
                sealedBehind = _sealed.Any(s => s.Synced < s.Length);
            }

            var behind = sealedBehind || (active is not null && ReferenceEquals(active, _tickSegment) && active.Synced < _tickLength);
            _tickSegment = active;
            _tickLength = length;
            if (behind)
            {
                Sync();
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }

    private void SyncTo(SpoolSegment segment, long end)
    {
        if (segment.Synced >= end)
        {
            return;
        }

        // Group commit: whoever takes the lock syncs everything written so far, for every waiting request.
        lock (_syncGate)
        {
            if (segment.Synced >= end || segment.Handle.IsClosed)
            {
                return;
            }

            long target;
            int truncations;
            lock (_gate)
            {
                target = segment.Length;
                truncations = segment.Truncations;
            }

            RandomAccess.FlushToDisk(segment.Handle);
            lock (_gate)
            {
                // The sync timer runs beside the writer: if the file was started over during the flush, the bytes now
                // below the target are new and unsynced, so nothing may be marked synced.
                if (segment.Truncations == truncations)
                {
                    segment.Synced = target;
                }
            }
        }
    }

    private void Rotate()
    {
        if (_active is { } old)
        {
            _active = null;
            Seal(old);
        }

        var path = System.IO.Path.Combine(Directory!, string.Create(CultureInfo.InvariantCulture, $"spool-{_nextSequence++:D12}.fbs"));
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        try
        {
            RandomAccess.Write(handle, HitSpoolFormat.Magic, 0);
        }
        catch
        {
            // A full disk still lets an empty file be created: close and remove it, or every hit while the disk is
            // full leaves one more empty file and one more open handle behind.
            handle.Dispose();
            TryDelete(path);
            throw;
        }

        _active = new SpoolSegment(path, handle);
    }

    /// <summary>Seals a file that is no longer the active one (under the gate): deleted now if it holds no unstored hit.</summary>
    private void Seal(SpoolSegment segment)
    {
        segment.Sealed = true;
        if (segment.Pending == 0)
        {
            Delete(segment);
        }
        else
        {
            _sealed.Add(segment);
        }
    }

    /// <summary>Closes and deletes a sealed file whose hits are all stored (under the gate).</summary>
    private void Delete(SpoolSegment segment)
    {
        segment.Handle.Dispose();
        TryDelete(segment.Path);
        _sealed.Remove(segment);
        segment.Released.TrySetResult();
    }

    /// <summary>Why a new file cannot be created in the directory, or <see langword="null"/> when it can.</summary>
    private string? CannotWrite()
    {
        try
        {
            System.IO.Directory.CreateDirectory(Directory!);
            var probe = System.IO.Path.Combine(Directory!, $".probe-{Guid.NewGuid():N}");
            File.OpenHandle(probe, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.DeleteOnClose).Dispose();
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return ex.Message;
        }
    }

    private static long SequenceOf(string path)
    {
        var name = System.IO.Path.GetFileNameWithoutExtension(path);
        return name.StartsWith("spool-", StringComparison.Ordinal) &&
               long.TryParse(name.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? sequence
            : -1;
    }

    private void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException ex)
        {
            LogSpoolCleanupFailed(_logger, ex, path);
        }
    }

    [LoggerMessage(EventId = 220, Level = LogLevel.Error, Message = "Cannot write the beacon spool in {Directory}; hits are not acknowledged as stored until it is writable again")]
    private static partial void LogSpoolFailing(ILogger logger, Exception exception, string directory);

    [LoggerMessage(EventId = 221, Level = LogLevel.Information, Message = "The beacon spool in {Directory} is writable again")]
    private static partial void LogSpoolWritable(ILogger logger, string directory);

    [LoggerMessage(EventId = 222, Level = LogLevel.Warning, Message = "Could not clean up the beacon spool file {Path}; it will be replayed (harmlessly) at the next start")]
    private static partial void LogSpoolCleanupFailed(ILogger logger, Exception exception, string path);
}

namespace FrancisBeacon;

/// <summary>
/// The opt-in durable mode: every accepted hit is appended to a local spool file before the beacon answers, so a
/// hard kill (SIGKILL, out-of-memory kill, crash) loses nothing that was acknowledged. The spool is replayed into the
/// store at the next start; replay is idempotent because re-appending a <see cref="Hit.Id"/> is a no-op in every
/// store. Off by default. See docs/deployment.md.
/// </summary>
/// <remarks>
/// The spool holds finished hits only (after enrichment): never an IP address or a raw user agent. Each app instance
/// needs its own directory; a second process that opens the same directory fails at start.
/// </remarks>
public sealed class BeaconSpoolOptions
{
    /// <summary>
    /// The directory of the spool files (created when missing). <see langword="null"/> or empty switches durable mode
    /// off. Default: <see langword="null"/>.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>When the spool is forced to disk with <c>fsync</c>. Default: <see cref="SpoolSyncMode.BeforeFlush"/>.</summary>
    public SpoolSyncMode SyncMode { get; set; } = SpoolSyncMode.BeforeFlush;

    /// <summary>
    /// The size at which a spool file is closed and a new one begun, in bytes; a closed file is deleted once all its
    /// hits are in the store (1 MiB – 1 GiB). Default: 16 MiB.
    /// </summary>
    public long SegmentBytes { get; set; } = 16L * 1024 * 1024;
}

/// <summary>When the spool is forced to stable storage.</summary>
public enum SpoolSyncMode
{
    /// <summary>
    /// Each hit is written to the spool file (one <c>write</c> system call) before the answer, and the file is
    /// <c>fsync</c>ed before each batch goes to the store, so at most one <see cref="BeaconOptions.FlushInterval"/>;
    /// while a write hangs or fails (the store is down), a timer syncs every flush interval instead. A killed process
    /// loses nothing acknowledged (the kernel keeps what was written); a power failure or kernel crash may lose the
    /// hits of about the last two flush intervals.
    /// </summary>
    BeforeFlush,

    /// <summary>
    /// The answer waits until the hit is <c>fsync</c>ed (concurrent requests share one <c>fsync</c>), so even a power
    /// failure loses nothing acknowledged, at the cost of a disk flush in every request's latency.
    /// </summary>
    Always,
}

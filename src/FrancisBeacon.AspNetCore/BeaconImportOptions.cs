// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.AspNetCore;

/// <summary>Options of the opt-in import endpoint (<c>MapBeaconImportApi</c>).</summary>
public sealed class BeaconImportOptions
{
    /// <summary>
    /// The largest request body, in bytes, as sent and (with <c>Content-Encoding: gzip</c>) once decompressed; a larger
    /// one is answered <c>413</c>. The endpoint sets the server's own limit (Kestrel's default is 30 MB) to this for its
    /// requests. Default: 1 GiB (about 1.5 million hits of NDJSON). At least 1.
    /// </summary>
    public long MaxRequestBodySize { get; set; } = 1L << 30;

    /// <summary>How many hits go to the store at once (one transaction each). Default: 1,000. 1 to 100,000.</summary>
    public int BatchSize { get; set; } = 1000;

    /// <summary>
    /// How many imports may run at once in this process, of different sites (one import of a site runs at a time: another
    /// one of the same site is answered <c>409 Conflict</c>). One more is answered <c>503 Service Unavailable</c>; both
    /// carry <c>Retry-After</c> and are refused before any of the body is read. Each import holds a request, a thread
    /// while it parses and a store connection per batch, and competes with the beacon's writer for the database.
    /// Default: 2. 1 to 64.
    /// </summary>
    public int MaxConcurrentImports { get; set; } = 2;
}

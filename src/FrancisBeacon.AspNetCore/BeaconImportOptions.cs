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
}

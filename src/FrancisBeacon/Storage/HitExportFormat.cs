// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Storage;

/// <summary>The two formats of the raw-hit export (<c>GET {api}/export</c>), which the import reads back.</summary>
public enum HitExportFormat
{
    /// <summary>Newline-delimited JSON: one object per hit and line, every field, properties as an object.</summary>
    Ndjson,

    /// <summary>RFC 4180 CSV: a header row, lines ending in CRLF, properties as a JSON object in the last cell.</summary>
    Csv,
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Text.Json.Serialization;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>Source-generated JSON for the link rows.</summary>
[JsonSerializable(typeof(RollupLink))]
internal sealed partial class RollupJsonContext : JsonSerializerContext;

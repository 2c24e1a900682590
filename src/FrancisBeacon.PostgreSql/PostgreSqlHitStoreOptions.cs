// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon.Storage;

namespace FrancisBeacon.PostgreSql;

/// <summary>Options of <see cref="PostgreSqlHitStore"/>.</summary>
public sealed class PostgreSqlHitStoreOptions
{
    /// <summary>
    /// The Npgsql connection string, for example <c>Host=db;Database=app;Username=beacon;Password=...</c>. Required
    /// unless the store is given an <c>NpgsqlDataSource</c>, in which case it is ignored. Default: empty.
    /// </summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// The PostgreSQL schema that holds the store's tables, so the beacon can share a database with the app.
    /// Lower-case letters, digits and <c>_</c> only, at most 63 characters, not starting with a digit or
    /// <c>pg_</c>. Created by the first migration when missing. Default: <c>beacon</c>.
    /// </summary>
    public string Schema { get; set; } = "beacon";

    /// <summary>What happens to the schema at start-up. Default: <see cref="SchemaMode.Migrate"/>.</summary>
    public SchemaMode SchemaMode { get; set; } = SchemaMode.Migrate;

    /// <summary>
    /// Whether the store keeps per-day rollups and answers the queries they can answer exactly from them (see
    /// docs/performance.md). Default: <see langword="true"/>.
    /// </summary>
    public bool EnableRollups { get; set; } = true;
}

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

    /// <summary>
    /// How long new hits may take to show in the answers the rollups give. A day with hits not rolled up yet is still
    /// answered from its stored rollup rows while its oldest such change is younger than this (the rollup worker folds
    /// it in every few seconds), and cut from the raw hits by each query once it is older. Purged days never wait.
    /// <see cref="TimeSpan.Zero"/> makes every answer include every stored hit at once, at the price of cutting today
    /// from the raw hits in every query on a live site. Default: 10 seconds (docs/performance.md, "Ranges ending today
    /// on a live site").
    /// </summary>
    public TimeSpan MaxRollupLag { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Whether a rollup pass applies only the hits added since a day's last pass to that day's stored rows (found by the
    /// id of the transaction that inserted them), rather than rebuilding every changed day whole (docs/storage.md,
    /// "Incremental upkeep (PostgreSQL)"); the answers are the same either way. Default: <see langword="true"/>.
    /// </summary>
    public bool IncrementalRollups { get; set; } = true;
}


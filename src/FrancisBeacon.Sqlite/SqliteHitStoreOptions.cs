using FrancisBeacon.Storage;

namespace FrancisBeacon.Sqlite;

/// <summary>Options of <see cref="SqliteHitStore"/>.</summary>
public sealed class SqliteHitStoreOptions
{
    /// <summary>The Microsoft.Data.Sqlite connection string, for example <c>Data Source=beacon.db</c>. Required.</summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// Prefix of the store's table names, so the beacon can share a database with the app. Lower-case letters,
    /// digits and <c>_</c> only. Default: <c>beacon_</c>.
    /// </summary>
    public string TablePrefix { get; set; } = "beacon_";

    /// <summary>What happens to the schema at start-up. Default: <see cref="SchemaMode.Migrate"/>.</summary>
    public SchemaMode SchemaMode { get; set; } = SchemaMode.Migrate;

    /// <summary>How long a statement waits for another writer's lock before failing. Default: 5 seconds.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether the store keeps per-day rollups and answers the queries they can answer exactly from them (see
    /// docs/performance.md). Default: <see langword="true"/>.
    /// </summary>
    public bool EnableRollups { get; set; } = true;

    /// <summary>
    /// Whether the rollup worker applies only the hits added since a day's last pass to that day's rollup rows, rather
    /// than rebuilding every changed day whole (docs/storage.md, "Incremental upkeep"); the answers are the same either
    /// way. Default: <see langword="true"/>.
    /// </summary>
    public bool IncrementalRollups { get; set; } = true;
}

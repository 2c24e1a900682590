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
    /// How long one <see cref="SqliteHitStore.QueryAsync"/> may run before its statement is stopped and a
    /// <see cref="TimeoutException"/> thrown (the query API answers <c>503</c> with <c>Retry-After</c>, as for
    /// PostgreSQL's command timeout). A cancelled query's statement is stopped at once as well. Positive, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> for no limit. Default: 30 seconds.
    /// </summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(30);

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
    /// Whether the rollup worker applies only the hits added since a day's last pass to that day's rollup rows, rather
    /// than rebuilding every changed day whole (docs/storage.md, "Incremental upkeep"); the answers are the same either
    /// way. Default: <see langword="true"/>.
    /// </summary>
    public bool IncrementalRollups { get; set; } = true;
}


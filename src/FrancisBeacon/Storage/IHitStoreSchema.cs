namespace FrancisBeacon.Storage;

/// <summary>
/// A capability of stores with a versioned schema (the SQL stores). Probe with <c>store is IHitStoreSchema</c>.
/// </summary>
public interface IHitStoreSchema
{
    /// <summary>The newest schema version this code knows: the number of migration scripts.</summary>
    int LatestVersion { get; }

    /// <summary>The version the database is at; 0 for an empty database.</summary>
    ValueTask<int> GetVersionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Applies every pending migration, each in its own transaction with its history row. Safe when several
    /// instances call it at once. Throws <see cref="InvalidOperationException"/> when the database is newer than
    /// this code.
    /// </summary>
    ValueTask MigrateAsync(CancellationToken cancellationToken);

    /// <summary>The SQL that brings a database from <paramref name="fromVersion"/> to <see cref="LatestVersion"/>, for a DBA.</summary>
    string GetMigrationScript(int fromVersion);
}

/// <summary>What a store does with its schema when the app starts.</summary>
public enum SchemaMode
{
    /// <summary>Apply pending migrations.</summary>
    Migrate,

    /// <summary>Fail start-up when the database is not at the latest version.</summary>
    Validate,

    /// <summary>Do nothing; a DBA manages the schema.</summary>
    None,
}

using FrancisBeacon;
using FrancisBeacon.Sqlite;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the SQLite store on <c>AddBeacon()</c>.</summary>
public static class SqliteBeaconBuilderExtensions
{
    /// <summary>Stores hits in the SQLite database of <paramref name="connectionString"/>, e.g. <c>Data Source=beacon.db</c>.</summary>
    public static IBeaconBuilder UseSqlite(this IBeaconBuilder builder, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UseSqlite(o => o.ConnectionString = connectionString);
    }

    /// <summary>Stores hits in SQLite, configured by <paramref name="configure"/>.</summary>
    public static IBeaconBuilder UseSqlite(this IBeaconBuilder builder, Action<SqliteHitStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddOptions<SqliteHitStoreOptions>()
            .Configure(configure)
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "SqliteHitStoreOptions.ConnectionString is required.")
            .Validate(o => FrancisBeacon.Sql.SqlIdentifier.IsValidPrefix(o.TablePrefix), "SqliteHitStoreOptions.TablePrefix may hold only lower-case letters, digits and '_'.")
            .ValidateOnStart();
        builder.UseStore(sp => new SqliteHitStore(sp.GetRequiredService<IOptions<SqliteHitStoreOptions>>().Value));
        builder.AddSchemaInitializer(sp => sp.GetRequiredService<IOptions<SqliteHitStoreOptions>>().Value.SchemaMode);
        builder.AddRollupWorker();
        return builder;
    }
}

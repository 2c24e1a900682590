// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using FrancisBeacon;
using FrancisBeacon.PostgreSql;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the PostgreSQL store on <c>AddBeacon()</c>.</summary>
public static class PostgreSqlBeaconBuilderExtensions
{
    /// <summary>
    /// Stores hits in the PostgreSQL database of <paramref name="connectionString"/>, in schema <c>beacon</c>. The
    /// store builds and owns its own <see cref="NpgsqlDataSource"/>.
    /// </summary>
    public static IBeaconBuilder UsePostgreSql(this IBeaconBuilder builder, string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return builder.UsePostgreSql(o => o.ConnectionString = connectionString);
    }

    /// <summary>
    /// Stores hits in PostgreSQL, configured by <paramref name="configure"/>; the store builds and owns an
    /// <see cref="NpgsqlDataSource"/> from <see cref="PostgreSqlHitStoreOptions.ConnectionString"/>.
    /// </summary>
    public static IBeaconBuilder UsePostgreSql(this IBeaconBuilder builder, Action<PostgreSqlHitStoreOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        AddOptions(builder, configure, connectionStringRequired: true);
        builder.UseStore(sp => new PostgreSqlHitStore(sp.GetRequiredService<IOptions<PostgreSqlHitStoreOptions>>().Value));
        builder.AddSchemaInitializer(sp => sp.GetRequiredService<IOptions<PostgreSqlHitStoreOptions>>().Value.SchemaMode);
        builder.AddRollupWorker();
        return builder;
    }

    /// <summary>
    /// Stores hits in PostgreSQL through a data source the app owns, for example
    /// <c>sp =&gt; sp.GetRequiredService&lt;NpgsqlDataSource&gt;()</c>; the factory is called once.
    /// <see cref="PostgreSqlHitStoreOptions.ConnectionString"/> is ignored.
    /// </summary>
    public static IBeaconBuilder UsePostgreSql(
        this IBeaconBuilder builder,
        Func<IServiceProvider, NpgsqlDataSource> dataSourceFactory,
        Action<PostgreSqlHitStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSourceFactory);
        AddOptions(builder, configure ?? (_ => { }), connectionStringRequired: false);
        builder.UseStore(sp => new PostgreSqlHitStore(
            dataSourceFactory(sp) ?? throw new InvalidOperationException("The NpgsqlDataSource factory given to UsePostgreSql returned null."),
            sp.GetRequiredService<IOptions<PostgreSqlHitStoreOptions>>().Value));
        builder.AddSchemaInitializer(sp => sp.GetRequiredService<IOptions<PostgreSqlHitStoreOptions>>().Value.SchemaMode);
        builder.AddRollupWorker();
        return builder;
    }

    private static void AddOptions(IBeaconBuilder builder, Action<PostgreSqlHitStoreOptions> configure, bool connectionStringRequired)
    {
        builder.Services.AddOptions<PostgreSqlHitStoreOptions>()
            .Configure(configure)
            .Validate(
                o => !connectionStringRequired || !string.IsNullOrWhiteSpace(o.ConnectionString),
                "PostgreSqlHitStoreOptions.ConnectionString is required (or pass an NpgsqlDataSource factory to UsePostgreSql).")
            .Validate(
                o => FrancisBeacon.Sql.SqlIdentifier.IsValid(o.Schema) && !o.Schema.StartsWith("pg_", StringComparison.Ordinal),
                "PostgreSqlHitStoreOptions.Schema may hold only lower-case letters, digits and '_' (at most 63, not starting with a digit or 'pg_').")
            .Validate(
                o => Enum.IsDefined(o.SchemaMode),
                "PostgreSqlHitStoreOptions.SchemaMode is not a known SchemaMode.")
            .ValidateOnStart();
    }
}

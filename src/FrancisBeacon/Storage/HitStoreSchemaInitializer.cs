using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.Storage;

/// <summary>
/// Brings a store's schema up to date when the host starts, according to a <see cref="SchemaMode"/>. Store
/// packages register it; hosted services start before the web server, so no request sees an old schema.
/// </summary>
public sealed partial class HitStoreSchemaInitializer : IHostedService
{
    private readonly IHitStore _store;
    private readonly SchemaMode _mode;
    private readonly ILogger<HitStoreSchemaInitializer> _logger;

    /// <summary>Creates the initializer.</summary>
    public HitStoreSchemaInitializer(IHitStore store, SchemaMode mode, ILogger<HitStoreSchemaInitializer> logger)
    {
        _store = store;
        _mode = mode;
        _logger = logger;
    }

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_store is not IHitStoreSchema schema || _mode == SchemaMode.None)
        {
            return;
        }

        var version = await schema.GetVersionAsync(cancellationToken);
        if (version > schema.LatestVersion)
        {
            throw new InvalidOperationException(
                $"The beacon database is at schema version {version}, newer than this code's {schema.LatestVersion}. " +
                "Upgrade FrancisBeacon; an older version must not write to a newer schema.");
        }

        if (_mode == SchemaMode.Validate)
        {
            if (version < schema.LatestVersion)
            {
                throw new InvalidOperationException(
                    $"The beacon database is at schema version {version}; this code needs {schema.LatestVersion}. " +
                    "Apply the pending migrations (IHitStoreSchema.GetMigrationScript) or use SchemaMode.Migrate.");
            }

            return;
        }

        if (version < schema.LatestVersion)
        {
            LogMigrating(_logger, version, schema.LatestVersion);
            await schema.MigrateAsync(cancellationToken);
        }

        LogSchemaReady(_logger, schema.LatestVersion);
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Migrating the beacon schema from version {From} to {To}")]
    private static partial void LogMigrating(ILogger logger, int from, int to);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Beacon schema is at version {Version}")]
    private static partial void LogSchemaReady(ILogger logger, int version);
}

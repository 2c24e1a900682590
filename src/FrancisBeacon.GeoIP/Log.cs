using Microsoft.Extensions.Logging;

namespace FrancisBeacon.GeoIP;

internal static partial class Log
{
    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning,
        Message = "The GeoIP database '{DatabasePath}' has a record that cannot be read ({ErrorType}); hits that need such records get no location. Replace the database file. Later failures of this file are not logged.")]
    public static partial void UnreadableRecord(ILogger logger, string databasePath, string errorType);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Information,
        Message = "Reloaded the GeoIP database '{DatabasePath}': {DatabaseType} built {BuildDate:yyyy-MM-dd}.")]
    public static partial void Reloaded(ILogger logger, string databasePath, string databaseType, DateTime buildDate);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning,
        Message = "The GeoIP database '{DatabasePath}' changed but cannot be opened ({Reason}); the previous version stays in use. Replace the file atomically (write it beside the old one, then rename it over).")]
    public static partial void ReloadFailed(ILogger logger, string databasePath, string reason);
}

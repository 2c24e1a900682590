using Microsoft.Extensions.Logging;

namespace FrancisBeacon.GeoIP;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "The GeoIP database '{DatabasePath}' has a record that cannot be read ({ErrorType}); hits that need such records get no location. Replace the database file. Later failures of this file are not logged.")]
    public static partial void UnreadableRecord(ILogger logger, string databasePath, string errorType);
}

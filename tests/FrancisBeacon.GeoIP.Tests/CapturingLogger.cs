using Microsoft.Extensions.Logging;

namespace FrancisBeacon.GeoIP.Tests;

/// <summary>Keeps every formatted message, to check what is (and is not) logged.</summary>
internal sealed class CapturingLogger<T> : ILogger<T>
{
    public List<(LogLevel Level, string Message)> Entries { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (Entries)
        {
            Entries.Add((logLevel, formatter(state, exception) + (exception is null ? string.Empty : " | " + exception)));
        }
    }
}

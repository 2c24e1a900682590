using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FrancisBeacon.AspNetCore.Tests;

/// <summary>Keeps every log entry of the host it is registered in, for tests that count what was logged.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, EventId EventId, string Message)> _entries = new();

    public IReadOnlyList<(string Category, LogLevel Level, EventId EventId, string Message)> Entries => [.. _entries];

    /// <summary>The exceptions logged with the entries, in order.</summary>
    public IReadOnlyList<Exception> Exceptions => [.. _exceptions];

    private readonly ConcurrentQueue<Exception> _exceptions = new();

    public int Count(int eventId) => _entries.Count(e => e.EventId.Id == eventId);

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, this);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, LogCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            owner._entries.Enqueue((category, logLevel, eventId, formatter(state, exception)));
            if (exception is not null)
            {
                owner._exceptions.Enqueue(exception);
            }
        }
    }
}

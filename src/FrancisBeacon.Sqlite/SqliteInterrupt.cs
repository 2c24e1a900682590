// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FrancisBeacon.Sqlite;

/// <summary>
/// Stops a running SQLite statement when a token is cancelled. Microsoft.Data.Sqlite checks a command's token only
/// between rows, so an aggregate that reads a million hits before its first row ran to its end after the client had
/// gone (a cancelled query went on for 1.45 s of CPU in the session-14 red team); <c>sqlite3_interrupt</c> makes the
/// running step fail with <c>SQLITE_INTERRUPT</c> at once.
/// </summary>
internal static class SqliteInterrupt
{
    /// <summary>SQLite's result code for an interrupted statement.</summary>
    public const int InterruptedCode = 9; // SQLITE_INTERRUPT

    /// <summary>
    /// Interrupts <paramref name="connection"/>'s running statements when <paramref name="cancellationToken"/> is
    /// cancelled, until the registration is disposed. Dispose it before the connection goes back to the pool:
    /// disposing waits for a callback under way, so no interrupt can reach the connection's next user.
    /// </summary>
    public static CancellationTokenRegistration Register(SqliteConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static state =>
            {
                if (((SqliteConnection)state!).Handle is { } handle)
                {
                    raw.sqlite3_interrupt(handle);
                }
            }, connection)
            : default;
    }

    /// <summary>Whether <paramref name="exception"/> is, or wraps, an interrupted statement.</summary>
    public static bool IsInterrupted(Exception exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is SqliteException { SqliteErrorCode: InterruptedCode })
            {
                return true;
            }
        }

        return false;
    }
}

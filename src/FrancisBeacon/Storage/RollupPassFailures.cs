// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data.Common;
using System.Text;

namespace FrancisBeacon.Storage;

/// <summary>
/// The rollup worker's run of failed passes, and which of them deserve a warning: the first; the first with an error of
/// a kind not seen in this run (<see cref="Shape"/>); and, while the same errors persist, one an hour. The others are
/// logged at Debug level. Reset by a pass that succeeds.
/// </summary>
internal sealed class RollupPassFailures
{
    /// <summary>How often a run of failed passes with errors already warned about is warned about again.</summary>
    public static readonly TimeSpan RewarnInterval = TimeSpan.FromHours(1);

    // A run that alternates between many kinds of error (each a new one) must not warn at every pass either: past this
    // many kinds, a further one counts as seen and waits for the hourly warning.
    private const int MaxShapes = 16;
    private const int MaxMessageChars = 200;
    private const int MaxDepth = 4;

    private readonly HashSet<string> _shapes = new(StringComparer.Ordinal);
    private DateTimeOffset _warnedAt;
    private int _sinceWarning;

    /// <summary>What <see cref="Add"/> asks the caller to log.</summary>
    public enum Warning
    {
        /// <summary>Nothing above Debug level.</summary>
        None,

        /// <summary>The first failed pass of the run.</summary>
        First,

        /// <summary>A pass failed with an error of a kind not seen in this run.</summary>
        NewError,

        /// <summary>The errors persist, and the last warning is an hour old.</summary>
        StillFailing,
    }

    /// <summary>Failed passes in a row.</summary>
    public int InARow { get; private set; }

    /// <summary>
    /// Counts a failed pass and says whether to warn about it; <paramref name="sinceWarning"/> is the number of failed
    /// passes since the last warning, this one included.
    /// </summary>
    public Warning Add(Exception exception, DateTimeOffset now, out int sinceWarning)
    {
        InARow++;
        sinceWarning = ++_sinceWarning;
        var shape = Shape(exception);
        Warning warning;
        if (InARow == 1)
        {
            warning = Warning.First;
        }
        else if (!_shapes.Contains(shape) && _shapes.Count < MaxShapes)
        {
            warning = Warning.NewError;
        }
        else if (now - _warnedAt >= RewarnInterval)
        {
            warning = Warning.StillFailing;
        }
        else
        {
            return Warning.None;
        }

        if (_shapes.Count < MaxShapes)
        {
            _shapes.Add(shape);
        }

        _warnedAt = now;
        _sinceWarning = 0;
        return warning;
    }

    /// <summary>A pass succeeded: the run is over.</summary>
    public void Reset()
    {
        InARow = 0;
        _sinceWarning = 0;
        _shapes.Clear();
        _warnedAt = default;
    }

    /// <summary>
    /// The kind of an error, for telling a new error from the same one again: the types down the chain of inner
    /// exceptions, a database error's SQLSTATE, and the messages with their variable parts blanked (digit runs and
    /// quoted text: ids, counts, durations, names, values), so that "timed out after 5012 ms" and "after 5013 ms" are
    /// one kind. Compared only, never logged (the messages may hold data).
    /// </summary>
    internal static string Shape(Exception exception)
    {
        var shape = new StringBuilder();
        var depth = 0;
        for (var current = exception; current is not null && depth < MaxDepth; current = current.InnerException, depth++)
        {
            shape.Append(current.GetType().FullName).Append('|');
            if (current is DbException { SqlState: { } state })
            {
                shape.Append(state).Append('|');
            }

            AppendBlanked(shape, current.Message);
            shape.Append('\n');
        }

        return shape.ToString();
    }

    private static void AppendBlanked(StringBuilder shape, string message)
    {
        var text = message.AsSpan(0, Math.Min(message.Length, MaxMessageChars));
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote is { } open)
            {
                if (c == open)
                {
                    quote = null;
                    shape.Append(c);
                }

                continue;
            }

            if (c is '\'' or '"')
            {
                quote = c;
                shape.Append(c).Append('…');
            }
            else if (char.IsAsciiDigit(c))
            {
                if (i == 0 || !char.IsAsciiDigit(text[i - 1]))
                {
                    shape.Append('#');
                }
            }
            else
            {
                shape.Append(c);
            }
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.Storage;

/// <summary>
/// A file being imported (<see cref="HitExportReader"/>, <see cref="HitTransfer.ImportAsync"/>) is not what the export
/// writes: the message names the line and, where there is one, the field.
/// </summary>
public sealed class HitImportException : FormatException
{
    /// <summary>Creates the exception with a default message.</summary>
    public HitImportException()
        : this("The file is not a FrancisBeacon hit export.")
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    public HitImportException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public HitImportException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a line (and field) of the file.</summary>
    /// <param name="lineNumber">The line, from 1 (a CSV row that spans lines: the line it starts on).</param>
    /// <param name="field">The field or column, or <see langword="null"/> when the line as a whole is wrong.</param>
    /// <param name="reason">What is wrong, as a sentence.</param>
    /// <param name="innerException">The cause, if any.</param>
    public HitImportException(long lineNumber, string? field, string reason, Exception? innerException = null)
        : base(field is null ? $"Line {lineNumber}: {reason}" : $"Line {lineNumber}, field {field}: {reason}", innerException)
    {
        LineNumber = lineNumber;
        Field = field;
    }

    /// <summary>The line, from 1; 0 when not known.</summary>
    public long LineNumber { get; }

    /// <summary>The field or column, or <see langword="null"/>.</summary>
    public string? Field { get; }

    /// <summary>
    /// The hits read before the line in error (set by <see cref="HitTransfer.ImportAsync"/>; 0 from the reader).
    /// </summary>
    public long HitsRead { get; internal set; }

    /// <summary>
    /// The hits handed to the store before the error was reported (set by <see cref="HitTransfer.ImportAsync"/>, which
    /// stores every hit before the line in error first): running the import again after fixing the line is safe, since
    /// a store skips ids it already holds.
    /// </summary>
    public long HitsAppended { get; internal set; }

    /// <summary>
    /// Of <see cref="HitsAppended"/>, the hits the store did not hold before (<see cref="HitTransferResult.Added"/>);
    /// <see langword="null"/> when the store cannot tell (or from the reader).
    /// </summary>
    public long? HitsAdded { get; internal set; }
}

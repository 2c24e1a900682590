// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Data;
using System.Data.Common;
using System.Globalization;

namespace FrancisBeacon.Sql.Rollups;

/// <summary>The type of a rollup table column, as <see cref="RollupRows"/> holds it.</summary>
public enum RollupColumnType
{
    /// <summary>Text (<c>TEXT</c>).</summary>
    Text,

    /// <summary>A 32-bit whole number (PostgreSQL <c>integer</c>; SQLite <c>INTEGER</c>).</summary>
    ShortNumber,

    /// <summary>A 64-bit whole number (PostgreSQL <c>bigint</c>; SQLite <c>INTEGER</c>).</summary>
    Number,
}

/// <summary>
/// A chunk of rows for one rollup table, held column by column without boxing, that <see cref="HitRollups"/> hands to
/// <see cref="RollupTables.InsertRows"/> (a store's bulk path: a prepared statement bound by position, a binary
/// <c>COPY</c>). Valid only during that call: the builder reuses the chunk afterwards.
/// </summary>
public sealed class RollupRows
{
    private readonly RollupColumnType[] _types;
    private readonly long[]?[] _ints;
    private readonly bool[]?[] _nulls;
    private readonly string?[]?[] _texts;

    internal RollupRows(string table, string[] columns, RollupColumnType[] types, int capacity)
    {
        Table = table;
        Columns = columns;
        _types = types;
        Capacity = capacity;
        _ints = new long[]?[columns.Length];
        _nulls = new bool[]?[columns.Length];
        _texts = new string?[]?[columns.Length];
        for (var c = 0; c < columns.Length; c++)
        {
            if (types[c] == RollupColumnType.Text)
            {
                _texts[c] = new string?[capacity];
            }
            else
            {
                _ints[c] = new long[capacity];
                _nulls[c] = new bool[capacity];
            }
        }
    }

    /// <summary>The (validated, possibly schema-qualified) table name.</summary>
    public string Table { get; }

    /// <summary>The column names, in the order of the values.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>The number of rows.</summary>
    public int Count { get; private set; }

    internal int Capacity { get; }

    internal bool IsFull => Count == Capacity;

    /// <summary>The type of column <paramref name="column"/>.</summary>
    public RollupColumnType TypeOf(int column) => _types[column];

    /// <summary>Whether the value of row <paramref name="row"/>, column <paramref name="column"/> is null.</summary>
    public bool IsNull(int row, int column)
    {
        CheckRow(row);
        return _types[column] == RollupColumnType.Text ? _texts[column]![row] is null : _nulls[column]![row];
    }

    /// <summary>The integer value of row <paramref name="row"/>, column <paramref name="column"/> (0 when null).</summary>
    public long GetInt64(int row, int column)
    {
        CheckRow(row);
        return _ints[column] is { } values ? values[row] : throw new InvalidOperationException($"Column {Columns[column]} is text.");
    }

    /// <summary>The text value of row <paramref name="row"/>, column <paramref name="column"/> (null when null).</summary>
    public string? GetString(int row, int column)
    {
        CheckRow(row);
        return _texts[column] is { } values ? values[row] : throw new InvalidOperationException($"Column {Columns[column]} is an integer.");
    }

    /// <summary>Starts a new row (all values null) and returns its index.</summary>
    internal int Add()
    {
        var row = Count++;
        for (var c = 0; c < _types.Length; c++)
        {
            if (_texts[c] is { } texts)
            {
                texts[row] = null;
            }
            else
            {
                _nulls[c]![row] = true;
            }
        }

        return row;
    }

    internal void Set(int row, int column, long value)
    {
        _ints[column]![row] = value;
        _nulls[column]![row] = false;
    }

    internal void Set(int row, int column, long? value)
    {
        if (value is { } v)
        {
            Set(row, column, v);
        }
    }

    internal void Set(int row, int column, string? value) => _texts[column]![row] = value;

    internal void Clear()
    {
        for (var c = 0; c < _types.Length; c++)
        {
            if (_texts[c] is { } texts)
            {
                Array.Clear(texts, 0, Count);
            }
        }

        Count = 0;
    }

    /// <summary>
    /// Inserts the rows (the store's <see cref="RollupTables.InsertRows"/>, or one parameterised statement per row)
    /// inside <paramref name="transaction"/> and empties the chunk.
    /// </summary>
    internal async ValueTask FlushAsync(RollupTables tables, DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (Count == 0)
        {
            return;
        }

        if (tables.InsertRows is { } insert)
        {
            await insert(connection, transaction, this, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = $"INSERT INTO {Table} ({string.Join(", ", Columns)}) VALUES ({string.Join(", ", Columns.Select((_, c) => string.Create(CultureInfo.InvariantCulture, $"@p{c}")))})";
            for (var c = 0; c < _types.Length; c++)
            {
                var parameter = command.CreateParameter();
                parameter.ParameterName = string.Create(CultureInfo.InvariantCulture, $"p{c}");
                parameter.DbType = _types[c] switch
                {
                    RollupColumnType.Text => DbType.String,
                    RollupColumnType.ShortNumber => DbType.Int32,
                    _ => DbType.Int64,
                };
                command.Parameters.Add(parameter);
            }

            for (var row = 0; row < Count; row++)
            {
                for (var c = 0; c < _types.Length; c++)
                {
                    command.Parameters[c].Value = IsNull(row, c) ? DBNull.Value
                        : _types[c] == RollupColumnType.Text ? GetString(row, c)
                        : _types[c] == RollupColumnType.ShortNumber ? checked((int)GetInt64(row, c))
                        : GetInt64(row, c);
                }

                await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        Clear();
        if (tables.Splittable.TryGetValue(transaction, out var split))
        {
            await split(cancellationToken).ConfigureAwait(false); // a whole-day rewrite: other writers may go first
        }
    }

    /// <summary>Starts a row, inserting the chunk first when it is full.</summary>
    internal async ValueTask<int> AddAsync(RollupTables tables, DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        if (IsFull)
        {
            await FlushAsync(tables, connection, transaction, cancellationToken).ConfigureAwait(false);
        }

        return Add();
    }

    private void CheckRow(int row) => ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)row, (uint)Count, nameof(row));
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

using System.Buffers;
using System.Text;
using FrancisBeacon.Sql;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace FrancisBeacon.Sqlite;

/// <summary>
/// Writes one batch of hits inside the caller's write transaction, straight through SQLitePCLRaw: one prepared
/// statement, values bound by position (text as UTF-8 from one reused buffer), no per-row allocation beyond what a
/// hit's own JSON properties need. Then marks the (site, UTC hour) pairs of the rows really inserted dirty for the
/// rollups, one upsert per distinct pair (an <c>INSERT OR IGNORE</c> of a known id inserts and marks nothing).
/// </summary>
/// <remarks>
/// Ids as 16-byte blobs in RFC 9562 (big-endian) byte order, so that the time-ordered version 7 ids of
/// <see cref="Hit.Id"/> go in at the end of the unique id index (the little-endian order of
/// <see cref="Guid.TryWriteBytes(Span{byte})"/> put the low bytes of the timestamp first: inserts at up to 256 places
/// of the index at once, about 4 us more CPU per row; migration 0018 turned the stored ids round); text as
/// <see cref="Encoding.UTF8"/> (unpaired surrogates become U+FFFD), timestamps as Unix milliseconds.
/// </remarks>
internal static class SqliteBatchWriter
{
    private const long HourMs = 3_600_000;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Inserts <paramref name="hits"/> and marks their hours dirty; returns the number of rows inserted.</summary>
    public static int Write(SqliteConnection connection, SqliteSql sql, IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
    {
        var db = connection.Handle!;
        using var insert = Prepare(db, sql.InsertPositional);
        using var mark = Prepare(db, sql.MarkDirtyPositional);
        return Write(db, insert, mark, hits, cancellationToken);
    }

    /// <summary>
    /// Inserts <paramref name="hits"/> through <paramref name="insert"/> (<see cref="SqliteSql.InsertPositional"/>) and
    /// marks their hours dirty through <paramref name="mark"/> (<see cref="SqliteSql.MarkDirtyPositional"/>), both prepared
    /// on <paramref name="db"/> and left reset; returns the number of rows inserted.
    /// </summary>
    public static int Write(sqlite3 db, sqlite3_stmt insert, sqlite3_stmt mark, IReadOnlyList<Hit> hits, CancellationToken cancellationToken)
    {
        var inserted = 0;
        var dirty = new HashSet<(string SiteId, long Hour)>();
        var buffer = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            // Bindings a statement kept from an earlier batch are not trusted: the first row binds every value.
            var bound = new BoundValues();
            for (var i = 0; i < hits.Count; i++)
            {
                if ((i & 255) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                // Every 128 rows (about half a millisecond) the writer lets any runnable thread go first: Linux's
                // scheduler (EEVDF) otherwise lets it run out its slice of a few milliseconds while request threads
                // wait for the core, which showed in the beacon's p99 at part load on small machines (performance.md,
                // "Round 15"). Costs one sched_yield per 128 rows; no effect when nothing else waits.
                if ((i & 127) == 127)
                {
                    Thread.Yield();
                }

                // A value longer than its HitLimits size in bytes is cut, as on every store (HitText.Truncate; the same
                // instance, after a few length checks, for a hit from the beacon's pipeline, which cut it already).
                var hit = HitText.Truncate(hits[i] ?? throw new ArgumentException("The batch holds a null hit.", nameof(hits)));
                var ts = ToStoredMilliseconds(hit.Timestamp);
                Bind(db, insert, hit, ts, ref buffer, bound);
                var rc = raw.sqlite3_step(insert);
                if (rc != raw.SQLITE_DONE)
                {
                    raw.sqlite3_reset(insert);
                    Check(db, rc, raw.SQLITE_DONE);
                }

                if (raw.sqlite3_changes(db) > 0)
                {
                    inserted++;
                    dirty.Add((hit.SiteId, ts / HourMs));
                }

                Check(db, raw.sqlite3_reset(insert), raw.SQLITE_OK);
            }

            foreach (var (siteId, hour) in dirty)
            {
                BindText(db, mark, 1, siteId, ref buffer);
                Check(db, raw.sqlite3_bind_int64(mark, 2, hour), raw.SQLITE_OK);
                var rc = raw.sqlite3_step(mark);
                raw.sqlite3_reset(mark);
                Check(db, rc, raw.SQLITE_DONE);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return inserted;
    }

    /// <summary>Unix milliseconds of the timestamp truncated to the millisecond, as the store keeps it.</summary>
    internal static long ToStoredMilliseconds(DateTimeOffset value)
    {
        var ticks = value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMillisecond);
        return (ticks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMillisecond;
    }

    internal static sqlite3_stmt Prepare(sqlite3 db, string text)
    {
        var rc = raw.sqlite3_prepare_v2(db, text, out var statement);
        if (rc != raw.SQLITE_OK)
        {
            statement.Dispose();
            SqliteException.ThrowExceptionForRC(rc, db);
        }

        return statement;
    }

    /// <summary>Reads an id stored by <see cref="Bind"/> (big-endian, RFC 9562 byte order).</summary>
    public static Guid ReadId(System.Data.Common.DbDataReader reader, int ordinal)
    {
        Span<byte> id = stackalloc byte[16];
        var bytes = reader.GetFieldValue<byte[]>(ordinal);
        bytes.AsSpan(0, Math.Min(bytes.Length, 16)).CopyTo(id);
        return new Guid(id, bigEndian: true);
    }

    /// <summary>
    /// Binds one hit's values. A value equal to the one the same parameter already holds from the previous row is not
    /// bound again: <c>sqlite3_reset</c> keeps a statement's bindings (SQLite copied the bytes, SQLITE_TRANSIENT), and
    /// within a batch most columns repeat from row to row (site, event name, hostname, browser, operating system,
    /// device, channel, and the columns left NULL), so most of the 29 calls into SQLite and UTF-8 encodings per row
    /// are skipped (docs/performance.md, round 10).
    /// </summary>
    private static void Bind(sqlite3 db, sqlite3_stmt s, Hit hit, long ts, ref byte[] buffer, BoundValues bound)
    {
        Span<byte> id = stackalloc byte[16];
        hit.Id.TryWriteBytes(id, bigEndian: true, out _);
        Check(db, raw.sqlite3_bind_blob(s, 1, id), raw.SQLITE_OK);
        bound.Text(db, s, 2, hit.SiteId, ref buffer);
        Check(db, raw.sqlite3_bind_int64(s, 3, ts), raw.SQLITE_OK);
        bound.Text(db, s, 4, hit.EventName, ref buffer);
        bound.Text(db, s, 5, hit.Hostname, ref buffer);
        bound.Text(db, s, 6, hit.Path, ref buffer);
        bound.Text(db, s, 7, hit.Referrer, ref buffer);
        bound.Text(db, s, 8, hit.ReferrerSource, ref buffer);
        bound.Text(db, s, 9, hit.UtmSource, ref buffer);
        bound.Text(db, s, 10, hit.UtmMedium, ref buffer);
        bound.Text(db, s, 11, hit.UtmCampaign, ref buffer);
        bound.Text(db, s, 12, hit.UtmTerm, ref buffer);
        bound.Text(db, s, 13, hit.UtmContent, ref buffer);
        bound.Int(db, s, 14, hit.VisitorId);
        bound.Text(db, s, 15, hit.Browser, ref buffer);
        bound.Text(db, s, 16, hit.BrowserVersion, ref buffer);
        bound.Text(db, s, 17, hit.OperatingSystem, ref buffer);
        bound.Text(db, s, 18, hit.OperatingSystemVersion, ref buffer);
        bound.Text(db, s, 19, hit.DeviceType, ref buffer);
        bound.Text(db, s, 20, hit.Country, ref buffer);
        bound.Text(db, s, 21, hit.Region, ref buffer);
        bound.Text(db, s, 22, hit.City, ref buffer);
        bound.Int(db, s, 23, hit.ScreenWidth);
        bound.Text(db, s, 24, hit.Language, ref buffer);
        bound.Text(db, s, 25, HitPropertiesJson.Serialize(hit.Properties), ref buffer);
        bound.Text(db, s, 26, hit.Channel, ref buffer);
        bound.Int(db, s, 27, hit.PreviousVisitorId);
        bound.Int(db, s, 28, hit.RevenueAmount is { } amount ? decimal.ToInt64(decimal.Round(amount * 1_000_000m, MidpointRounding.AwayFromZero)) : null);
        bound.Text(db, s, 29, hit.RevenueCurrency, ref buffer);
    }

    /// <summary>
    /// What each parameter of the insert statement holds since the last row: parameters start out unbound (NULL to
    /// SQLite, but marked unknown here, so the first row binds everything), and a parameter is bound again only when
    /// its value differs (ordinal string equality, or the integer or NULL).
    /// </summary>
    internal sealed class BoundValues
    {
        private const int Parameters = 30;
        private readonly string?[] _text = new string?[Parameters];
        private readonly long[] _int = new long[Parameters];
        private readonly byte[] _kind = new byte[Parameters]; // 0 unknown, 1 NULL, 2 text, 3 integer

        /// <summary>How many bindings were skipped because the parameter already held the value (tests).</summary>
        public int Skipped { get; private set; }

        public void Text(sqlite3 db, sqlite3_stmt s, int index, string? value, ref byte[] buffer)
        {
            var kind = _kind[index];
            if (value is null ? kind == 1 : kind == 2 && string.Equals(_text[index], value, StringComparison.Ordinal))
            {
                Skipped++;
                return;
            }

            BindText(db, s, index, value, ref buffer);
            (_kind[index], _text[index]) = value is null ? ((byte)1, null) : ((byte)2, value);
        }

        public void Int(sqlite3 db, sqlite3_stmt s, int index, long? value)
        {
            var kind = _kind[index];
            if (value is { } number ? kind == 3 && _int[index] == number : kind == 1)
            {
                Skipped++;
                return;
            }

            Check(db, value is { } n ? raw.sqlite3_bind_int64(s, index, n) : raw.sqlite3_bind_null(s, index), raw.SQLITE_OK);
            (_kind[index], _int[index]) = value is { } v ? ((byte)3, v) : ((byte)1, 0L);
        }
    }

    internal static void BindText(sqlite3 db, sqlite3_stmt s, int index, string? value, ref byte[] buffer)
    {
        int rc;
        if (value is null)
        {
            rc = raw.sqlite3_bind_null(s, index);
        }
        else if (value.Length == 0)
        {
            // An empty span pins to a null pointer, which SQLite would bind as NULL: bind a real empty string.
            rc = raw.sqlite3_bind_text(s, index, string.Empty);
        }
        else
        {
            var max = Utf8.GetMaxByteCount(value.Length);
            if (max > buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = ArrayPool<byte>.Shared.Rent(max);
            }

            var length = Utf8.GetBytes(value, buffer);
            // SQLitePCLRaw binds spans with SQLITE_TRANSIENT: SQLite copies the bytes, so the buffer is free again.
            rc = raw.sqlite3_bind_text(s, index, buffer.AsSpan(0, length));
        }

        Check(db, rc, raw.SQLITE_OK);
    }

    internal static void Check(sqlite3 db, int rc, int expected)
    {
        if (rc != expected)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
            throw new InvalidOperationException($"SQLite returned {rc} where {expected} was expected.");
        }
    }
}

// SPDX-License-Identifier: MIT
// Copyright (c) 2026 FrancisBeacon authors

namespace FrancisBeacon.PostgreSql;

/// <summary>
/// Every SQL statement of the PostgreSQL store. The schema is validated by <c>SqlIdentifier</c> before it gets here
/// and is double-quoted, so a valid name that happens to be a keyword (<c>user</c>) still works.
/// </summary>
internal sealed class PostgreSqlSql
{
    /// <summary>The hit columns, in the order of <see cref="Copy"/> (after <c>ord</c>) and <see cref="Read"/>.</summary>
    private const string Columns = """
        id, site_id, ts, event_name, hostname, path, referrer, referrer_source,
            utm_source, utm_medium, utm_campaign, utm_term, utm_content, visitor_id, browser, browser_version,
            os, os_version, device_type, country, region, city, screen_width, language, props, channel, prev_visitor_id, revenue, revenue_currency
        """;

    /// <summary>
    /// The key of the transaction-scoped advisory lock migrations take (ASCII "FrancisB"). One constant for every
    /// schema: migrations are rare and short, and DBAs can look for it in <c>pg_locks</c>.
    /// </summary>
    public const long MigrationLockKey = 0x4672_616E_6369_7342;

    public const string TakeMigrationLock = "SELECT pg_advisory_xact_lock(@key)";

    public const string SchemaExists = "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = @schema)";

    public const string HistoryExists = """
        SELECT EXISTS (
            SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = @schema AND c.relname = 'beacon_schema_version')
        """;

    public const string Copy = $"COPY pg_temp.beacon_incoming (ord, {Columns}) FROM STDIN (FORMAT BINARY)";

    public PostgreSqlSql(string schema)
    {
        var quoted = Quote(schema);
        QuotedSchema = quoted;
        Hits = $"{quoted}.hits";
        History = $"{quoted}.beacon_schema_version";
        CopyDirect = $"COPY {Hits} ({Columns}) FROM STDIN (FORMAT BINARY)";
        CreateSchema = $"CREATE SCHEMA IF NOT EXISTS {quoted}";
        CreateHistory = $"CREATE TABLE IF NOT EXISTS {History} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)";
        CurrentVersion = $"SELECT coalesce(max(version), 0) FROM {History}";
        InsertHistory = $"INSERT INTO {History} (version, name, applied_at) VALUES (@version, @name, now())";
        // The batch lands in a temporary table first, so duplicates can be resolved in SQL after the COPY.
        CreateIncomingTable = $"CREATE TEMP TABLE beacon_incoming (ord integer NOT NULL, LIKE {Hits}) ON COMMIT DROP";
        // First occurrence of an id in the batch wins (as in the reference store); ids already stored are skipped.
        // Rows go in by id: writers whose batches overlap then take the unique-index waits in one global order and
        // cannot deadlock (by time they could, as equal timestamps tie in any order).
        Merge = $"""
            INSERT INTO {Hits} ({Columns})
            SELECT DISTINCT ON (id) {Columns} FROM pg_temp.beacon_incoming ORDER BY id, ord
            ON CONFLICT (id) DO NOTHING
            """;
        Read = $"SELECT {Columns} FROM {Hits} WHERE ts >= @from_ts AND ts < @to_ts ORDER BY ts";
        ReadSite = $"SELECT {Columns} FROM {Hits} WHERE site_id = @site_id AND ts >= @from_ts AND ts < @to_ts ORDER BY ts";
        Purge = $"DELETE FROM {Hits} WHERE ts >= @from_ts AND ts < @to_ts";
        PurgeSite = $"DELETE FROM {Hits} WHERE site_id = @site_id AND ts >= @from_ts AND ts < @to_ts";
        Salts = $"{quoted}.salts";
        InsertSalt = $"INSERT INTO {Salts} (day, salt) VALUES (@day, @salt) ON CONFLICT (day) DO NOTHING";
        SelectSalt = $"SELECT salt FROM {Salts} WHERE day = @day";
        DeleteSalts = $"DELETE FROM {Salts} WHERE day < @day";
    }

    public string QuotedSchema { get; }

    public string Hits { get; }

    public string History { get; }

    /// <summary>Binary COPY straight into the hits table (the fast path of a batch whose ids are all new).</summary>
    public string CopyDirect { get; }

    public string CreateSchema { get; }

    public string CreateHistory { get; }

    public string CurrentVersion { get; }

    public string InsertHistory { get; }

    public string CreateIncomingTable { get; }

    public string Merge { get; }

    public string Read { get; }

    public string ReadSite { get; }

    public string Purge { get; }

    public string PurgeSite { get; }

    public string Salts { get; }

    public string InsertSalt { get; }

    public string SelectSalt { get; }

    public string DeleteSalts { get; }

    /// <summary>Double-quotes an identifier that already passed the allow-list (so it holds no quote).</summary>
    public static string Quote(string identifier) => "\"" + identifier + "\"";
}

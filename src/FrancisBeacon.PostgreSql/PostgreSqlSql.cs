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
        // With the defaults: LIKE copies NOT NULL, and the COPY does not name the xid column (HitRollups.Upkeep.cs).
        CreateIncomingTable = $"CREATE TEMP TABLE beacon_incoming (ord integer NOT NULL, LIKE {Hits} INCLUDING DEFAULTS) ON COMMIT DROP";
        // First occurrence of an id in the batch wins (as in the reference store); ids already stored are skipped.
        // Rows go in by id: writers whose batches overlap then take the unique-index waits in one global order and
        // cannot deadlock (by time they could, as equal timestamps tie in any order).
        Merge = $"""
            INSERT INTO {Hits} ({Columns})
            SELECT DISTINCT ON (id) {Columns} FROM pg_temp.beacon_incoming ORDER BY id, ord
            ON CONFLICT (id) DO NOTHING
            """;
        LockHits = $"LOCK TABLE {Hits} IN ROW EXCLUSIVE MODE";
        // The top of a rollup pass (docs/storage.md, "Incremental upkeep (PostgreSQL)"): the highest transaction id at or
        // below which no hit can be added any more. Every id below the snapshot's xmax was handed out before it; of those
        // still running at the snapshot, a transaction that writes hits holds a lock on the hits table from before it got
        // its id (a COPY or INSERT takes the lock first, the merge path takes it explicitly) until it ends. So the top is
        // one below the oldest such transaction, or one below xmax. pg_locks names transactions by their 32-bit id, the
        // snapshot by the 64-bit one: matched on the low 32 bits among the snapshot's running ids. Unrelated transactions
        // (other schemas, other databases, long reports) do not hold the top back; the snapshot is the statement's,
        // taken before pg_locks is read, so a writer that ends in between is counted as finished, as it is.
        UpkeepTop = $"""
            SELECT COALESCE(
                (SELECT min(x::text::bigint) FROM pg_catalog.pg_snapshot_xip(q.s) x
                 WHERE ((x::text::bigint) % 4294967296)::text::xid IN (
                    SELECT l.transactionid FROM pg_catalog.pg_locks r JOIN pg_catalog.pg_locks l ON l.virtualtransaction = r.virtualtransaction
                    WHERE r.locktype = 'relation' AND r.relation = '{Hits}'::regclass
                      AND r.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
                      AND r.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
                      AND l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted)),
                pg_catalog.pg_snapshot_xmax(q.s)::text::bigint) - 1
            FROM (SELECT pg_catalog.pg_current_snapshot() AS s) q
            """;
        Read = $"SELECT {Columns} FROM {Hits} WHERE ts >= @from_ts AND ts < @to_ts ORDER BY ts";
        ReadSite = $"SELECT {Columns} FROM {Hits} WHERE site_id = @site_id AND ts >= @from_ts AND ts < @to_ts ORDER BY ts";
        // One site's page of ReadAsync (HitReadOrdering.ReadInPagesAsync); LIMIT NULL is no limit.
        ReadSitePage = ReadSite + " LIMIT @limit";
        Purge = $"DELETE FROM {Hits} WHERE ts >= @from_ts AND ts < @to_ts";
        PurgeSite = $"DELETE FROM {Hits} WHERE site_id = @site_id AND ts >= @from_ts AND ts < @to_ts";
        // A purge that also removes the rollups (erasure; retention when the rollups go with the hits) marks the hours of
        // the hits it deletes dirty and overdue in the same statement, so that if the rollup rows' deletion after it
        // fails, no query answers those days from rows that still count erased hits, and the next pass rebuilds them
        // (as the SQLite store's purge chunks do). Sorted, as the insert trigger's marks, for the same lock order.
        PurgeMarkingDirty = PurgeWithMarks(Purge, quoted);
        PurgeSiteMarkingDirty = PurgeWithMarks(PurgeSite, quoted);
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

    /// <summary>Takes the hits table's write lock (the merge path, before its temporary table gives it a transaction id).</summary>
    public string LockHits { get; }

    /// <summary>A rollup pass's top transaction id (every hit at or below it is committed or never will be).</summary>
    public string UpkeepTop { get; }

    public string Read { get; }

    public string ReadSite { get; }

    public string ReadSitePage { get; }

    public string Purge { get; }

    public string PurgeSite { get; }

    /// <summary><see cref="Purge"/> that marks the deleted hits' hours dirty and overdue; answers the count deleted.</summary>
    public string PurgeMarkingDirty { get; }

    /// <summary><see cref="PurgeSite"/> that marks the deleted hits' hours dirty and overdue; answers the count deleted.</summary>
    public string PurgeSiteMarkingDirty { get; }

    private static string PurgeWithMarks(string delete, string quotedSchema) => $"""
        WITH d AS ({delete} RETURNING site_id, ts),
        m AS (SELECT {quotedSchema}.rollup_mark_dirty(site_id, h) FROM (
            SELECT DISTINCT site_id, floor(extract(epoch FROM ts) / 3600)::bigint AS h FROM d WHERE isfinite(ts) ORDER BY site_id, h) n)
        SELECT (SELECT count(*) FROM d) AS deleted, (SELECT count(*) FROM m) AS marked
        """;

    public string Salts { get; }

    public string InsertSalt { get; }

    public string SelectSalt { get; }

    public string DeleteSalts { get; }

    /// <summary>Double-quotes an identifier that already passed the allow-list (so it holds no quote).</summary>
    public static string Quote(string identifier) => "\"" + identifier + "\"";
}

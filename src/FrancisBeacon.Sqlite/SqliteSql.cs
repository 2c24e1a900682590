namespace FrancisBeacon.Sqlite;

/// <summary>Every SQL statement of the SQLite store. <c>{prefix}</c> is replaced by the validated table prefix.</summary>
internal sealed class SqliteSql
{
    /// <summary>The current Unix time in milliseconds (SQLite's clock: <c>'now'</c> is fixed for one step of a statement).</summary>
    public const string NowMilliseconds = "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";

    public SqliteSql(string prefix)
    {
        Hits = prefix + "hits";
        History = prefix + "schema_version";
        CreateHistory = $"CREATE TABLE IF NOT EXISTS {History} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";
        HistoryExists = $"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '{History}'";
        CurrentVersion = $"SELECT coalesce(max(version), 0) FROM {History}";
        InsertHistory = $"INSERT INTO {History} (version, name, applied_at) VALUES (@version, @name, @applied_at)";
        Insert = $"""
            INSERT OR IGNORE INTO {Hits} (id, site_id, ts, event_name, hostname, path, referrer, referrer_source,
                utm_source, utm_medium, utm_campaign, utm_term, utm_content, visitor_id, browser, browser_version,
                os, os_version, device_type, country, region, city, screen_width, language, props, channel, prev_visitor_id, revenue_micros, revenue_currency)
            VALUES (@id, @site_id, @ts, @event_name, @hostname, @path, @referrer, @referrer_source,
                @utm_source, @utm_medium, @utm_campaign, @utm_term, @utm_content, @visitor_id, @browser, @browser_version,
                @os, @os_version, @device_type, @country, @region, @city, @screen_width, @language, @props, @channel, @prev_visitor_id, @revenue_micros, @revenue_currency)
            """;
        // The same statement with positional parameters (?1 … ?29), for SqliteBatchWriter's bind-by-position path.
        InsertPositional = Insert[..Insert.IndexOf("VALUES", StringComparison.Ordinal)]
            + "VALUES (" + string.Join(", ", Enumerable.Range(1, InsertParameters.Length).Select(i => "?" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))) + ")";
        // A new dirty hour records when (on the database's clock) its oldest change not rolled up yet was made; a bump keeps it.
        MarkDirtyPositional = $"INSERT INTO {prefix}rollup_dirty (site_id, hour, ver, since) VALUES (?1, ?2, 1, {NowMilliseconds}) ON CONFLICT (site_id, hour) DO UPDATE SET ver = ver + 1";
        const string columns = """
            id, site_id, ts, event_name, hostname, path, referrer, referrer_source,
                utm_source, utm_medium, utm_campaign, utm_term, utm_content, visitor_id, browser, browser_version,
                os, os_version, device_type, country, region, city, screen_width, language, props, channel, prev_visitor_id, revenue_micros, revenue_currency
            """;
        Read = $"SELECT {columns} FROM {Hits} WHERE (@site_id IS NULL OR site_id = @site_id) AND ts >= @from_ts AND ts < @to_ts ORDER BY ts";
        // One site's page of ReadAsync (HitReadOrdering.ReadInPagesAsync); LIMIT -1 is no limit.
        ReadSitePage = $"SELECT {columns} FROM {Hits} WHERE site_id = @site_id AND ts >= @from_ts AND ts < @to_ts ORDER BY ts LIMIT @limit";
        Salts = prefix + "salts";
        InsertSalt = $"INSERT OR IGNORE INTO {Salts} (day, salt) VALUES (@day, @salt)";
        SelectSalt = $"SELECT salt FROM {Salts} WHERE day = @day";
        DeleteSalts = $"DELETE FROM {Salts} WHERE day < @day";
        // Retention and erasure delete a site's hits a chunk at a time, oldest first, each chunk its own transaction
        // (SqliteHitStore.PurgeAsync): the next site with hits (one index seek), the chunk's hours marked overdue as a
        // purge's edges are (unless the purge keeps the rollups), the chunk itself. Both read the same rows of the index.
        NextSite = $"SELECT min(site_id) FROM {Hits} WHERE site_id > @after";
        PurgeChunkMarkDirty = $"""
            INSERT INTO {prefix}rollup_dirty AS d (site_id, hour, ver, since)
            SELECT DISTINCT site_id, ts / 3600000, 1, -1 FROM (SELECT site_id, ts FROM {Hits} WHERE site_id = @site_id AND ts >= @from_ts AND ts < @to_ts ORDER BY ts LIMIT @limit) WHERE true
            ON CONFLICT (site_id, hour) DO UPDATE SET ver = d.ver + 1, since = min(d.since, 0) - 1
            """;
        PurgeChunk = $"DELETE FROM {Hits} WHERE seq IN (SELECT seq FROM {Hits} WHERE site_id = @site_id AND ts >= @from_ts AND ts < @to_ts ORDER BY ts LIMIT @limit)";
    }

    public string Hits { get; }

    public string History { get; }

    public string CreateHistory { get; }

    public string HistoryExists { get; }

    public string CurrentVersion { get; }

    public string InsertHistory { get; }

    public string Insert { get; }

    public string InsertPositional { get; }

    /// <summary>Marks hour <c>?2</c> of site <c>?1</c> dirty for the rollups (bumps its version).</summary>
    public string MarkDirtyPositional { get; }

    public string Read { get; }

    public string ReadSitePage { get; }

    public string NextSite { get; }

    public string PurgeChunkMarkDirty { get; }

    public string PurgeChunk { get; }

    public string Salts { get; }

    public string InsertSalt { get; }

    public string SelectSalt { get; }

    public string DeleteSalts { get; }

    /// <summary>The parameter names of <see cref="Insert"/>, in column order.</summary>
    public static readonly string[] InsertParameters =
    [
        "@id", "@site_id", "@ts", "@event_name", "@hostname", "@path", "@referrer", "@referrer_source",
        "@utm_source", "@utm_medium", "@utm_campaign", "@utm_term", "@utm_content", "@visitor_id", "@browser",
        "@browser_version", "@os", "@os_version", "@device_type", "@country", "@region", "@city", "@screen_width",
        "@language", "@props", "@channel", "@prev_visitor_id", "@revenue_micros", "@revenue_currency",
    ];
}

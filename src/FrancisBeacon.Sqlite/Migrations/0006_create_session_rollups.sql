-- Session rollups (docs/performance.md, "Filtered queries"): every session of a site-local day as one row (its visit
-- values, counts, whether it continues a session of the day before and what it needs of it), and its hits folded to one
-- row per distinct (page, event name, host), so that filters over visit and event dimensions are answered without
-- cutting raw hits into sessions. Columns a0..a17 hold the visit attributes in the order of RollupDimensions.Attributes.
CREATE TABLE {prefix}rollup_sessions (
    site_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    vid INTEGER NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER NOT NULL,
    pv INTEGER NOT NULL,
    n INTEGER NOT NULL,
    entry_path TEXT NOT NULL,
    exit_path TEXT NOT NULL,
    a0 TEXT NOT NULL,
    a1 TEXT NOT NULL,
    a2 TEXT NOT NULL,
    a3 TEXT NOT NULL,
    a4 TEXT NOT NULL,
    a5 TEXT NOT NULL,
    a6 TEXT NOT NULL,
    a7 TEXT NOT NULL,
    a8 TEXT NOT NULL,
    a9 TEXT NOT NULL,
    a10 TEXT NOT NULL,
    a11 TEXT NOT NULL,
    a12 TEXT NOT NULL,
    a13 TEXT NOT NULL,
    a14 TEXT NOT NULL,
    a15 TEXT NOT NULL,
    a16 TEXT NOT NULL,
    a17 TEXT NOT NULL,
    prev INTEGER NOT NULL,
    nx_vid INTEGER,
    t_vid INTEGER,
    t_start INTEGER,
    t_prev INTEGER,
    t_pv INTEGER,
    t_n INTEGER,
    t_entry_path TEXT,
    t_a0 TEXT,
    t_a1 TEXT,
    t_a2 TEXT,
    t_a3 TEXT,
    t_a4 TEXT,
    t_a5 TEXT,
    t_a6 TEXT,
    t_a7 TEXT,
    t_a8 TEXT,
    t_a9 TEXT,
    t_a10 TEXT,
    t_a11 TEXT,
    t_a12 TEXT,
    t_a13 TEXT,
    t_a14 TEXT,
    t_a15 TEXT,
    t_a16 TEXT,
    t_a17 TEXT,
    PRIMARY KEY (site_id, day, vid, start_ms)
) WITHOUT ROWID;

CREATE INDEX {prefix}rollup_sessions_linked ON {prefix}rollup_sessions (site_id, day, t_vid, t_start) WHERE t_vid IS NOT NULL;

CREATE TABLE {prefix}rollup_session_hits (
    site_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    vid INTEGER NOT NULL,
    start_ms INTEGER NOT NULL,
    path TEXT NOT NULL,
    event_name TEXT NOT NULL,
    hostname TEXT NOT NULL,
    pv INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (site_id, day, vid, start_ms, path, event_name, hostname)
) WITHOUT ROWID;

CREATE INDEX {prefix}rollup_session_hits_path ON {prefix}rollup_session_hits (site_id, path, day);

-- Sites whose other rollups exist are built again from their hits by the next refresh, which fills these tables.
DELETE FROM {prefix}rollup_sites;

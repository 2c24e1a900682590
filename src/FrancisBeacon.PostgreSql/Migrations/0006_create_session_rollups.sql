-- Session rollups (docs/performance.md, "Filtered queries"): every session of a site-local day as one row (its visit
-- values, counts, whether it continues a session of the day before and what it needs of it), and its hits folded to one
-- row per distinct (page, event name, host), so that filters over visit and event dimensions are answered without
-- cutting raw hits into sessions. Columns a0..a17 hold the visit attributes in the order of RollupDimensions.Attributes.
CREATE TABLE {schema}.rollup_sessions (
    site_id text COLLATE "C" NOT NULL,
    day integer NOT NULL,
    vid bigint NOT NULL,
    start_ms bigint NOT NULL,
    end_ms bigint NOT NULL,
    pv bigint NOT NULL,
    n bigint NOT NULL,
    entry_path text COLLATE "C" NOT NULL,
    exit_path text COLLATE "C" NOT NULL,
    a0 text COLLATE "C" NOT NULL,
    a1 text COLLATE "C" NOT NULL,
    a2 text COLLATE "C" NOT NULL,
    a3 text COLLATE "C" NOT NULL,
    a4 text COLLATE "C" NOT NULL,
    a5 text COLLATE "C" NOT NULL,
    a6 text COLLATE "C" NOT NULL,
    a7 text COLLATE "C" NOT NULL,
    a8 text COLLATE "C" NOT NULL,
    a9 text COLLATE "C" NOT NULL,
    a10 text COLLATE "C" NOT NULL,
    a11 text COLLATE "C" NOT NULL,
    a12 text COLLATE "C" NOT NULL,
    a13 text COLLATE "C" NOT NULL,
    a14 text COLLATE "C" NOT NULL,
    a15 text COLLATE "C" NOT NULL,
    a16 text COLLATE "C" NOT NULL,
    a17 text COLLATE "C" NOT NULL,
    prev integer NOT NULL,
    nx_vid bigint,
    t_vid bigint,
    t_start bigint,
    t_prev integer,
    t_pv bigint,
    t_n bigint,
    t_entry_path text COLLATE "C",
    t_a0 text COLLATE "C",
    t_a1 text COLLATE "C",
    t_a2 text COLLATE "C",
    t_a3 text COLLATE "C",
    t_a4 text COLLATE "C",
    t_a5 text COLLATE "C",
    t_a6 text COLLATE "C",
    t_a7 text COLLATE "C",
    t_a8 text COLLATE "C",
    t_a9 text COLLATE "C",
    t_a10 text COLLATE "C",
    t_a11 text COLLATE "C",
    t_a12 text COLLATE "C",
    t_a13 text COLLATE "C",
    t_a14 text COLLATE "C",
    t_a15 text COLLATE "C",
    t_a16 text COLLATE "C",
    t_a17 text COLLATE "C",
    PRIMARY KEY (site_id, day, vid, start_ms)
);

CREATE INDEX rollup_sessions_linked ON {schema}.rollup_sessions (site_id, day, t_vid, t_start) WHERE t_vid IS NOT NULL;

CREATE TABLE {schema}.rollup_session_hits (
    site_id text COLLATE "C" NOT NULL,
    day integer NOT NULL,
    vid bigint NOT NULL,
    start_ms bigint NOT NULL,
    path text COLLATE "C" NOT NULL,
    event_name text COLLATE "C" NOT NULL,
    hostname text COLLATE "C" NOT NULL,
    pv bigint NOT NULL,
    n bigint NOT NULL,
    PRIMARY KEY (site_id, day, vid, start_ms, path, event_name, hostname)
);

CREATE INDEX rollup_session_hits_path ON {schema}.rollup_session_hits (site_id, path, day);

-- Sites whose other rollups exist are built again from their hits by the next refresh, which fills these tables.
DELETE FROM {schema}.rollup_sites;

-- Segment rollups (docs/performance.md, "Filtered queries: segment rollups"): per site-local day, the day rollups'
-- counts restricted to the sessions whose value of a segment dimension (fdim: code in RollupDimensions.Segment) is
-- fvalue, over the visitors none of whose sessions that day can be merged across midnight. The others ("touched":
-- a session that continues one of the day before, or ends within the session timeout of midnight) are marked on
-- their session rows and answered by the session route at query time.
ALTER TABLE {prefix}rollup_sessions ADD COLUMN touched INTEGER NOT NULL DEFAULT 0;

CREATE INDEX {prefix}rollup_sessions_touched ON {prefix}rollup_sessions (site_id, day, vid, start_ms) WHERE touched = 1;

CREATE TABLE {prefix}rollup_segment_events (
    site_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    fdim INTEGER NOT NULL,
    fvalue TEXT NOT NULL,
    dim INTEGER NOT NULL,
    value TEXT NOT NULL,
    visitors INTEGER NOT NULL,
    pageviews INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (site_id, day, fdim, fvalue, dim, value)
) WITHOUT ROWID;

CREATE TABLE {prefix}rollup_segment_visits (
    site_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    fdim INTEGER NOT NULL,
    fvalue TEXT NOT NULL,
    dim INTEGER NOT NULL,
    value TEXT NOT NULL,
    visitors INTEGER NOT NULL,
    visits INTEGER NOT NULL,
    bounces INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    pageviews INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (site_id, day, fdim, fvalue, dim, value)
) WITHOUT ROWID;

-- Sites whose rollups exist are built again from their hits by the next refresh, which fills these tables and the flag.
DELETE FROM {prefix}rollup_sites;

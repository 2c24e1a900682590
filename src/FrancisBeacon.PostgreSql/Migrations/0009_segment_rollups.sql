-- Segment rollups (docs/performance.md, "Filtered queries: segment rollups"): per site-local day, the day rollups'
-- counts restricted to the sessions whose value of a segment dimension (fdim: code in RollupDimensions.Segment) is
-- fvalue, over the visitors none of whose sessions that day can be merged across midnight. The others ("touched":
-- a session that continues one of the day before, or ends within the session timeout of midnight) are marked on
-- their session rows and answered by the session route at query time.
ALTER TABLE {schema}.rollup_sessions ADD COLUMN touched integer NOT NULL DEFAULT 0;

CREATE INDEX rollup_sessions_touched ON {schema}.rollup_sessions (site_id, day, vid, start_ms) WHERE touched = 1;

CREATE TABLE {schema}.rollup_segment_events (
    site_id text COLLATE "C" NOT NULL,
    day integer NOT NULL,
    fdim integer NOT NULL,
    fvalue text COLLATE "C" NOT NULL,
    dim integer NOT NULL,
    value text COLLATE "C" NOT NULL,
    visitors bigint NOT NULL,
    pageviews bigint NOT NULL,
    events bigint NOT NULL,
    PRIMARY KEY (site_id, day, fdim, fvalue, dim, value)
);

CREATE TABLE {schema}.rollup_segment_visits (
    site_id text COLLATE "C" NOT NULL,
    day integer NOT NULL,
    fdim integer NOT NULL,
    fvalue text COLLATE "C" NOT NULL,
    dim integer NOT NULL,
    value text COLLATE "C" NOT NULL,
    visitors bigint NOT NULL,
    visits bigint NOT NULL,
    bounces bigint NOT NULL,
    duration_ms bigint NOT NULL,
    pageviews bigint NOT NULL,
    events bigint NOT NULL,
    PRIMARY KEY (site_id, day, fdim, fvalue, dim, value)
);

-- Sites whose rollups exist are built again from their hits by the next refresh, which fills these tables and the flag.
DELETE FROM {schema}.rollup_sites;

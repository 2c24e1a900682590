-- The touched visitors' rows, compact (docs/storage.md, "Touched rows"; docs/performance.md, "Touched rows"). A
-- page- or segment-filtered query reads the touched visitors' sessions through the session route. Their rows were
-- scattered: 1.5 % of rollup_sessions, one heap page per row (the partial index on touched rows cannot cover the 54
-- columns: PostgreSQL's limit is 32), and found for a page by reading all of the page's session-hit rows of the range
-- (637,875 index entries for 9,932 touched ones, a busy page over a year at 10 M hits).
--
-- 1. Each rollup_session_hits row carries its session's touched flag (written with it), and a partial covering index
--    holds the touched rows alone, by page.
ALTER TABLE {schema}.rollup_session_hits ADD COLUMN touched integer NOT NULL DEFAULT 0;

UPDATE {schema}.rollup_session_hits h SET touched = 1
FROM {schema}.rollup_sessions s
WHERE s.touched = 1 AND h.site_id = s.site_id AND h.day = s.day AND h.vid = s.vid AND h.start_ms = s.start_ms;

CREATE INDEX rollup_session_hits_touched ON {schema}.rollup_session_hits (site_id, path, day) INCLUDE (vid, start_ms, event_name, hostname, pv, n) WHERE touched = 1;

-- 2. A copy of the touched sessions' rows (every column, the same key) in a table of their own: 50,000 rows a year at
--    10 M hits, about 20 MB, read whole or by key from cache. Written and deleted with the rows of rollup_sessions.
CREATE TABLE {schema}.rollup_touched_sessions (LIKE {schema}.rollup_sessions INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
ALTER TABLE {schema}.rollup_touched_sessions ADD PRIMARY KEY (site_id, day, vid, start_ms);
CREATE INDEX rollup_touched_sessions_linked ON {schema}.rollup_touched_sessions (site_id, day, t_vid, t_start) WHERE t_vid IS NOT NULL;
ALTER TABLE {schema}.rollup_touched_sessions SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);

INSERT INTO {schema}.rollup_touched_sessions SELECT * FROM {schema}.rollup_sessions WHERE touched = 1;

-- Statistics for the new column, index and table now, rather than at autovacuum's next look (the UPDATE above also
-- leaves ~1.5 % of rollup_session_hits to vacuum, which migration 0018's settings have autovacuum do shortly). Before
-- both, the first page-filtered queries after the upgrade at 10 M hits ran about as slowly as before it
-- (docs/performance.md, "Touched rows at 10 M hits").
ANALYZE {schema}.rollup_session_hits;
ANALYZE {schema}.rollup_touched_sessions;

-- The autovacuum settings of migration 0010 (vacuum and analyse after 1 % of changed or inserted rows instead of 20 %)
-- for the rollup tables added since, which the session route and the segment and page rows read (docs/storage.md,
-- "Behaviour"; docs/performance.md, "PostgreSQL `12mo` at 10 M hits: the visibility map, JIT and the touched
-- visitors"). Their reads are index-only scans (the covering path index of rollup_session_hits, the partial indexes on
-- touched and linked session rows, the segment and page rows' keys); a page written since the table's last vacuum is
-- not marked all-visible, so such a scan fetches the heap row of every entry on it. With the defaults, the 10 M-hit
-- data set's rollup_session_hits went 1.5 M inserted rows (about 55 days of hits) without a vacuum, and a `12mo`
-- statement under `event:page is /pricing` made 103,783 heap fetches (31,900 pages read for its index scan; 8,800
-- after a vacuum). A vacuum scans only the pages changed since the last one (the visibility map), so it stays short.
ALTER TABLE {schema}.rollup_sessions SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE {schema}.rollup_session_hits SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE {schema}.rollup_segment_events SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE {schema}.rollup_segment_visits SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE {schema}.rollup_segment_block_events SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE {schema}.rollup_segment_block_visits SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE {schema}.rollup_page_visits SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE {schema}.rollup_page_block_visits SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);

-- Autovacuum for the rollup tables after a few percent of new or rewritten rows instead of 20 % (docs/storage.md,
-- "Vacuum and the visibility map"; docs/performance.md, "PostgreSQL `12mo` at 10 M hits: the visibility map, JIT and
-- the touched visitors"). The rollup reads are index-only scans (the covering path index of rollup_session_hits, the
-- list indexes, the partial indexes on touched and linked session rows); a page written since the table's last vacuum
-- is not marked all-visible, so such a scan fetches the heap row of every entry on it. With the default scale factors
-- a 10 M-hit site's rollup_session_hits went 1.5 M inserted rows (about 55 days of hits) without a vacuum: a `12mo`
-- page-filtered statement made 103,783 heap fetches (69,000 pages read instead of 45,000). At 1-2 % a vacuum runs
-- every few days of hits; it scans only the pages changed since the last one (the visibility map), so it stays short.
ALTER TABLE {schema}.rollup_session_hits SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE {schema}.rollup_sessions SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE {schema}.rollup_page_visits SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE {schema}.rollup_page_block_visits SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE {schema}.rollup_segment_visits SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE {schema}.rollup_segment_events SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE {schema}.rollup_segment_block_visits SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE {schema}.rollup_segment_block_events SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE {schema}.rollup_visits SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE {schema}.rollup_events SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE {schema}.rollup_block_visits SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE {schema}.rollup_block_events SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE {schema}.rollup_month_visits SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);
ALTER TABLE {schema}.rollup_month_events SET (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_scale_factor = 0.02);

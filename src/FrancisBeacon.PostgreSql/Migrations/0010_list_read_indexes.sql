-- Top-k list reads (docs/performance.md, "Top-k list reads"): one statement sums a range's block, month and day rows
-- per value. Covering indexes let the block and month rows be read from the index alone: a block is rewritten (DELETE
-- and INSERT) whenever one of its days is, and its new rows land wherever the heap has room, so reading a week of pages
-- through the primary key touched one heap page per row (9,300 pages for 9,200 rows at 10 M hits).
CREATE INDEX rollup_block_events_covering ON {schema}.rollup_block_events (site_id, dim, first_day, end_day, value) INCLUDE (visitors, pageviews, events);
CREATE INDEX rollup_block_visits_covering ON {schema}.rollup_block_visits (site_id, dim, first_day, end_day, value, part) INCLUDE (visitors, visits, bounces, duration_ms, pageviews, events);
CREATE INDEX rollup_month_events_covering ON {schema}.rollup_month_events (site_id, dim, month, value) INCLUDE (visitors, pageviews, events);
CREATE INDEX rollup_month_visits_covering ON {schema}.rollup_month_visits (site_id, dim, month, value, part) INCLUDE (visitors, visits, bounces, duration_ms, pageviews, events);

-- An index-only scan reads the heap for every row on a page not marked all-visible, and only VACUUM marks pages. The
-- rollup tables are rewritten a few days at a time, which never reaches autovacuum's default thresholds (20 % of the
-- table) on a large site: the most recent days, the ones every dashboard range reads, stayed unmarked (27,700 heap
-- fetches for the 6 newest days of pages at 10 M hits) and unanalysed (estimated at 1 row, so sorted rather than
-- hashed). Vacuum and analyse these tables after 1 % of their rows changed instead.
ALTER TABLE {schema}.rollup_events SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE {schema}.rollup_visits SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE {schema}.rollup_month_events SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE {schema}.rollup_month_visits SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE {schema}.rollup_block_events SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE {schema}.rollup_block_visits SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);

-- The session route's statements with a page condition read the kept session-hit rows through the path index and need
-- the rest of the row too: with every column in the index they can be read from it alone (an index-only scan, where
-- the visibility map allows), instead of a heap fetch per row (docs/performance.md, "Page-filtered session
-- statements"). The old index is a prefix of the new one.
CREATE INDEX rollup_session_hits_path_counts ON {schema}.rollup_session_hits (site_id, path, day) INCLUDE (vid, start_ms, event_name, hostname, pv, n);

DROP INDEX {schema}.rollup_session_hits_path;

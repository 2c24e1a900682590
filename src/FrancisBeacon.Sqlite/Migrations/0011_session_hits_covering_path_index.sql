-- The session route's statements with a page condition read the kept session-hit rows through the path index and need
-- their counts too: with (pv, n) in the index they are read from it alone, instead of one more lookup into the table
-- per row (docs/performance.md, "Page-filtered session statements"). The old index is a prefix of the new one.
CREATE INDEX {prefix}rollup_session_hits_path_counts ON {prefix}rollup_session_hits (site_id, path, day, vid, start_ms, event_name, hostname, pv, n);

DROP INDEX {prefix}rollup_session_hits_path;

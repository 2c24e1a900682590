-- The touched visitors' session-hit rows (docs/storage.md, "Touched rows"; docs/performance.md, "Touched rows"): each
-- rollup_session_hits row carries its session's touched flag (rollup_sessions.touched, written with it), and a partial
-- covering index holds the touched rows alone, by page. A page-filtered query reads the touched visitors' sessions
-- through the session route; it now finds the page's touched session-hit rows in this index (about 1.5 % of the
-- session-hit rows: 10,000 entries for a busy page over a year at 10 M hits) and looks their sessions up, instead of
-- reading every touched session of the range (50,000) and seeking its session-hit rows.
ALTER TABLE {prefix}rollup_session_hits ADD COLUMN touched INTEGER NOT NULL DEFAULT 0;

-- Existing rows: driven by the touched sessions (their partial index), each seeking its session-hit rows by key.
UPDATE {prefix}rollup_session_hits AS h SET touched = 1
FROM (SELECT site_id, day, vid, start_ms FROM {prefix}rollup_sessions WHERE touched = 1) AS s
WHERE h.site_id = s.site_id AND h.day = s.day AND h.vid = s.vid AND h.start_ms = s.start_ms;

CREATE INDEX {prefix}rollup_session_hits_touched ON {prefix}rollup_session_hits (site_id, path, day, vid, start_ms, event_name, hostname, pv, n) WHERE touched = 1;

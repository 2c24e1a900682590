-- Segment blocks (docs/performance.md, "Segment blocks"): the segment rollups' counts (rollup_segment_events /
-- rollup_segment_visits) summed over blocks of days, so that a segment-filtered list or total over months reads a few
-- rows per value instead of one per day: calendar months and ISO weeks (summed from the day rows) and aligned runs of 2,
-- 4 and 8 months (summed from the month blocks). The rows count untouched visitors only, as the day rows do, so a
-- block is a plain sum: no link corrections. The key starts with the block so that rebuilding one deletes a key range.
-- rollup_segment_blocks lists the blocks of a site (ready = 0: waiting until the block's last day is in the past, or
-- until it is rebuilt; ready = 1: its rows are the sum of its days' rows), rollup_segment_block_sites the sites whose
-- blocks were built; the rollup worker builds them for sites with existing rollups on its next pass.
CREATE TABLE {prefix}rollup_segment_block_sites (
    site_id TEXT NOT NULL PRIMARY KEY
);

CREATE TABLE {prefix}rollup_segment_blocks (
    site_id TEXT NOT NULL,
    first_day INTEGER NOT NULL,
    end_day INTEGER NOT NULL,
    ready INTEGER NOT NULL,
    PRIMARY KEY (site_id, first_day, end_day)
);

CREATE TABLE {prefix}rollup_segment_block_events (
    site_id TEXT NOT NULL,
    first_day INTEGER NOT NULL,
    end_day INTEGER NOT NULL,
    fdim INTEGER NOT NULL,
    fvalue TEXT NOT NULL,
    dim INTEGER NOT NULL,
    value TEXT NOT NULL,
    visitors INTEGER NOT NULL,
    pageviews INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (site_id, first_day, end_day, fdim, fvalue, dim, value)
) WITHOUT ROWID;

CREATE TABLE {prefix}rollup_segment_block_visits (
    site_id TEXT NOT NULL,
    first_day INTEGER NOT NULL,
    end_day INTEGER NOT NULL,
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
    PRIMARY KEY (site_id, first_day, end_day, fdim, fvalue, dim, value)
) WITHOUT ROWID;

-- The touched visitors' sessions (about 1.4 % of a day's) are what a segment query still reads row by row, through the
-- partial index on touched rows: one primary-key lookup per row into the wide session table (50,000 rows for 12 months
-- at 10 M hits, ~90–170 ms of SQLite CPU per statement). Covering those few rows with every column makes it an index
-- scan (~30 ms); likewise the linked rows' columns the joins read. Both indexes keep their names (the queries name them).
DROP INDEX {prefix}rollup_sessions_touched;
CREATE INDEX {prefix}rollup_sessions_touched ON {prefix}rollup_sessions (site_id, day, vid, start_ms, end_ms, pv, n, entry_path, exit_path, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, prev, nx_vid, t_vid, t_start, t_prev, t_pv, t_n, t_entry_path, t_a0, t_a1, t_a2, t_a3, t_a4, t_a5, t_a6, t_a7, t_a8, t_a9, t_a10, t_a11, t_a12, t_a13, t_a14, t_a15, t_a16, t_a17, touched) WHERE touched = 1;

DROP INDEX {prefix}rollup_sessions_linked;
CREATE INDEX {prefix}rollup_sessions_linked ON {prefix}rollup_sessions (site_id, day, t_vid, t_start, pv, n, end_ms, exit_path) WHERE t_vid IS NOT NULL;

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

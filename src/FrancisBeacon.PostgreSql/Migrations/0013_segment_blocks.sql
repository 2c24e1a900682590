-- Segment blocks (docs/performance.md, "Segment blocks"): the segment rollups' counts (rollup_segment_events /
-- rollup_segment_visits) summed over blocks of days, so that a segment-filtered list or total over months reads a few
-- rows per value instead of one per day: calendar months and ISO weeks (summed from the day rows) and aligned runs of 2,
-- 4 and 8 months (summed from the month blocks). The rows count untouched visitors only, as the day rows do, so a
-- block is a plain sum: no link corrections. The key starts with the block so that rebuilding one deletes a key range.
-- rollup_segment_blocks lists the blocks of a site (ready = 0: waiting until the block's last day is in the past, or
-- until it is rebuilt; ready = 1: its rows are the sum of its days' rows), rollup_segment_block_sites the sites whose
-- blocks were built; the rollup worker builds them for sites with existing rollups on its next pass.
CREATE TABLE {schema}.rollup_segment_block_sites (
    site_id text COLLATE "C" NOT NULL PRIMARY KEY
);

CREATE TABLE {schema}.rollup_segment_blocks (
    site_id text COLLATE "C" NOT NULL,
    first_day integer NOT NULL,
    end_day integer NOT NULL,
    ready integer NOT NULL,
    PRIMARY KEY (site_id, first_day, end_day)
);

CREATE TABLE {schema}.rollup_segment_block_events (
    site_id text COLLATE "C" NOT NULL,
    first_day integer NOT NULL,
    end_day integer NOT NULL,
    fdim integer NOT NULL,
    fvalue text COLLATE "C" NOT NULL,
    dim integer NOT NULL,
    value text COLLATE "C" NOT NULL,
    visitors bigint NOT NULL,
    pageviews bigint NOT NULL,
    events bigint NOT NULL,
    PRIMARY KEY (site_id, first_day, end_day, fdim, fvalue, dim, value) INCLUDE (visitors, pageviews, events)
);

CREATE TABLE {schema}.rollup_segment_block_visits (
    site_id text COLLATE "C" NOT NULL,
    first_day integer NOT NULL,
    end_day integer NOT NULL,
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
    PRIMARY KEY (site_id, first_day, end_day, fdim, fvalue, dim, value) INCLUDE (visitors, visits, bounces, duration_ms, pageviews, events)
);

-- The primary keys cover the counts, so a block is read from the index alone (a block is rewritten whenever one of its
-- days is, and its heap rows land wherever there is room), once its pages are marked all-visible: vacuum and analyse
-- after 1 % of the rows changed, as for the other block tables (0010_list_read_indexes.sql).
ALTER TABLE {schema}.rollup_segment_block_events SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);
ALTER TABLE {schema}.rollup_segment_block_visits SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);

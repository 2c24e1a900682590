-- Page blocks and the page-row backfill (docs/storage.md, "Page segments"; docs/performance.md, "Page blocks").
-- rollup_page_block_visits: the page-segment rows (rollup_page_visits) of one page summed per ISO week, calendar month
-- and aligned run of 2, 4 and 8 months, for the blocks whose every day has rows for that page (listed in
-- rollup_page_days); rollup_page_blocks lists them (a listed block's rows are complete). The rows count untouched
-- visitors only, so a block is a plain sum of its days. A rewrite of a day's page rows (whole rebuild, upkeep delta,
-- backfill) deletes the blocks holding that day in the same transaction; the rollup worker rebuilds them.
-- rollup_page_backfill: the days that have rollups but no page-row decision yet (rolled up before 0015): the rollup
-- worker derives their page rows from the stored session rows, a few days per pass, newest first.
CREATE TABLE {schema}.rollup_page_blocks (
    site_id text COLLATE "C" NOT NULL,
    first_day integer NOT NULL,
    end_day integer NOT NULL,
    path text COLLATE "C" NOT NULL,
    PRIMARY KEY (site_id, path, first_day, end_day)
);

CREATE TABLE {schema}.rollup_page_block_visits (
    site_id text COLLATE "C" NOT NULL,
    first_day integer NOT NULL,
    end_day integer NOT NULL,
    path text COLLATE "C" NOT NULL,
    dim integer NOT NULL,
    value text COLLATE "C" NOT NULL,
    visitors bigint NOT NULL,
    visits bigint NOT NULL,
    bounces bigint NOT NULL,
    duration_ms bigint NOT NULL,
    pageviews bigint NOT NULL,
    events bigint NOT NULL,
    session_pv bigint NOT NULL,
    PRIMARY KEY (site_id, first_day, end_day, path, dim, value) INCLUDE (visitors, visits, bounces, duration_ms, pageviews, events, session_pv)
);

CREATE TABLE {schema}.rollup_page_backfill (
    site_id text COLLATE "C" NOT NULL,
    day integer NOT NULL,
    PRIMARY KEY (site_id, day)
);

ALTER TABLE {schema}.rollup_page_block_visits SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_analyze_scale_factor = 0.01);

INSERT INTO {schema}.rollup_page_backfill (site_id, day)
SELECT DISTINCT e.site_id, e.day FROM {schema}.rollup_events e
WHERE e.dim = 0 AND NOT EXISTS (SELECT 1 FROM {schema}.rollup_page_days p WHERE p.site_id = e.site_id AND p.day = e.day);

-- Page blocks and the page-row backfill (docs/storage.md, "Page segments"; docs/performance.md, "Page blocks").
-- rollup_page_block_visits: the page-segment rows (rollup_page_visits) of one page summed per ISO week, calendar month
-- and aligned run of 2, 4 and 8 months, for the blocks whose every day has rows for that page (listed in
-- rollup_page_days); rollup_page_blocks lists them (a listed block's rows are complete). The rows count untouched
-- visitors only, so a block is a plain sum of its days. A rewrite of a day's page rows (whole rebuild, upkeep delta,
-- backfill) deletes the blocks holding that day in the same transaction; the rollup worker rebuilds them.
-- rollup_page_backfill: the days that have rollups but no page-row decision yet (rolled up before 0015): the rollup
-- worker derives their page rows from the stored session rows, a few days per pass, newest first.
CREATE TABLE {prefix}rollup_page_blocks (
    site_id TEXT NOT NULL,
    first_day INTEGER NOT NULL,
    end_day INTEGER NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (site_id, path, first_day, end_day)
) WITHOUT ROWID;

CREATE TABLE {prefix}rollup_page_block_visits (
    site_id TEXT NOT NULL,
    first_day INTEGER NOT NULL,
    end_day INTEGER NOT NULL,
    path TEXT NOT NULL,
    dim INTEGER NOT NULL,
    value TEXT NOT NULL,
    visitors INTEGER NOT NULL,
    visits INTEGER NOT NULL,
    bounces INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    pageviews INTEGER NOT NULL,
    events INTEGER NOT NULL,
    session_pv INTEGER NOT NULL,
    PRIMARY KEY (site_id, first_day, end_day, path, dim, value)
) WITHOUT ROWID;

CREATE TABLE {prefix}rollup_page_backfill (
    site_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    PRIMARY KEY (site_id, day)
) WITHOUT ROWID;

INSERT INTO {prefix}rollup_page_backfill (site_id, day)
SELECT DISTINCT e.site_id, e.day FROM {prefix}rollup_events e
WHERE e.dim = 0 AND NOT EXISTS (SELECT 1 FROM {prefix}rollup_page_days p WHERE p.site_id = e.site_id AND p.day = e.day);

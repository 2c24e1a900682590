-- Block rollups (docs/performance.md, "Block rollups for long lists"): the sums of a block of days per dimension
-- value, one level below and one above the month rollups: ISO weeks (7 days from a Monday, summed from the day rows,
-- with the corrections of the session links inside the week as part = 1 rows) and aligned runs of 2, 4 and 8 calendar
-- months (summed from the month rows, parts 0 and 1 kept, the links at the inner month starts as part = 2 rows).
-- rollup_blocks lists the blocks built (and whether their visit rows are exact), rollup_block_sites the sites whose
-- blocks were built; the rollup worker builds the blocks of sites with existing rollups on its next pass.
CREATE TABLE {prefix}rollup_block_sites (
    site_id TEXT NOT NULL PRIMARY KEY
);

CREATE TABLE {prefix}rollup_blocks (
    site_id TEXT NOT NULL,
    first_day INTEGER NOT NULL,
    end_day INTEGER NOT NULL,
    visits_exact INTEGER NOT NULL,
    PRIMARY KEY (site_id, first_day, end_day)
);

CREATE TABLE {prefix}rollup_block_events (
    site_id TEXT NOT NULL,
    dim INTEGER NOT NULL,
    first_day INTEGER NOT NULL,
    end_day INTEGER NOT NULL,
    value TEXT NOT NULL,
    visitors INTEGER NOT NULL,
    pageviews INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (site_id, dim, first_day, end_day, value)
) WITHOUT ROWID;

CREATE TABLE {prefix}rollup_block_visits (
    site_id TEXT NOT NULL,
    dim INTEGER NOT NULL,
    first_day INTEGER NOT NULL,
    end_day INTEGER NOT NULL,
    value TEXT NOT NULL,
    part INTEGER NOT NULL,
    visitors INTEGER NOT NULL,
    visits INTEGER NOT NULL,
    bounces INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    pageviews INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (site_id, dim, first_day, end_day, value, part)
) WITHOUT ROWID;

-- A single value's daily series (e.g. visitors by day with page is /pricing) reads its own rows, not every value of
-- each day.
CREATE INDEX {prefix}rollup_events_by_value ON {prefix}rollup_events (site_id, dim, value, day, visitors, pageviews, events);

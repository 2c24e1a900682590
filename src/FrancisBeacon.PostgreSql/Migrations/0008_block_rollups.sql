-- Block rollups (docs/performance.md, "Block rollups for long lists"): the sums of a block of days per dimension
-- value, one level below and one above the month rollups: ISO weeks (7 days from a Monday, summed from the day rows,
-- with the corrections of the session links inside the week as part = 1 rows) and aligned runs of 2, 4 and 8 calendar
-- months (summed from the month rows, parts 0 and 1 kept, the links at the inner month starts as part = 2 rows).
-- rollup_blocks lists the blocks built (and whether their visit rows are exact), rollup_block_sites the sites whose
-- blocks were built; the rollup worker builds the blocks of sites with existing rollups on its next pass.
CREATE TABLE {schema}.rollup_block_sites (
    site_id text COLLATE "C" NOT NULL PRIMARY KEY
);

CREATE TABLE {schema}.rollup_blocks (
    site_id text COLLATE "C" NOT NULL,
    first_day integer NOT NULL,
    end_day integer NOT NULL,
    visits_exact integer NOT NULL,
    PRIMARY KEY (site_id, first_day, end_day)
);

CREATE TABLE {schema}.rollup_block_events (
    site_id text COLLATE "C" NOT NULL,
    dim integer NOT NULL,
    first_day integer NOT NULL,
    end_day integer NOT NULL,
    value text COLLATE "C" NOT NULL,
    visitors bigint NOT NULL,
    pageviews bigint NOT NULL,
    events bigint NOT NULL,
    PRIMARY KEY (site_id, dim, first_day, end_day, value)
);

CREATE TABLE {schema}.rollup_block_visits (
    site_id text COLLATE "C" NOT NULL,
    dim integer NOT NULL,
    first_day integer NOT NULL,
    end_day integer NOT NULL,
    value text COLLATE "C" NOT NULL,
    part integer NOT NULL,
    visitors bigint NOT NULL,
    visits bigint NOT NULL,
    bounces bigint NOT NULL,
    duration_ms bigint NOT NULL,
    pageviews bigint NOT NULL,
    events bigint NOT NULL,
    PRIMARY KEY (site_id, dim, first_day, end_day, value, part)
);

-- A single value's daily series (e.g. visitors by day with page is /pricing) reads its own rows, not every value of
-- each day.
CREATE INDEX rollup_events_by_value ON {schema}.rollup_events (site_id, dim, value, day) INCLUDE (visitors, pageviews, events);

-- Per-month rollups (docs/performance.md): the sums of a site-local calendar month's day rows per dimension value,
-- with the corrections of the session links inside the month as part = 1 rows; the months built (and whether their
-- visit rows are exact), and the sites whose months were built. The rollup worker builds the months of sites whose
-- day rollups already exist on its next pass.
CREATE TABLE {schema}.rollup_month_sites (
    site_id text COLLATE "C" NOT NULL PRIMARY KEY
);

CREATE TABLE {schema}.rollup_months (
    site_id text COLLATE "C" NOT NULL,
    month integer NOT NULL,
    end_day integer NOT NULL,
    visits_exact integer NOT NULL,
    PRIMARY KEY (site_id, month)
);

CREATE TABLE {schema}.rollup_month_events (
    site_id text COLLATE "C" NOT NULL,
    dim integer NOT NULL,
    month integer NOT NULL,
    value text COLLATE "C" NOT NULL,
    visitors bigint NOT NULL,
    pageviews bigint NOT NULL,
    events bigint NOT NULL,
    PRIMARY KEY (site_id, dim, month, value)
);

CREATE TABLE {schema}.rollup_month_visits (
    site_id text COLLATE "C" NOT NULL,
    dim integer NOT NULL,
    month integer NOT NULL,
    value text COLLATE "C" NOT NULL,
    part integer NOT NULL,
    visitors bigint NOT NULL,
    visits bigint NOT NULL,
    bounces bigint NOT NULL,
    duration_ms bigint NOT NULL,
    pageviews bigint NOT NULL,
    events bigint NOT NULL,
    PRIMARY KEY (site_id, dim, month, value, part)
);

-- Rollups kept longer than raw hits: per site, the first site-local day whose raw hits are complete; the days before
-- it only have rollups (docs/performance.md, "Rollups kept longer than raw hits").
CREATE TABLE {schema}.rollup_horizon (
    site_id text COLLATE "C" NOT NULL PRIMARY KEY,
    first_day integer NOT NULL
);

-- Covering indexes for the day tables: a range of days of one dimension can be read by an index-only scan.
CREATE INDEX rollup_events_covering ON {schema}.rollup_events (site_id, dim, day, value) INCLUDE (visitors, pageviews, events);
CREATE INDEX rollup_visits_covering ON {schema}.rollup_visits (site_id, dim, day, value) INCLUDE (visitors, visits, bounces, duration_ms, pageviews, events);

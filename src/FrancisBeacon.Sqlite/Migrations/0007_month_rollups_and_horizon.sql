-- Per-month rollups (docs/performance.md): the sums of a site-local calendar month's day rows per dimension value,
-- with the corrections of the session links inside the month as part = 1 rows; the months built (and whether their
-- visit rows are exact), and the sites whose months were built. The rollup worker builds the months of sites whose
-- day rollups already exist on its next pass.
CREATE TABLE {prefix}rollup_month_sites (
    site_id TEXT NOT NULL PRIMARY KEY
);

CREATE TABLE {prefix}rollup_months (
    site_id TEXT NOT NULL,
    month INTEGER NOT NULL,
    end_day INTEGER NOT NULL,
    visits_exact INTEGER NOT NULL,
    PRIMARY KEY (site_id, month)
);

CREATE TABLE {prefix}rollup_month_events (
    site_id TEXT NOT NULL,
    dim INTEGER NOT NULL,
    month INTEGER NOT NULL,
    value TEXT NOT NULL,
    visitors INTEGER NOT NULL,
    pageviews INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (site_id, dim, month, value)
) WITHOUT ROWID;

CREATE TABLE {prefix}rollup_month_visits (
    site_id TEXT NOT NULL,
    dim INTEGER NOT NULL,
    month INTEGER NOT NULL,
    value TEXT NOT NULL,
    part INTEGER NOT NULL,
    visitors INTEGER NOT NULL,
    visits INTEGER NOT NULL,
    bounces INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    pageviews INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (site_id, dim, month, value, part)
) WITHOUT ROWID;

-- Rollups kept longer than raw hits: per site, the first site-local day whose raw hits are complete; the days before
-- it only have rollups (docs/performance.md, "Rollups kept longer than raw hits").
CREATE TABLE {prefix}rollup_horizon (
    site_id TEXT NOT NULL PRIMARY KEY,
    first_day INTEGER NOT NULL
);

-- Covering indexes for the day tables: a range of days of one dimension is read from the index alone.
CREATE INDEX {prefix}rollup_events_covering ON {prefix}rollup_events (site_id, dim, day, value, visitors, pageviews, events);
CREATE INDEX {prefix}rollup_visits_covering ON {prefix}rollup_visits (site_id, dim, day, value, visitors, visits, bounces, duration_ms, pageviews, events);

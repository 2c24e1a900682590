-- Per-day rollups (docs/performance.md): exact additive counts per site-local day and dimension value, the session
-- joins across midnight, the sites they are built for, and the hours with hits not rolled up yet (filled by a trigger).
CREATE TABLE {prefix}rollup_sites (
    site_id TEXT NOT NULL PRIMARY KEY,
    time_zone TEXT NOT NULL,
    ready INTEGER NOT NULL
);

CREATE TABLE {prefix}rollup_dirty (
    site_id TEXT NOT NULL,
    hour INTEGER NOT NULL,
    ver INTEGER NOT NULL,
    PRIMARY KEY (site_id, hour)
);

CREATE TABLE {prefix}rollup_events (
    site_id TEXT NOT NULL,
    dim INTEGER NOT NULL,
    day INTEGER NOT NULL,
    value TEXT NOT NULL,
    visitors INTEGER NOT NULL,
    pageviews INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (site_id, dim, day, value)
);

CREATE TABLE {prefix}rollup_visits (
    site_id TEXT NOT NULL,
    dim INTEGER NOT NULL,
    day INTEGER NOT NULL,
    value TEXT NOT NULL,
    visitors INTEGER NOT NULL,
    visits INTEGER NOT NULL,
    bounces INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    pageviews INTEGER NOT NULL,
    events INTEGER NOT NULL,
    PRIMARY KEY (site_id, dim, day, value)
);

CREATE TABLE {prefix}rollup_links (
    site_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    n INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (site_id, day, n)
);

CREATE TRIGGER {prefix}hits_rollup_dirty AFTER INSERT ON {prefix}hits
BEGIN
    INSERT INTO {prefix}rollup_dirty (site_id, hour, ver) VALUES (NEW.site_id, NEW.ts / 3600000, 1)
    ON CONFLICT (site_id, hour) DO UPDATE SET ver = ver + 1;
END;

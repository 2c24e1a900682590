-- Per-day rollups (docs/performance.md): exact additive counts per site-local day and dimension value, the session
-- joins across midnight, the sites they are built for, and the hours with hits not rolled up yet (filled by a
-- statement-level trigger, so binary COPY and INSERT ... ON CONFLICT DO NOTHING both mark only rows really added).
CREATE TABLE {schema}.rollup_sites (
    site_id text COLLATE "C" NOT NULL PRIMARY KEY,
    time_zone text NOT NULL,
    ready integer NOT NULL
);

CREATE TABLE {schema}.rollup_dirty (
    site_id text COLLATE "C" NOT NULL,
    hour bigint NOT NULL,
    ver bigint NOT NULL,
    PRIMARY KEY (site_id, hour)
);

CREATE TABLE {schema}.rollup_events (
    site_id text COLLATE "C" NOT NULL,
    dim integer NOT NULL,
    day integer NOT NULL,
    value text COLLATE "C" NOT NULL,
    visitors bigint NOT NULL,
    pageviews bigint NOT NULL,
    events bigint NOT NULL,
    PRIMARY KEY (site_id, dim, day, value)
);

CREATE TABLE {schema}.rollup_visits (
    site_id text COLLATE "C" NOT NULL,
    dim integer NOT NULL,
    day integer NOT NULL,
    value text COLLATE "C" NOT NULL,
    visitors bigint NOT NULL,
    visits bigint NOT NULL,
    bounces bigint NOT NULL,
    duration_ms bigint NOT NULL,
    pageviews bigint NOT NULL,
    events bigint NOT NULL,
    PRIMARY KEY (site_id, dim, day, value)
);

CREATE TABLE {schema}.rollup_links (
    site_id text COLLATE "C" NOT NULL,
    day integer NOT NULL,
    n integer NOT NULL,
    data text NOT NULL,
    PRIMARY KEY (site_id, day, n)
);

-- SECURITY DEFINER: the app's role needs no rights on rollup_dirty to append hits (docs/storage.md).
CREATE FUNCTION {schema}.hits_rollup_dirty() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
BEGIN
    -- Sorted, so concurrent batches lock the same rows in the same order.
    INSERT INTO {schema}.rollup_dirty AS d (site_id, hour, ver)
    SELECT site_id, h, 1 FROM (SELECT DISTINCT site_id, floor(extract(epoch FROM ts) / 3600)::bigint AS h FROM new_rows WHERE isfinite(ts)) n ORDER BY site_id, h
    ON CONFLICT (site_id, hour) DO UPDATE SET ver = d.ver + 1;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER hits_rollup_dirty AFTER INSERT ON {schema}.hits
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {schema}.hits_rollup_dirty();

-- Marks one hour dirty (after a purge); SECURITY DEFINER for the same reason.
CREATE FUNCTION {schema}.rollup_mark_dirty(p_site_id text, p_hour bigint) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
    INSERT INTO {schema}.rollup_dirty AS d (site_id, hour, ver) VALUES (p_site_id, p_hour, 1)
    ON CONFLICT (site_id, hour) DO UPDATE SET ver = d.ver + 1;
$fn$;

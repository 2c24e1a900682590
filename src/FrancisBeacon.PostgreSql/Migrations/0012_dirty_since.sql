-- Each dirty hour records when (on the database's clock, Unix milliseconds) its oldest change not rolled up yet was
-- made. A query reads a dirty day from its stored rollup rows while that change is younger than the store's
-- MaxRollupLag, and cuts the day from the raw hits once it is older (docs/performance.md, "Ranges ending today on a
-- live site"). Zero or less means "already overdue": 0 for the hours dirty before this migration, and a purge's mark
-- makes it negative and one lower each time, so a rollup pass can tell whether a purge came while it ran.
ALTER TABLE {schema}.rollup_dirty ADD COLUMN since bigint NOT NULL DEFAULT 0;

-- New hits: a new dirty hour records the time of the batch's transaction; a bump keeps the older time.
CREATE OR REPLACE FUNCTION {schema}.hits_rollup_dirty() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
BEGIN
    -- Sorted, so concurrent batches lock the same rows in the same order.
    INSERT INTO {schema}.rollup_dirty AS d (site_id, hour, ver, since)
    SELECT site_id, h, 1, (extract(epoch FROM now()) * 1000)::bigint FROM (SELECT DISTINCT site_id, floor(extract(epoch FROM ts) / 3600)::bigint AS h FROM new_rows WHERE isfinite(ts)) n ORDER BY site_id, h
    ON CONFLICT (site_id, hour) DO UPDATE SET ver = d.ver + 1;
    RETURN NULL;
END
$fn$;

-- A purge's edges: overdue at once (and lower than any mark before), so no answer counts purged hits from stored rows.
CREATE OR REPLACE FUNCTION {schema}.rollup_mark_dirty(p_site_id text, p_hour bigint) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
    INSERT INTO {schema}.rollup_dirty AS d (site_id, hour, ver, since) VALUES (p_site_id, p_hour, 1, -1)
    ON CONFLICT (site_id, hour) DO UPDATE SET ver = d.ver + 1, since = LEAST(d.since, 0) - 1;
$fn$;

-- After a rollup pass that read an hour at version p_ver with mark p_read_since, at time p_since: done when nothing
-- changed meanwhile; otherwise what is left came after p_since, unless a purge marked it meanwhile (its mark is lower
-- than the one read). SECURITY DEFINER: the app's role needs no UPDATE right.
CREATE FUNCTION {schema}.rollup_settle_dirty(p_site_id text, p_hour bigint, p_ver bigint, p_read_since bigint, p_since bigint) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
    DELETE FROM {schema}.rollup_dirty WHERE site_id = p_site_id AND hour = p_hour AND ver = p_ver;
    UPDATE {schema}.rollup_dirty SET since = p_since
    WHERE site_id = p_site_id AND hour = p_hour AND (since > 0 OR since = p_read_since) AND since < p_since;
$fn$;

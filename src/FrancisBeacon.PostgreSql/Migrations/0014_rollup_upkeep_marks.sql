-- Incremental rollup upkeep on PostgreSQL (docs/storage.md, "Incremental upkeep (PostgreSQL)").
--
-- Which hits are new: every hit records the id of the transaction that inserted it (pg_current_xact_id(), the 64-bit
-- epoch-extended xid, as bigint). A rollup pass takes a top id at or below which no hit can be added any more: one
-- below the oldest transaction that is still writing to the hits table, or below its snapshot's xmax (PostgreSqlSql,
-- UpkeepTop). Per site-local day, rollup_upkeep keeps the top of the pass that last brought the day's rows up to date;
-- the next pass applies the day's hits with mark < xid <= its own top. Transaction ids are never handed out twice.
--
-- Existing hits get 0 (a constant default: no table rewrite), which every top covers; new rows get their
-- transaction's id. The expression is STABLE, so COPY still inserts in multi-row batches.
ALTER TABLE {schema}.hits ADD COLUMN xid bigint NOT NULL DEFAULT 0;
ALTER TABLE {schema}.hits ALTER COLUMN xid SET DEFAULT (pg_catalog.pg_current_xact_id()::text::bigint);

-- Rows arrive in transaction order, so the new hits sit at the end of the table: a BRIN index finds them without the
-- per-row cost a B-tree would add to every batch (pages not summarised yet always match, which is exactly the tail).
CREATE INDEX hits_xid_brin ON {schema}.hits USING brin (xid);

-- The marks; the row of site '' and the lowest day is the purge epoch (a pass that read another one writes no mark).
CREATE TABLE {schema}.rollup_upkeep (
    site_id text COLLATE "C" NOT NULL,
    day bigint NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (site_id, day)
);

-- A dirty hour also records the highest transaction id that marked it. A pass reads it with the dirty list and settles
-- the hour only when it is at most the pass's top: a batch that committed before the pass read the list, but whose
-- transaction id is above the top (an older batch was still being written), is not in the pass, so its hour must stay
-- dirty, with its time, for the next pass.
ALTER TABLE {schema}.rollup_dirty ADD COLUMN xid bigint NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION {schema}.hits_rollup_dirty() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
BEGIN
    -- Sorted, so concurrent batches lock the same rows in the same order.
    INSERT INTO {schema}.rollup_dirty AS d (site_id, hour, ver, since, xid)
    SELECT site_id, h, 1, (extract(epoch FROM now()) * 1000)::bigint, pg_current_xact_id()::text::bigint
    FROM (SELECT DISTINCT site_id, floor(extract(epoch FROM ts) / 3600)::bigint AS h FROM new_rows WHERE isfinite(ts)) n ORDER BY site_id, h
    ON CONFLICT (site_id, hour) DO UPDATE SET ver = d.ver + 1, xid = GREATEST(d.xid, EXCLUDED.xid);
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION {schema}.rollup_mark_dirty(p_site_id text, p_hour bigint) RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
    INSERT INTO {schema}.rollup_dirty AS d (site_id, hour, ver, since, xid) VALUES (p_site_id, p_hour, 1, -1, pg_current_xact_id()::text::bigint)
    ON CONFLICT (site_id, hour) DO UPDATE SET ver = d.ver + 1, since = LEAST(d.since, 0) - 1, xid = GREATEST(d.xid, EXCLUDED.xid);
$fn$;

-- As before (0012), but an hour read with a transaction id above the pass's top (p_read_xid > p_top) is left as it is.
DROP FUNCTION {schema}.rollup_settle_dirty(text, bigint, bigint, bigint, bigint);
CREATE FUNCTION {schema}.rollup_settle_dirty(p_site_id text, p_hour bigint, p_ver bigint, p_read_since bigint, p_since bigint, p_read_xid bigint, p_top bigint)
RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
    DELETE FROM {schema}.rollup_dirty WHERE site_id = p_site_id AND hour = p_hour AND ver = p_ver AND p_read_xid <= p_top;
    UPDATE {schema}.rollup_dirty SET since = p_since
    WHERE site_id = p_site_id AND hour = p_hour AND (since > 0 OR since = p_read_since) AND since < p_since AND p_read_xid <= p_top;
$fn$;

-- Stored text is bounded in bytes of UTF-8 (docs/storage.md, "What a stored value can hold"): the path and the referrer
-- hold at most 1,024 bytes (HitLimits.MaxUrlBytes), the other text columns at most 256 (HitLimits.MaxShortTextBytes),
-- so that every rollup key fits PostgreSQL's B-tree entries (2,704 bytes) even when nothing compresses. The store cuts
-- every hit it writes (PostgreSqlHitCopy, HitText.Truncate); this cuts the hits stored before in the same way: the
-- longest prefix that fits, at a character boundary. A day holding a longer value failed its rollup pass on every pass
-- (54000: index row size ... exceeds btree version 4 maximum 2704); the days of the cut hits are rolled up again whole
-- by the next pass, so that no rollup row holds a value the hits no longer do. Site ids are left as they are (a site id
-- over 256 bytes is refused by the options validation, not cut), and so are the props.

-- The longest prefix of t of at most n bytes: each character takes at most 4 bytes, so dropping a quarter of the
-- excess (rounded up) in characters never drops more than needed.
CREATE FUNCTION pg_temp.beacon_cut(t text, n integer) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    k integer;
    excess integer;
BEGIN
    IF t IS NULL OR octet_length(t) <= n THEN
        RETURN t;
    END IF;
    k := least(length(t), n);
    LOOP
        excess := octet_length(left(t, k)) - n;
        EXIT WHEN excess <= 0;
        k := k - (excess + 3) / 4;
    END LOOP;
    RETURN left(t, k);
END
$fn$;

-- The hours of the cut hits (plain temporary tables, dropped at the end: the script may be run by hand, outside one
-- transaction).
CREATE TEMPORARY TABLE beacon_cut_hours (site_id text NOT NULL, hour bigint NOT NULL);

WITH cut AS (
    UPDATE {schema}.hits SET
        event_name = pg_temp.beacon_cut(event_name, 256),
        hostname = pg_temp.beacon_cut(hostname, 256),
        path = pg_temp.beacon_cut(path, 1024),
        referrer = pg_temp.beacon_cut(referrer, 1024),
        referrer_source = pg_temp.beacon_cut(referrer_source, 256),
        channel = pg_temp.beacon_cut(channel, 256),
        utm_source = pg_temp.beacon_cut(utm_source, 256),
        utm_medium = pg_temp.beacon_cut(utm_medium, 256),
        utm_campaign = pg_temp.beacon_cut(utm_campaign, 256),
        utm_term = pg_temp.beacon_cut(utm_term, 256),
        utm_content = pg_temp.beacon_cut(utm_content, 256),
        browser = pg_temp.beacon_cut(browser, 256),
        browser_version = pg_temp.beacon_cut(browser_version, 256),
        os = pg_temp.beacon_cut(os, 256),
        os_version = pg_temp.beacon_cut(os_version, 256),
        device_type = pg_temp.beacon_cut(device_type, 256),
        country = pg_temp.beacon_cut(country, 256),
        region = pg_temp.beacon_cut(region, 256),
        city = pg_temp.beacon_cut(city, 256),
        language = pg_temp.beacon_cut(language, 256),
        revenue_currency = pg_temp.beacon_cut(revenue_currency, 256)
    WHERE octet_length(path) > 1024 OR octet_length(referrer) > 1024 OR octet_length(event_name) > 256
        OR octet_length(hostname) > 256 OR octet_length(referrer_source) > 256 OR octet_length(channel) > 256
        OR octet_length(utm_source) > 256 OR octet_length(utm_medium) > 256 OR octet_length(utm_campaign) > 256
        OR octet_length(utm_term) > 256 OR octet_length(utm_content) > 256 OR octet_length(browser) > 256
        OR octet_length(browser_version) > 256 OR octet_length(os) > 256 OR octet_length(os_version) > 256
        OR octet_length(device_type) > 256 OR octet_length(country) > 256 OR octet_length(region) > 256
        OR octet_length(city) > 256 OR octet_length(language) > 256 OR octet_length(revenue_currency) > 256
    RETURNING site_id, ts
)
INSERT INTO beacon_cut_hours (site_id, hour)
SELECT DISTINCT site_id, floor(extract(epoch FROM ts) / 3600)::bigint FROM cut WHERE isfinite(ts);

-- Their hours are marked as a purge marks its edges (overdue at once: queries read those days from the raw hits until
-- the next pass), and, as a purge does, no day keeps its upkeep mark and the purge epoch moves on, so the next pass
-- rebuilds those days whole rather than apply new hits to rows that hold the old values (docs/storage.md,
-- "Incremental upkeep (PostgreSQL)").
SELECT {schema}.rollup_mark_dirty(site_id, hour) FROM beacon_cut_hours ORDER BY site_id, hour;

CREATE TEMPORARY TABLE beacon_cut_epoch AS
SELECT coalesce((SELECT seq FROM {schema}.rollup_upkeep WHERE site_id = '' AND day = -9223372036854775808), 0) + 1 AS seq
WHERE EXISTS (SELECT 1 FROM beacon_cut_hours);

DELETE FROM {schema}.rollup_upkeep WHERE EXISTS (SELECT 1 FROM beacon_cut_hours);

INSERT INTO {schema}.rollup_upkeep (site_id, day, seq) SELECT '', -9223372036854775808, seq FROM beacon_cut_epoch;

DROP TABLE beacon_cut_epoch;
DROP TABLE beacon_cut_hours;

DROP FUNCTION pg_temp.beacon_cut(text, integer);

-- {schema} is the validated, double-quoted schema name (PostgreSqlHitStoreOptions.Schema).
-- Text columns use the "C" collation: the query contract orders text by UTF-8 bytes, and byte comparison is also
-- the cheapest for the (site_id, ts) index.
CREATE TABLE {schema}.hits (
    id uuid NOT NULL,
    site_id text COLLATE "C" NOT NULL,
    ts timestamptz NOT NULL,
    event_name text COLLATE "C" NOT NULL,
    hostname text COLLATE "C" NOT NULL,
    path text COLLATE "C" NOT NULL,
    referrer text COLLATE "C",
    referrer_source text COLLATE "C",
    utm_source text COLLATE "C",
    utm_medium text COLLATE "C",
    utm_campaign text COLLATE "C",
    utm_term text COLLATE "C",
    utm_content text COLLATE "C",
    visitor_id bigint NOT NULL,
    browser text COLLATE "C",
    browser_version text COLLATE "C",
    os text COLLATE "C",
    os_version text COLLATE "C",
    device_type text COLLATE "C",
    country text COLLATE "C",
    region text COLLATE "C",
    city text COLLATE "C",
    screen_width integer,
    language text COLLATE "C",
    props jsonb,
    CONSTRAINT hits_pkey PRIMARY KEY (id)
);

CREATE INDEX hits_site_ts ON {schema}.hits (site_id, ts);

-- Reads and purges across all sites (export, retention) go by time alone; rows arrive roughly in time order, so a
-- BRIN index is tiny and nearly free to maintain.
CREATE INDEX hits_ts_brin ON {schema}.hits USING brin (ts);

CREATE TABLE {prefix}hits (
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL,
    site_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    event_name TEXT NOT NULL,
    hostname TEXT NOT NULL,
    path TEXT NOT NULL,
    referrer TEXT,
    referrer_source TEXT,
    utm_source TEXT,
    utm_medium TEXT,
    utm_campaign TEXT,
    utm_term TEXT,
    utm_content TEXT,
    visitor_id INTEGER NOT NULL,
    browser TEXT,
    browser_version TEXT,
    os TEXT,
    os_version TEXT,
    device_type TEXT,
    country TEXT,
    region TEXT,
    city TEXT,
    screen_width INTEGER,
    language TEXT,
    props TEXT
);

CREATE UNIQUE INDEX {prefix}hits_id ON {prefix}hits (id);

CREATE INDEX {prefix}hits_site_ts ON {prefix}hits (site_id, ts);

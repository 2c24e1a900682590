-- Whole-day rollup rewrites in bounded transactions (docs/storage.md, "Writing while the rollups are kept"): a day whose
-- rows a pass is replacing chunk by chunk, committing in between so the hit writer is never kept out for long. While a
-- day is listed here every query cuts it from the raw hits (as it does an overdue day; hour is one of its UTC hours),
-- so its half-written rows are never read. token: the pass doing it (another pass that takes the day over replaces it).
CREATE TABLE {prefix}rollup_rebuilding (
    site_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    hour INTEGER NOT NULL,
    token INTEGER NOT NULL,
    PRIMARY KEY (site_id, day)
) WITHOUT ROWID;

-- Incremental rollup upkeep (docs/storage.md, "Incremental upkeep"): per site-local day, the highest hits.seq (the
-- rowid) whose hit the day's stored rollup rows contain. A pass applies only the hits after it to the day's rows. A purge
-- deletes every mark (a deleted top rowid can be handed out again), so the next pass rebuilds the days it touches whole.
CREATE TABLE {prefix}rollup_upkeep (
    site_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (site_id, day)
) WITHOUT ROWID;

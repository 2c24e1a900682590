-- Each dirty hour records when (on the database's clock, Unix milliseconds) its oldest change not rolled up yet was
-- made. A query reads a dirty day from its stored rollup rows while that change is younger than the store's
-- MaxRollupLag, and cuts the day from the raw hits once it is older (docs/performance.md, "Ranges ending today on a
-- live site"). Zero or less means "already overdue": 0 for the hours dirty before this migration, and a purge's mark
-- makes it negative and one lower each time, so a rollup pass can tell whether a purge came while it ran.
ALTER TABLE {prefix}rollup_dirty ADD COLUMN since INTEGER NOT NULL DEFAULT 0;

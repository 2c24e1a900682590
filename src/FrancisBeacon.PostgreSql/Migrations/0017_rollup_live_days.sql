-- Live days (docs/storage.md, "Live days"): the days whose segment and page-segment rows are not kept yet. A whole
-- rebuild of a site's latest day with hits lists it here and writes no segment rows (rollup_segment_events,
-- rollup_segment_visits) and no page-segment rows (rollup_page_days, rollup_page_visits) for it, and the incremental
-- upkeep applies no deltas to them: a segment- or page-filtered query takes such a day from its session rows. Once a
-- later day has hits, the rollup worker derives the day's segment and page-segment rows from its stored session rows
-- and removes it from the list in the same transaction. Deleted with the day's other session rollups.
CREATE TABLE {schema}.rollup_live_days (
    site_id text COLLATE "C" NOT NULL,
    day integer NOT NULL,
    PRIMARY KEY (site_id, day)
);

-- The rollups' dirty hours are marked by AppendAsync, once per (site, UTC hour) of the rows a batch really inserted,
-- in the batch's own transaction, instead of by a per-row trigger (an upsert per inserted row cost about as much as
-- the row itself). Every write to the hits table goes through AppendAsync; a tool that inserts rows by other means
-- must bump rollup_dirty itself (docs/storage.md).
DROP TRIGGER IF EXISTS {prefix}hits_rollup_dirty;

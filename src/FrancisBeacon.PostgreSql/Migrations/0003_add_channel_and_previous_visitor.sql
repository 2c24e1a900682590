-- The acquisition channel, and the visitor id of the previous local day for hits just after midnight (session linking).
ALTER TABLE {schema}.hits ADD COLUMN channel text COLLATE "C", ADD COLUMN prev_visitor_id bigint;

ALTER TABLE {prefix}hits ADD COLUMN channel TEXT;

ALTER TABLE {prefix}hits ADD COLUMN prev_visitor_id INTEGER;

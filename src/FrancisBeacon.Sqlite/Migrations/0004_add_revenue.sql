-- Revenue as integer millionths (exact; SQLite has no decimal type) and its ISO 4217 currency.
ALTER TABLE {prefix}hits ADD COLUMN revenue_micros INTEGER;

ALTER TABLE {prefix}hits ADD COLUMN revenue_currency TEXT;

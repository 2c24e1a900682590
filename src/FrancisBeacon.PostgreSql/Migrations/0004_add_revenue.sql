-- Revenue of conversions and its ISO 4217 currency.
ALTER TABLE {schema}.hits ADD COLUMN revenue numeric(18, 6), ADD COLUMN revenue_currency text COLLATE "C";

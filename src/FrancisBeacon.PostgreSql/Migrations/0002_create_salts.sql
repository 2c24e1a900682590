-- The daily visitor-id salts (IVisitorSaltStore), shared by every app instance on this database.
CREATE TABLE {schema}.salts (
    day date NOT NULL,
    salt bytea NOT NULL,
    CONSTRAINT salts_pkey PRIMARY KEY (day)
);

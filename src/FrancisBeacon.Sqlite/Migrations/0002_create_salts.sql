CREATE TABLE {prefix}salts (
    day TEXT NOT NULL PRIMARY KEY,
    salt BLOB NOT NULL
);

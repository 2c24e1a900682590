-- Hit ids in RFC 9562 byte order (docs/storage.md, "Hit ids"). Ids were stored as Guid.TryWriteBytes wrote them
-- (little-endian: the first three fields byte-reversed), which puts the low bytes of a version 7 id's timestamp first,
-- so a second's new ids went into the unique id index at up to 256 places instead of at its end. The writer now
-- stores the big-endian bytes; this turns every stored id round the same way (the same ids, read back unchanged).
-- The index is dropped first: the update must not meet a transient duplicate, and building it once is cheaper.
DROP INDEX IF EXISTS {prefix}hits_id;
UPDATE {prefix}hits SET id = unhex(substr(hex(id), 7, 2) || substr(hex(id), 5, 2) || substr(hex(id), 3, 2) || substr(hex(id), 1, 2)
    || substr(hex(id), 11, 2) || substr(hex(id), 9, 2) || substr(hex(id), 15, 2) || substr(hex(id), 13, 2) || substr(hex(id), 17))
WHERE length(id) = 16;
CREATE UNIQUE INDEX {prefix}hits_id ON {prefix}hits (id);

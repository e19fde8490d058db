-- Key rotation (issue 19): a key signs from `signs_from` until `signs_until`
-- and is retired (private bytes erased) once every token it signed has
-- expired. Several keys of one alg now coexist, so UNIQUE(alg) gives way to
-- "one current key per alg": the key without `signs_until`. SQLite cannot
-- drop a column constraint, hence the rebuild.
CREATE TABLE signing_keys_new (
    kid           TEXT PRIMARY KEY,
    alg           TEXT NOT NULL,
    private_pkcs8 BLOB NOT NULL,
    created_at    INTEGER NOT NULL,
    signs_from    INTEGER NOT NULL,
    signs_until   INTEGER,
    retired_at    INTEGER
);
INSERT INTO signing_keys_new (kid, alg, private_pkcs8, created_at, signs_from)
    SELECT kid, alg, private_pkcs8, created_at, created_at FROM signing_keys;
DROP TABLE signing_keys;
ALTER TABLE signing_keys_new RENAME TO signing_keys;
-- Holds under races: two instances starting together, or two rotations,
-- cannot both leave a current key.
CREATE UNIQUE INDEX signing_keys_current ON signing_keys (alg) WHERE signs_until IS NULL;

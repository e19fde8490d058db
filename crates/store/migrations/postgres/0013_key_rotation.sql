-- Key rotation (issue 19): a key signs from `signs_from` until `signs_until`
-- and is retired (private bytes erased) once every token it signed has
-- expired. Several keys of one alg now coexist, so UNIQUE(alg) gives way to
-- "one current key per alg": the key without `signs_until`.
ALTER TABLE signing_keys ADD COLUMN signs_from BIGINT;
UPDATE signing_keys SET signs_from = created_at;
ALTER TABLE signing_keys ALTER COLUMN signs_from SET NOT NULL;
ALTER TABLE signing_keys ADD COLUMN signs_until BIGINT;
ALTER TABLE signing_keys ADD COLUMN retired_at BIGINT;
-- The name PostgreSQL gave the inline `alg ... UNIQUE` of 0001.
ALTER TABLE signing_keys DROP CONSTRAINT signing_keys_alg_key;
-- Holds under races: two instances starting together, or two rotations,
-- cannot both leave a current key.
CREATE UNIQUE INDEX signing_keys_current ON signing_keys (alg) WHERE signs_until IS NULL;

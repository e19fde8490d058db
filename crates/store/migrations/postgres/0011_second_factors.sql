-- Issue 18: second factors (authenticator apps and passkeys), recovery
-- codes, and ceremonies that span requests (WebAuthn challenges, the step
-- between password and second factor). Sessions and device approvals
-- remember how the user authenticated (RFC 8176 amr, space-separated).
CREATE TABLE factors (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    secret        TEXT NOT NULL,
    credential_id TEXT UNIQUE,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT,
    last_step     BIGINT
);
CREATE INDEX factors_user ON factors (user_id);

CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE ceremonies (
    id_hash    TEXT PRIMARY KEY,
    kind       TEXT NOT NULL,
    user_id    TEXT REFERENCES users(id) ON DELETE CASCADE,
    state      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX ceremonies_expiry ON ceremonies (expires_at);

ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';
ALTER TABLE device_authorizations ADD COLUMN amr TEXT NOT NULL DEFAULT '';

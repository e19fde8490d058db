-- Issue 4: profile claims, remembered consent, revoked access tokens.

ALTER TABLE users ADD COLUMN given_name TEXT;
ALTER TABLE users ADD COLUMN family_name TEXT;
ALTER TABLE users ADD COLUMN updated_at INTEGER;
UPDATE users SET updated_at = created_at;

-- One row per (user, client, scope) the user allowed.
CREATE TABLE consents (
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_id  TEXT NOT NULL,
    scope      TEXT NOT NULL,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id, scope)
);

-- Access tokens are JWTs; a revoked one is remembered by jti until it expires.
CREATE TABLE revoked_access_tokens (
    jti        TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);

-- Portico's first schema (SQLite). Times are Unix seconds. Records whose
-- shape grows with the protocol (clients, requests, codes, tokens) keep
-- their body as JSON beside the columns that are queried or updated.

CREATE TABLE clients (
    id   TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE entrypoints (
    id   TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    email_verified INTEGER NOT NULL,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_time  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE auth_requests (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE grants (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX grants_user_client ON grants (user_id, client_id);

CREATE TABLE auth_codes (
    code_hash  TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);

CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    alg           TEXT NOT NULL UNIQUE,
    private_pkcs8 BLOB NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE installation_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

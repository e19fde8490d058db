-- Portico's first schema (PostgreSQL). The same tables as the SQLite
-- migration; times are Unix seconds (BIGINT).

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
    email_verified BOOLEAN NOT NULL,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    auth_time  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE auth_requests (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE grants (
    id         TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX grants_user_client ON grants (user_id, client_id);

CREATE TABLE auth_codes (
    code_hash  TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id);

CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    alg           TEXT NOT NULL UNIQUE,
    private_pkcs8 BYTEA NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE installation_secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

-- Issue 5: the device authorization grant (RFC 8628) and attempt counters.

-- One row per device authorization, by the hashes of its two codes.
CREATE TABLE device_authorizations (
    device_code_hash TEXT PRIMARY KEY,
    user_code_hash   TEXT NOT NULL UNIQUE,
    client_id        TEXT NOT NULL,
    scopes           TEXT NOT NULL,
    entrypoint       TEXT NOT NULL,
    status           TEXT NOT NULL,
    user_id          TEXT,
    grant_id         TEXT,
    auth_time        INTEGER,
    acr              TEXT,
    interval_secs    INTEGER NOT NULL,
    last_polled_at   INTEGER,
    slow_poll        BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    used_at          INTEGER
);

-- Fixed-window attempt counters (user codes now; sign-ins next).
CREATE TABLE throttle (
    key          TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL
);

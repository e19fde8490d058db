-- Issue 6: pushed authorization requests (RFC 9126), and finding a user's
-- grants for one client (x_method=reauthorize revokes them all) or one
-- session (sign-out).

CREATE TABLE pushed_requests (
    uri_hash   TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE INDEX grants_by_user_and_client ON grants (user_id, client_id);

-- The SSO session a grant was given from: signing out revokes them.
ALTER TABLE grants ADD COLUMN session_id_hash TEXT;
CREATE INDEX grants_by_session ON grants (session_id_hash);

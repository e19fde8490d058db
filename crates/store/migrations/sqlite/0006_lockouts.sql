-- Issue 7: failed sign-in counters with an exponential lock, per account
-- and per client address, shared by every instance.
CREATE TABLE lockouts (
    key          TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    locked_until INTEGER NOT NULL,
    last_failure INTEGER NOT NULL
);

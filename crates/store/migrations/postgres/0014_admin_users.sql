-- Issue 19: administrators disable accounts (a disabled user cannot sign
-- in or get tokens), list a user's sessions, and erase a user, which drops
-- the unsent mail to their address.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX grants_user ON grants (user_id, created_at);
CREATE INDEX outbox_recipient ON outbox (recipient) WHERE sent_at IS NULL;

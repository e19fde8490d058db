-- Issue 15: the sweeper deletes what has expired in batches; these indexes
-- let each batch find its rows without reading the whole table.
CREATE INDEX auth_requests_expires ON auth_requests (expires_at);
CREATE INDEX pushed_requests_expires ON pushed_requests (expires_at);
CREATE INDEX device_authorizations_expires ON device_authorizations (expires_at);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX revoked_access_tokens_expires ON revoked_access_tokens (expires_at);
CREATE INDEX lockouts_last_failure ON lockouts (last_failure);
CREATE INDEX grants_created ON grants (created_at);
CREATE INDEX auth_codes_grant ON auth_codes (grant_id);
CREATE INDEX device_authorizations_grant ON device_authorizations (grant_id);

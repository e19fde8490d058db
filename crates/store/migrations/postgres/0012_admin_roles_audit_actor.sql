-- Issue 19: roles (an `admin` may use the cockpit) and who made a change
-- in the audit log ("user:<id>", "client:<id>", "cli", "config"); the
-- cockpit filters the log by event and pages through it by id.
CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role ON user_roles (role);
ALTER TABLE audit_log ADD COLUMN actor TEXT;
CREATE INDEX audit_log_event ON audit_log (event, id);

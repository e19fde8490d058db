-- Issue 15: accounts created by sign-up are told apart from provisioned
-- ones, so [[users]] never takes over a stranger's live account.
ALTER TABLE users ADD COLUMN self_registered BOOLEAN NOT NULL DEFAULT FALSE;

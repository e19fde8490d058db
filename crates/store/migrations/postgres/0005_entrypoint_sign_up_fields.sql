-- Issue 6: what an entrypoint's sign-up form may ask for.
ALTER TABLE users ADD COLUMN phone_number TEXT;
ALTER TABLE users ADD COLUMN birthdate TEXT;
ALTER TABLE users ADD COLUMN terms_accepted_at BIGINT;

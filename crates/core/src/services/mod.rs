//! Layer 4: what several endpoints share.
pub mod accounts;
pub mod audit;
pub mod claims;
pub mod client_auth;
pub mod clients;
pub mod email_change;
pub mod entrypoint;
pub mod grants;
pub mod lockout;
pub mod mail;
pub mod provision;
pub mod recovery;
pub mod sweep;
pub mod tokens;
pub mod totp;
pub mod user_codes;
pub mod verification;

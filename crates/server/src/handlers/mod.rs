//! The handlers: parse with `http/`'s extractors, call `portico_core`,
//! render the answer. They import `http/` and core, never each other.

pub mod admin;
pub mod email;
pub mod mfa;
pub mod oauth;
pub mod ops;
pub mod spa;
pub mod ui;

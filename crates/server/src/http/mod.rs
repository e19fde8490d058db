//! The HTTP plumbing every handler shares: extractors, the one error type,
//! the session cookie, the SPA shell, security headers and the listener.
//! Nothing here imports a handler.

pub mod admin;
pub mod client_addr;
pub mod error;
pub mod extract;
pub mod lifecycle;
pub mod listener;
pub mod pages;
pub mod security;
pub mod session;
pub mod shell;
pub mod sign_in;
pub mod telemetry;

//! Layer 3: storage traits (and the in-memory store the unit tests use),
//! the injectable clock and random source, signing keys, password hashing,
//! caches, and the [`provider::Provider`] every service and endpoint is
//! handed.
pub mod cache;
pub mod clock;
pub mod jose;
pub mod mailer;
pub mod memory;
pub mod metrics;
pub mod passkey;
pub mod password;
pub mod provider;
pub mod random;
pub mod store;

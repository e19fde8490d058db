//! Portico's OAuth 2.0 / OpenID Connect domain. No HTTP framework and no
//! SQL: storage goes through the traits in [`infra::store`], time through
//! [`infra::clock`], randomness through [`infra::random`].
//!
//! # The layer rule
//!
//! Five layers, one folder each. A module imports only from its own layer
//! or the layers above it in this list (`scripts/check-cycles.py` fails the
//! test command on an import that goes the other way, on an endpoint that
//! imports another endpoint, and on any cycle):
//!
//! 1. [`protocol`]: the vocabulary of the specs and pure functions: errors,
//!    parameters, scopes, PKCE, redirect URIs, the typed enums (grant type,
//!    response type, response mode, prompt, signing algorithm), themes,
//!    secret hashing. No I/O.
//! 2. [`model`]: the records Portico keeps (clients, users, sessions,
//!    requests, grants, codes, tokens, devices, audit entries).
//! 3. [`infra`]: the storage traits and their in-memory implementation,
//!    the injectable clock and random source, signing keys, password
//!    hashing, caches, and the [`Provider`] that bundles them.
//! 4. [`services`]: what several endpoints share: accounts, lockouts, the
//!    audit log, claims, token issuing, the grant lifecycle, client
//!    authentication, entrypoints, provisioning, the sweeper.
//! 5. [`endpoints`]: one module per endpoint. Endpoints never import each
//!    other: what two of them need lives in a service.
pub mod endpoints;
pub mod infra;
pub mod model;
pub mod protocol;
pub mod services;
#[cfg(test)]
pub(crate) mod testkit;

pub use infra::provider::{Provider, ProviderConfig};
pub use protocol::error::{ErrorCode, OAuthError};

//! Portico's OAuth 2.0 / OpenID Connect domain: request validation, the
//! authorize decision, one module per grant, PKCE, client authentication,
//! token issuing. No HTTP framework and no SQL: storage goes through the
//! traits in [`store`], time through [`clock`], randomness through [`random`].
pub mod accounts;
pub mod audit;
pub mod authorize;
pub mod cache;
pub mod client_auth;
pub mod clients;
pub mod clock;
pub mod device;
pub mod discovery;
pub mod entrypoint;
pub mod error;
pub mod grants;
pub mod introspection;
pub mod jose;
pub mod lockout;
pub mod logout;
pub mod memory;
pub mod model;
pub mod par;
pub mod params;
pub mod password;
pub mod pkce;
pub mod provider;
pub mod provision;
pub mod random;
pub mod redirect;
pub mod scope;
pub mod secret;
pub mod store;
pub mod sweep;
#[cfg(test)]
pub(crate) mod testkit;
pub mod theme;
pub mod tokens;
pub mod userinfo;

pub use error::{ErrorCode, OAuthError};
pub use provider::{Provider, ProviderConfig};

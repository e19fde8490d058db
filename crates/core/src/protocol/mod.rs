//! Layer 1: the vocabulary of the specs and pure functions. Imports nothing
//! else of Portico.
pub mod error;
pub mod params;
pub mod pkce;
pub mod redirect;
pub mod scope;
pub mod secret;
pub mod theme;
pub mod types;

//! Layer 5: one module per endpoint. They never import each other.
pub mod authorize;
pub mod device;
pub mod discovery;
pub mod end_session;
pub mod introspect;
pub mod revoke;
pub mod token;
pub mod userinfo;

//! The cockpit's domain (issue 19): who may administer ([`auth`]) and what
//! they may do. The admin API and the CLI share these functions, so the
//! rules and the audit trail are one; every change records its actor.

pub mod auth;
pub mod clients;
pub mod entrypoints;
pub mod users;

use crate::protocol::error::OAuthError;

/// Why an admin action did not happen. The server maps each to a status
/// and a stable code.
#[derive(Debug)]
pub enum AdminError {
    NotFound,
    /// The input breaks a rule: the field at fault and a sentence.
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Several fields break rules (an entrypoint): each with its message.
    Problems(Vec<portico_api_types::FieldError>),
    /// The current state forbids it (409): a stable code and a sentence.
    Conflict(&'static str, String),
    Other(OAuthError),
}

impl From<OAuthError> for AdminError {
    fn from(e: OAuthError) -> Self {
        Self::Other(e)
    }
}

impl From<crate::infra::store::StoreError> for AdminError {
    fn from(e: crate::infra::store::StoreError) -> Self {
        Self::Other(e.into())
    }
}

pub type AdminResult<T> = std::result::Result<T, AdminError>;

/// Stable codes of [`AdminError::Conflict`].
pub mod conflict {
    /// A client with this id exists, or an admin client would disable or
    /// delete itself.
    pub const EXISTS: &str = "conflict";
    /// portico.toml sets this and would put it back at the next start.
    pub const CONFIG_MANAGED: &str = "config_managed";
    /// The change would leave no enabled administrator.
    pub const LAST_ADMIN: &str = portico_api_types::codes::LAST_ADMIN;
}

/// One page of a listing, and the cursor of the next (none on the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// Most items one page holds.
pub const LIMIT_MAX: u32 = 200;

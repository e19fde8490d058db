//! Whether an account may sign in at all: the one rule every path that
//! turns a user into a session or tokens applies. Re-exported as
//! `accounts::usable`; it lives below `accounts` so that services
//! `accounts` depends on (email verification) can apply it too.

use crate::infra::provider::Provider;
use crate::model::User;
use crate::protocol::error::Result;

/// The account may not sign in or get tokens (an administrator disabled
/// it). Callers answer it exactly as wrong credentials, so nobody can tell
/// a disabled account from a wrong password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unusable;

/// Whether the account may become a session or tokens. Every path that
/// makes one calls this (SECURITY.md lists them and their tests): the
/// password login (and so the password grant), passkey sign-in, the
/// refresh, code and device grants, the authorization response, password
/// reset, email verification and the admin API's session check.
pub fn usable(user: &User) -> std::result::Result<(), Unusable> {
    match user.disabled_at {
        Some(_) => Err(Unusable),
        None => Ok(()),
    }
}

/// Whether the user with this id exists and is [`usable`]: the grants'
/// check before tokens are issued from an earlier sign-in.
pub async fn usable_id(p: &Provider, user_id: &str) -> Result<bool> {
    Ok(p.store
        .user_by_id(user_id)
        .await?
        .is_some_and(|u| usable(&u).is_ok()))
}

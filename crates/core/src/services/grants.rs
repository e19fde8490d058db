//! The grant lifecycle shared by the token endpoint, introspection,
//! revocation and userinfo: whether a grant is live, single-use values
//! whose replay revokes their grant, and the audit of a revocation.

use crate::infra::provider::Provider;
use crate::infra::store::Take;
use crate::model::Grant;
use crate::protocol::error::{OAuthError, Result};
use crate::services::audit::{self, Event};

/// The grant, if it exists and is not revoked.
pub async fn live_grant(p: &Provider, id: &str) -> Result<Option<Grant>> {
    Ok(p.store.grant(id).await?.filter(|g| g.revoked_at.is_none()))
}

/// The value won by a single-use take, or `invalid` for every other outcome.
/// A replay (the value was already used) revokes the grant it belongs to:
/// everything issued from it dies (RFC 6749 §4.1.2, RFC 9700 §4.14.2).
pub async fn won<T>(
    p: &Provider,
    client_id: &str,
    take: Take<T>,
    grant_of: impl Fn(&T) -> &str,
    invalid: impl Fn() -> OAuthError,
) -> Result<T> {
    match take {
        Take::Taken(v) => Ok(v),
        Take::AlreadyUsed(v, _) => {
            let grant_id = grant_of(&v);
            tracing::warn!(%client_id, %grant_id, "single-use value replayed; grant revoked");
            p.store.revoke_grant(grant_id, p.now()).await?;
            revoked(
                p,
                client_id,
                grant_id,
                "a single-use code or token was replayed",
            )
            .await?;
            Err(invalid())
        }
        Take::Revoked | Take::NotFound => Err(invalid()),
    }
}

/// Audit a grant's revocation (with its user, when the grant is known).
pub async fn revoked(p: &Provider, client_id: &str, grant_id: &str, why: &str) -> Result<()> {
    let mut e = Event::TokensRevoked
        .entry()
        .client(client_id)
        .detail(format!("grant {grant_id}: {why}"));
    if let Some(g) = p.store.grant(grant_id).await? {
        e = e.user(&g.user_id);
    }
    audit::record(p, e).await
}

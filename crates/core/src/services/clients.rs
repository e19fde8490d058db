//! Turning clients off and on, and deleting them (`portico client
//! disable|enable|delete`, and config clients the file no longer lists).
//! Every change revokes the client's live grants, so every refresh token
//! and user access token it holds dies, and is written to the audit log.
//!
//! A disabled client is unknown everywhere ([`Provider::client`]): it fails
//! client authentication, gets the error page at authorize, and its access
//! tokens (client_credentials ones included) stop validating. Another
//! process that cached the client sees the change within
//! [`crate::ProviderConfig::client_cache_ttl`]; a grant such a process
//! makes in that window is unusable while the client is disabled and is
//! revoked when it is enabled again.

use crate::infra::provider::Provider;
use crate::model::DisabledBy;
use crate::protocol::error::Result;
use crate::services::audit::{self, Actor, Event};

/// What a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Changed, and this many live grants were revoked.
    Done {
        grants_revoked: u64,
    },
    /// The client was already so: nothing changed and nothing was recorded.
    Unchanged,
    NotFound,
}

/// Disable the client, then revoke its grants (in that order, so this
/// process makes no new grant in between). `why` goes to the audit log.
/// An admin's disable replaces the config's (so listing the client again
/// does not enable it); the config never replaces an admin's.
pub async fn disable(
    p: &Provider,
    id: &str,
    by: DisabledBy,
    actor: &Actor,
    why: &str,
) -> Result<Outcome> {
    let Some(mut c) = p.store.client(id).await? else {
        return Ok(Outcome::NotFound);
    };
    match (c.disabled, by) {
        (Some(DisabledBy::Admin), _) | (Some(DisabledBy::Config), DisabledBy::Config) => {
            return Ok(Outcome::Unchanged);
        }
        _ => {}
    }
    c.disabled = Some(by);
    // iat has whole seconds: every token issued up to this second dies.
    c.tokens_not_before = p.now() + 1;
    p.upsert_client(&c).await?;
    let n = p.store.revoke_grants_of_client(id, p.now()).await?;
    tracing::info!(client_id = %id, grants_revoked = n, "client disabled: {why}");
    let e = Event::ClientDisabled
        .entry()
        .client(id)
        .actor(actor)
        .detail(format!("{why}; {n} grant(s) revoked"));
    audit::record(p, e).await?;
    Ok(Outcome::Done { grants_revoked: n })
}

/// Enable a disabled client. Its old grants stay revoked: any grant still
/// live was made while it was disabled (by a process whose cache had not
/// yet seen it) and is revoked first. Its access tokens issued before now
/// stay dead too ([`crate::model::Client::tokens_not_before`]).
pub async fn enable(p: &Provider, id: &str, actor: &Actor, why: &str) -> Result<Outcome> {
    let Some(mut c) = p.store.client(id).await? else {
        return Ok(Outcome::NotFound);
    };
    if c.disabled.is_none() {
        return Ok(Outcome::Unchanged);
    }
    let n = p.store.revoke_grants_of_client(id, p.now()).await?;
    c.disabled = None;
    // Tokens a stale process issued while the client was disabled die too.
    // (Enabled within the second of the disable, the client's new tokens
    // of that second are refused as well.)
    c.tokens_not_before = c.tokens_not_before.max(p.now());
    p.upsert_client(&c).await?;
    tracing::info!(client_id = %id, "client enabled: {why}");
    let e = Event::ClientEnabled
        .entry()
        .client(id)
        .actor(actor)
        .detail(why);
    audit::record(p, e).await?;
    Ok(Outcome::Done { grants_revoked: n })
}

/// Delete the client: its grants revoked, its consents forgotten and its
/// record removed, at once ([`crate::infra::store::ClientStore::delete_client`]).
/// A client that `portico.toml` still lists comes back at the next start,
/// new (no grants, no consents).
pub async fn delete(p: &Provider, id: &str, actor: &Actor, why: &str) -> Result<Outcome> {
    let Some(n) = p.delete_client(id).await? else {
        return Ok(Outcome::NotFound);
    };
    tracing::info!(client_id = %id, grants_revoked = n, "client deleted: {why}");
    let e = Event::ClientDeleted
        .entry()
        .client(id)
        .actor(actor)
        .detail(format!("{why}; {n} grant(s) revoked"));
    audit::record(p, e).await?;
    Ok(Outcome::Done { grants_revoked: n })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Grant;
    use crate::protocol::error::ErrorCode;
    use crate::protocol::secret::Secret;
    use crate::services::audit::Filter;
    use crate::services::client_auth::{AuthMethod, PresentedCredentials, authenticate};
    use crate::testkit::*;

    fn creds(k: &Kit, id: &str) -> PresentedCredentials {
        PresentedCredentials {
            client_id: id.into(),
            secret: Some(Secret::new(k.secret)),
            method: AuthMethod::ClientSecretBasic,
        }
    }

    async fn grant(k: &Kit, id: &str, client: &str) {
        k.p.store
            .create_grant(&Grant {
                id: id.into(),
                client_id: client.into(),
                user_id: "user-1".into(),
                scopes: vec!["openid".into()],
                created_at: T0,
                revoked_at: None,
                session_id_hash: None,
            })
            .await
            .unwrap();
    }

    async fn events(k: &Kit) -> Vec<(String, String)> {
        let all =
            k.p.store
                .audit_log(&Filter {
                    client_id: Some("web".into()),
                    limit: 10,
                    ..Filter::default()
                })
                .await
                .unwrap();
        all.into_iter().map(|r| (r.event, r.detail)).collect()
    }

    #[tokio::test]
    async fn a_disabled_client_is_unknown_until_enabled_and_its_grants_stay_revoked() {
        let k = kit().await;
        grant(&k, "g1", "web").await;
        grant(&k, "other", "rp").await;
        assert!(authenticate(&k.p, &creds(&k, "web"), None).await.is_ok());
        let done = disable(&k.p, "web", DisabledBy::Admin, &Actor::Cli, "by the admin")
            .await
            .unwrap();
        assert_eq!(done, Outcome::Done { grants_revoked: 1 });
        assert!(k.p.client("web").await.unwrap().is_none());
        let e = authenticate(&k.p, &creds(&k, "web"), None)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
        assert!(
            k.p.store
                .grant("g1")
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
        assert!(
            k.p.store
                .grant("other")
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_none()
        );
        assert_eq!(
            disable(&k.p, "web", DisabledBy::Config, &Actor::Cli, "dropped")
                .await
                .unwrap(),
            Outcome::Unchanged,
            "the config never overrides an admin"
        );
        // A grant made meanwhile by a process whose cache still had the
        // client is revoked when the client comes back.
        grant(&k, "late", "web").await;
        assert_eq!(
            enable(&k.p, "web", &Actor::Cli, "by the admin")
                .await
                .unwrap(),
            Outcome::Done { grants_revoked: 1 }
        );
        assert!(authenticate(&k.p, &creds(&k, "web"), None).await.is_ok());
        assert!(
            k.p.store
                .grant("g1")
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
        assert!(
            k.p.store
                .grant("late")
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
        assert_eq!(
            enable(&k.p, "web", &Actor::Cli, "again").await.unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(
            events(&k).await,
            [
                ("client.enabled".to_owned(), "by the admin".to_owned()),
                // Its attempt while disabled failed like an unknown client's.
                ("client_auth.failed".to_owned(), String::new()),
                (
                    "client.disabled".to_owned(),
                    "by the admin; 1 grant(s) revoked".to_owned()
                ),
            ]
        );
    }

    #[tokio::test]
    async fn a_deleted_client_is_gone_with_its_grants_and_consents() {
        let k = kit().await;
        grant(&k, "g1", "web").await;
        k.p.store
            .add_consent("user-1", "web", &["openid".into()], T0)
            .await
            .unwrap();
        assert!(k.p.client("web").await.unwrap().is_some(), "cached");
        assert_eq!(
            delete(&k.p, "web", &Actor::Cli, "by the admin")
                .await
                .unwrap(),
            Outcome::Done { grants_revoked: 1 }
        );
        assert!(k.p.client("web").await.unwrap().is_none());
        assert!(k.p.store.client("web").await.unwrap().is_none());
        assert!(
            k.p.store
                .grant("g1")
                .await
                .unwrap()
                .unwrap()
                .revoked_at
                .is_some()
        );
        assert!(
            k.p.store
                .consented_scopes("user-1", "web")
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            delete(&k.p, "web", &Actor::Cli, "again").await.unwrap(),
            Outcome::NotFound
        );
        assert_eq!(
            disable(&k.p, "web", DisabledBy::Admin, &Actor::Cli, "x")
                .await
                .unwrap(),
            Outcome::NotFound
        );
        assert_eq!(events(&k).await[0].0, "client.deleted");
    }

    #[tokio::test]
    async fn a_disabled_clients_access_tokens_stop_validating() {
        let k = kit().await;
        let at =
            crate::services::tokens::access_token(&k.p, "web", "web", "api".into(), None).unwrap();
        assert!(
            crate::services::tokens::validate_access_token(&k.p, &at)
                .await
                .is_ok()
        );
        disable(&k.p, "web", DisabledBy::Admin, &Actor::Cli, "x")
            .await
            .unwrap();
        let e = crate::services::tokens::validate_access_token(&k.p, &at)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidToken);
        // Enabled again, even within the same second: the old token stays
        // dead; new ones work from the next second.
        enable(&k.p, "web", &Actor::Cli, "x").await.unwrap();
        k.clock.advance(1);
        assert!(
            crate::services::tokens::validate_access_token(&k.p, &at)
                .await
                .is_err()
        );
        let new =
            crate::services::tokens::access_token(&k.p, "web", "web", "api".into(), None).unwrap();
        assert!(
            crate::services::tokens::validate_access_token(&k.p, &new)
                .await
                .is_ok()
        );
    }
}

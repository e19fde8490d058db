//! Who may use the admin API: a signed-in user with the role `admin`
//! (after the second factor the default entrypoint's policy asks for), or
//! a client acting for itself with a client_credentials token carrying
//! `portico:admin`. Both are checked against the store at every request:
//! a role taken away or a client disabled counts at once.

use crate::infra::provider::Provider;
use crate::model::{Session, User};
use crate::protocol::error::Result;
use crate::protocol::scope::DEFAULT_ENTRYPOINT;
use crate::services::audit::Actor;
use crate::services::mfa::{self, Need};
use crate::services::provision::ADMIN_SCOPE;
use crate::services::{accounts, entrypoint, roles, tokens};
use serde_json::Value;

/// Why a caller may not administer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 401: the token is invalid, expired or revoked, or the account is gone.
    BadToken,
    /// 401: the session lacks the second factor the policy asks for
    /// (`enrol`: the account has none yet).
    SecondFactor { enrol: bool },
    /// 403: a user without the role `admin`.
    NotAdmin,
    /// 403: a valid token without `portico:admin`, or not a client's own
    /// client_credentials token.
    InsufficientScope,
}

/// An administrator, as the audit log will name them.
#[derive(Debug, Clone)]
pub struct Admin {
    pub actor: Actor,
    pub user: Option<User>,
}

/// The signed-in user of `session`, if an administrator.
pub async fn by_session(
    p: &Provider,
    session: &Session,
) -> Result<std::result::Result<Admin, Refusal>> {
    let Some(user) = p.store.user_by_id(&session.user_id).await? else {
        return Ok(Err(Refusal::BadToken));
    };
    // Disabling ends the sessions too; this covers one read just before.
    if accounts::usable(&user).is_err() {
        return Ok(Err(Refusal::BadToken));
    }
    if !roles::has(p, &user.id, roles::ADMIN).await? {
        return Ok(Err(Refusal::NotAdmin));
    }
    let policy = entrypoint::find_or_default(p, DEFAULT_ENTRYPOINT)
        .await?
        .mfa;
    match mfa::need(p, &user.id, &session.amr, policy).await? {
        Need::Nothing => {}
        Need::SecondFactor => return Ok(Err(Refusal::SecondFactor { enrol: false })),
        Need::Enrol => return Ok(Err(Refusal::SecondFactor { enrol: true })),
    }
    Ok(Ok(Admin {
        actor: Actor::User(user.id.clone()),
        user: Some(user),
    }))
}

/// The client whose access token this is, if it may administer.
pub async fn by_token(p: &Provider, token: &str) -> Result<std::result::Result<Admin, Refusal>> {
    let claims = match tokens::validate_access_token(p, token).await {
        Ok(claims) => claims,
        // The token's fault; anything else (the database is down) is ours.
        Err(e) if e.code == crate::protocol::error::ErrorCode::InvalidToken => {
            return Ok(Err(Refusal::BadToken));
        }
        Err(e) => return Err(e),
    };
    let text = |k: &str| claims.get(k).and_then(Value::as_str);
    let (Some(client_id), Some(sub)) = (text("client_id"), text("sub")) else {
        return Ok(Err(Refusal::BadToken));
    };
    let scoped = text("scope").is_some_and(|s| s.split(' ').any(|s| s == ADMIN_SCOPE));
    // Only a client's own token (RFC 9068 §2.2: sub is the client for
    // client_credentials; a user's token has a grant). The client must
    // still be allowed the scope: taking it away ends its tokens' power.
    let own = sub == client_id && !claims.contains_key("gid");
    let allowed = p
        .client(client_id)
        .await?
        .is_some_and(|c| c.scopes.iter().any(|s| s == ADMIN_SCOPE));
    if !(scoped && own && allowed) {
        return Ok(Err(Refusal::InsufficientScope));
    }
    Ok(Ok(Admin {
        actor: Actor::Client(client_id.to_owned()),
        user: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    #[tokio::test]
    async fn only_a_clients_own_token_with_the_scope_administers() {
        let k = kit().await;
        let base = k.p.store.client("web").await.unwrap().unwrap();
        let bot = crate::model::Client {
            id: "bot".into(),
            grant_types: vec!["client_credentials".into()],
            scopes: vec![ADMIN_SCOPE.into()],
            ..base
        };
        k.p.upsert_client(&bot).await.unwrap();
        k.p.store
            .create_grant(&crate::model::Grant {
                id: "g1".into(),
                client_id: "bot".into(),
                user_id: "user-1".into(),
                scopes: vec![ADMIN_SCOPE.into()],
                created_at: k.p.now(),
                revoked_at: None,
                session_id_hash: None,
            })
            .await
            .unwrap();
        let now = k.p.now();
        let mint = |sub: &str, scope: &str, user: Option<(&str, i64)>| {
            tokens::access_token(&k.p, "bot", sub, scope.into(), user).unwrap()
        };
        let judge = |t: String| {
            let p = &k.p;
            async move { by_token(p, &t).await.unwrap().map(|a| a.actor) }
        };
        assert_eq!(
            judge(mint("bot", ADMIN_SCOPE, None)).await,
            Ok(Actor::Client("bot".into()))
        );
        // A token from a user's grant never administers, even one whose
        // sub were the client's.
        for sub in ["user-1", "bot"] {
            assert_eq!(
                judge(mint(sub, ADMIN_SCOPE, Some(("g1", now)))).await,
                Err(Refusal::InsufficientScope),
                "sub {sub}"
            );
        }
        assert_eq!(
            judge(mint("bot", "api:read", None)).await,
            Err(Refusal::InsufficientScope)
        );
        // Allowed the scope no more: its tokens stop administering.
        let mut fewer = k.p.store.client("bot").await.unwrap().unwrap();
        fewer.scopes = vec!["api:read".into()];
        k.p.upsert_client(&fewer).await.unwrap();
        assert_eq!(
            judge(mint("bot", ADMIN_SCOPE, None)).await,
            Err(Refusal::InsufficientScope)
        );
        assert_eq!(judge("junk".into()).await, Err(Refusal::BadToken));
    }

    #[tokio::test]
    async fn an_admin_session_is_refused_once_the_account_is_not_usable() {
        let k = kit().await;
        k.p.store.grant_role("user-1", roles::ADMIN).await.unwrap();
        let s = k.session(k.p.now()).await;
        assert!(by_session(&k.p, &s).await.unwrap().is_ok());
        k.disable_ada_only();
        assert_eq!(
            by_session(&k.p, &s).await.unwrap().unwrap_err(),
            Refusal::BadToken
        );
    }
}

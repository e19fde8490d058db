//! grant_type=refresh_token (RFC 6749 §6) with rotation (RFC 9700 §4.14.2):
//! every use returns a new refresh token, and any reuse of a rotated token
//! revokes the whole token family (the grant). By default there is no grace:
//! a refresh token is strictly single use.
//!
//! An operator may allow `refresh_token_grace` seconds in which a client
//! that lost the response can retry. The successor is derived from the old
//! token ([`crate::protocol::secret::SuccessorKey`]), so every retry, concurrent or
//! not, on any instance, gets the same successor back: a family never has
//! two live refresh tokens. Once the successor has been used the client has
//! moved on, and a retry is a reuse like any other.

use crate::infra::provider::Provider;
use crate::infra::store::Take;
use crate::model::Client;
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::scope;
use crate::protocol::secret::lookup_hash;
use crate::services::grants::live_grant;
use crate::services::tokens::{TokenResponse, UserGrant, issue_for_user};
use crate::services::{accounts, grants};

pub async fn exchange(p: &Provider, client: &Client, params: &Params<'_>) -> Result<TokenResponse> {
    let value = params
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    let invalid = || OAuthError::invalid_grant("the refresh token is invalid, expired or revoked");
    let now = p.now();
    let take = p.store.take_refresh_token(&lookup_hash(value), now).await?;
    let t = match take {
        // A retry inside the grace window: answer again with the same
        // successor, unless that was used or the family was revoked meanwhile
        // (a used token's take does not check that).
        Take::AlreadyUsed(t, used_at)
            if p.config.refresh_token_grace > 0
                && now - used_at <= p.config.refresh_token_grace
                && t.client_id == client.id
                && !successor_used(p, value).await?
                && live_grant(p, &t.grant_id).await?.is_some() =>
        {
            tracing::info!(client_id = %client.id, "rotated refresh token reused within the grace period");
            t
        }
        other => grants::won(p, &client.id, other, |t| &t.grant_id, invalid).await?,
    };
    if t.client_id != client.id {
        // A token presented by another client has leaked: kill its family.
        p.store.revoke_grant(&t.grant_id, now).await?;
        grants::revoked(p, &t.client_id, &t.grant_id, "presented by another client").await?;
        return Err(invalid());
    }
    if t.expires_at <= now {
        return Err(invalid());
    }
    if !accounts::usable_id(p, &t.user_id).await? {
        return Err(invalid());
    }
    let requested = scope::tokens(params.get("scope"))?;
    let scopes = if requested.is_empty() {
        t.scopes.clone()
    } else if requested.iter().all(|s| scope::contains(&t.scopes, s)) {
        requested
    } else {
        return Err(OAuthError::invalid_scope(
            "a refresh may narrow the scope, never widen it",
        ));
    };
    issue_for_user(
        p,
        UserGrant {
            client,
            user_id: &t.user_id,
            grant_id: &t.grant_id,
            scopes: &scopes,
            refresh_scopes: &t.scopes,
            auth_time: t.auth_time,
            nonce: None,
            acr: t.acr.as_deref(),
            amr: &t.amr,
            rotates: Some(value),
        },
    )
    .await
}

/// Whether the successor of the refresh token `value` has been used. Read
/// apart from the take: a successor used just after this read was handed
/// out already, so the retry hands out the same, now used, token and
/// nothing forks.
async fn successor_used(p: &Provider, value: &str) -> Result<bool> {
    let successor = lookup_hash(&p.refresh_successors.successor(value));
    Ok(p.store
        .refresh_token(&successor)
        .await?
        .is_some_and(|(_, used_at)| used_at.is_some()))
}

#[cfg(test)]
mod tests {

    use crate::protocol::error::ErrorCode;
    use crate::testkit::*;

    #[tokio::test]
    async fn refresh_rotates_narrows_and_detects_reuse() {
        let k = kit().await;
        let t = tokens_for(&k).await;
        let rt1 = t.refresh_token.unwrap();
        let e = token_request(
            &k,
            &format!("grant_type=refresh_token&refresh_token={rt1}&scope=openid email"),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope, "widening is refused");
        // The failed widening consumed rt1 (single use); start again.
        let t = tokens_for(&k).await;
        let rt1 = t.refresh_token.unwrap();
        let t2 = token_request(
            &k,
            &format!("grant_type=refresh_token&refresh_token={rt1}&scope=openid offline_access"),
        )
        .await
        .unwrap();
        let rt2 = t2.refresh_token.clone().unwrap();
        assert_ne!(rt1, rt2);
        assert!(t2.id_token.is_some());
        k.clock.advance(1);
        let e = token_request(&k, &format!("grant_type=refresh_token&refresh_token={rt1}"))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
        // Reuse revoked the family: rt2 is dead too.
        let e = token_request(&k, &format!("grant_type=refresh_token&refresh_token={rt2}"))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
    }

    /// The default: no grace. A relying party replaying a rotated-out token
    /// seconds later gets nothing, and the family it belongs to dies.
    #[tokio::test]
    async fn by_default_a_rotated_refresh_token_is_refused_at_once_and_kills_the_family() {
        let k = kit().await;
        assert_eq!(k.p.config.refresh_token_grace, 0);
        let t = tokens_for(&k).await;
        let form = format!(
            "grant_type=refresh_token&refresh_token={}",
            t.refresh_token.unwrap()
        );
        let t2 = token_request(&k, &form).await.unwrap();
        k.clock.advance(3);
        assert_eq!(
            token_request(&k, &form).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        let e = token_request(
            &k,
            &format!(
                "grant_type=refresh_token&refresh_token={}",
                t2.refresh_token.unwrap()
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
        assert_eq!(
            crate::endpoints::userinfo::userinfo(&k.p, &t2.access_token)
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidToken
        );
    }

    #[tokio::test]
    async fn a_rotated_refresh_token_gets_the_same_successor_during_an_opted_in_grace_only() {
        let mut k = kit().await;
        k.p.config.refresh_token_grace = 30;
        let t = tokens_for(&k).await;
        let rt1 = t.refresh_token.unwrap();
        let form = format!("grant_type=refresh_token&refresh_token={rt1}");
        let t2 = token_request(&k, &form).await.unwrap();
        // The response was "lost": the client retries inside the window and
        // gets the same successor, so the family still has one live token.
        k.clock.advance(k.p.config.refresh_token_grace);
        let t3 = token_request(&k, &form).await.unwrap();
        assert_eq!(t2.refresh_token, t3.refresh_token);
        assert_ne!(t2.access_token, t3.access_token);
        let rt2 = t3.refresh_token.unwrap();
        // After the window the old token is a replay: the family dies,
        // including the tokens issued during the window.
        k.clock.advance(1);
        assert_eq!(
            token_request(&k, &form).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        let e = token_request(&k, &format!("grant_type=refresh_token&refresh_token={rt2}"))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
        assert_eq!(
            crate::endpoints::userinfo::userinfo(&k.p, &t2.access_token)
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidToken
        );
    }

    /// Once the successor is used the client has moved on: a retry of the
    /// old token, even inside the window, is a reuse (RFC 9700 §4.14.2).
    #[tokio::test]
    async fn a_grace_retry_after_the_successor_was_used_revokes_the_family() {
        let mut k = kit().await;
        k.p.config.refresh_token_grace = 30;
        let t = tokens_for(&k).await;
        let form = format!(
            "grant_type=refresh_token&refresh_token={}",
            t.refresh_token.unwrap()
        );
        let t2 = token_request(&k, &form).await.unwrap();
        let t3 = token_request(
            &k,
            &format!(
                "grant_type=refresh_token&refresh_token={}",
                t2.refresh_token.unwrap()
            ),
        )
        .await
        .unwrap();
        k.clock.advance(1);
        assert_eq!(
            token_request(&k, &form).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        let e = token_request(
            &k,
            &format!(
                "grant_type=refresh_token&refresh_token={}",
                t3.refresh_token.unwrap()
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant, "the family is revoked");
    }

    #[tokio::test]
    async fn a_grace_retry_does_not_revive_a_revoked_family() {
        let mut k = kit().await;
        k.p.config.refresh_token_grace = 30;
        let t = tokens_for(&k).await;
        let rt1 = t.refresh_token.unwrap();
        let form = format!("grant_type=refresh_token&refresh_token={rt1}");
        let t2 = token_request(&k, &form).await.unwrap();
        crate::endpoints::revoke::revoke(
            &k.p,
            Some(&basic("web", k.secret)),
            &q(&format!("token={}", t2.refresh_token.unwrap())),
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            token_request(&k, &form).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
    }

    #[tokio::test]
    async fn refresh_tokens_expire() {
        let k = kit().await;
        let t = tokens_for(&k).await;
        k.clock.advance(k.p.config.refresh_token_ttl + 1);
        let e = token_request(
            &k,
            &format!(
                "grant_type=refresh_token&refresh_token={}",
                t.refresh_token.unwrap()
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
    }

    #[tokio::test]
    async fn a_refresh_is_refused_for_an_unusable_account() {
        let k = kit().await;
        let t = tokens_for(&k).await;
        let form = format!(
            "grant_type=refresh_token&refresh_token={}",
            t.refresh_token.unwrap()
        );
        k.disable_ada_only();
        let e = token_request(&k, &form).await.unwrap_err();
        assert_eq!(e.code, crate::protocol::error::ErrorCode::InvalidGrant);
    }
}

//! grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6).

use crate::infra::provider::Provider;
use crate::model::Client;
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::pkce;
use crate::protocol::secret::lookup_hash;
use crate::services::grants;
use crate::services::tokens::{TokenResponse, UserGrant, issue_for_user};

pub async fn exchange(p: &Provider, client: &Client, params: &Params<'_>) -> Result<TokenResponse> {
    let code = params
        .get("code")
        .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let invalid = || OAuthError::invalid_grant("the code is invalid, expired or already used");
    let now = p.now();
    let take = p.store.take_code(&lookup_hash(code), now).await?;
    let c = grants::won(p, &client.id, take, |c| &c.grant_id, invalid).await?;
    if c.expires_at <= now || c.client_id != client.id {
        return Err(invalid());
    }
    match params.get("redirect_uri") {
        Some(r) if r == c.redirect_uri => {}
        None if !c.redirect_uri_given => {}
        _ => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the authorization request",
            ));
        }
    }
    match (
        &c.code_challenge,
        c.code_challenge_method,
        params.get("code_verifier"),
    ) {
        (Some(ch), Some(m), Some(v)) if pkce::verify(v, ch, m) => {}
        (Some(_), _, _) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier does not match the code_challenge",
            ));
        }
        // RFC 9700 §4.8.2: a verifier without a challenge is a downgrade attempt.
        (None, _, Some(_)) => {
            return Err(OAuthError::invalid_grant(
                "code_verifier given but no code_challenge was",
            ));
        }
        (None, _, None) => {}
    }
    if p.store.user_by_id(&c.user_id).await?.is_none() {
        return Err(invalid());
    }
    issue_for_user(
        p,
        UserGrant {
            client,
            user_id: &c.user_id,
            grant_id: &c.grant_id,
            scopes: &c.scopes,
            refresh_scopes: &c.scopes,
            auth_time: c.auth_time,
            nonce: c.nonce.as_deref(),
            acr: c.acr.as_deref(),
            rotates: None,
        },
    )
    .await
}

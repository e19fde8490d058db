//! Token revocation (RFC 7009).

use crate::infra::provider::Provider;
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::secret::lookup_hash;
use crate::services::{audit, client_auth, grants};
use serde_json::Value;
use std::net::IpAddr;

/// `POST /oauth2/revoke`. A refresh token revokes its whole family (the
/// grant, and so every access token issued from it); an access token is put
/// on the revocation list until it expires. Unknown or already dead tokens
/// are not an error (RFC 7009 §2.2); a token of another client is.
pub async fn revoke(
    p: &Provider,
    authorization: Option<&str>,
    form: &[(String, String)],
    from: Option<IpAddr>,
) -> Result<()> {
    let params = Params::new(form);
    let client = client_auth::caller(p, authorization, &params, from).await?;
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let not_yours = || OAuthError::unauthorized_client("the token was not issued to this client");
    if let Some((t, _)) = p.store.refresh_token(&lookup_hash(token)).await? {
        if t.client_id != client.id {
            return Err(not_yours());
        }
        tracing::info!(client_id = %client.id, grant_id = %t.grant_id, "refresh token revoked with its family");
        p.store.revoke_grant(&t.grant_id, p.now()).await?;
        grants::revoked(
            p,
            &client.id,
            &t.grant_id,
            "refresh token revoked by the client",
        )
        .await?;
        return Ok(());
    }
    // Only our own, well-signed access tokens; expiry does not matter here.
    let Ok(v) = p.verify(token).await else {
        return Ok(());
    };
    if v.typ.as_deref() != Some("at+jwt")
        || v.claims.get("iss").and_then(Value::as_str) != Some(p.issuer())
    {
        return Ok(());
    }
    if v.claims.get("client_id").and_then(Value::as_str) != Some(client.id.as_str()) {
        return Err(not_yours());
    }
    let (Some(jti), Some(exp)) = (
        v.claims.get("jti").and_then(Value::as_str),
        v.claims.get("exp").and_then(Value::as_i64),
    ) else {
        return Ok(());
    };
    tracing::info!(client_id = %client.id, "access token revoked");
    p.store.revoke_access_token(jti, exp).await?;
    let mut e = audit::Event::TokensRevoked
        .entry()
        .client(&client.id)
        .detail(format!("access token {jti} revoked by the client"));
    if let Some(sub) = v.claims.get("sub").and_then(Value::as_str) {
        e = e.user(sub);
    }
    audit::record(p, e).await?;
    Ok(())
}

//! Issuing access tokens (RFC 9068 JWTs), refresh tokens and id_tokens, and
//! the token endpoint response.

use crate::infra::jose::half_hash;
use crate::infra::provider::Provider;
use crate::model::UnixTime;
use crate::model::{Client, RefreshToken};
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::scope::{self, OFFLINE_ACCESS, OPENID};
use crate::protocol::secret::lookup_hash;
use crate::services::grants::live_grant;
use serde::Serialize;
use serde_json::{Map, Value};

/// RFC 9068 access token claims. `gid` names the grant the token belongs to,
/// so revoking the grant revokes the token.
#[derive(Debug, Serialize)]
pub struct AccessTokenClaims<'a> {
    pub iss: &'a str,
    pub sub: &'a str,
    pub aud: &'a str,
    pub client_id: &'a str,
    pub iat: UnixTime,
    pub exp: UnixTime,
    pub jti: String,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<UnixTime>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gid: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    azp: &'a str,
    iat: UnixTime,
    exp: UnixTime,
    auth_time: UnixTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acr: Option<&'a str>,
    /// RFC 8176 authentication method references.
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    amr: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    at_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    c_hash: Option<String>,
    /// User claims, only when no access token can fetch them (response_type=id_token).
    #[serde(flatten)]
    user_claims: Map<String, Value>,
}

/// The successful token endpoint response (RFC 6749 §5.1).
#[derive(Serialize, Clone, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("id_token", &self.id_token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

/// What a user-bound token set is issued for.
pub struct UserGrant<'a> {
    pub client: &'a Client,
    pub user_id: &'a str,
    pub grant_id: &'a str,
    /// Scopes of this response.
    pub scopes: &'a [String],
    /// Scopes a new refresh token keeps (the originally granted ones).
    pub refresh_scopes: &'a [String],
    pub auth_time: UnixTime,
    pub nonce: Option<&'a str>,
    /// The authentication context achieved, if a user signed in.
    pub acr: Option<&'a str>,
    /// How the user authenticated (RFC 8176), if a user signed in.
    pub amr: &'a [String],
    /// The refresh token this response rotates (refresh grant): the new
    /// refresh token is its derived successor rather than a random one, so
    /// every use of it gets the same successor.
    pub rotates: Option<&'a str>,
}

/// A signed access token (RFC 9068) for a user's grant, or for the client
/// itself when `user` is None.
pub fn access_token(
    p: &Provider,
    client_id: &str,
    sub: &str,
    scope: String,
    user: Option<(&str, UnixTime)>,
) -> Result<String> {
    let now = p.now();
    let iss = p.issuer();
    let claims = AccessTokenClaims {
        iss,
        sub,
        aud: iss,
        client_id,
        iat: now,
        exp: now + p.config.access_token_ttl,
        jti: p.random.token(16)?,
        scope,
        auth_time: user.map(|(_, t)| t),
        gid: user.map(|(g, _)| g),
    };
    p.keys()
        .key(p.config.access_token_alg, now)?
        .sign("at+jwt", &claims)
}

/// What goes into an id_token besides the fixed claims.
#[derive(Default)]
pub struct IdTokenExtras<'a> {
    pub nonce: Option<&'a str>,
    pub acr: Option<&'a str>,
    pub amr: &'a [String],
    /// The access token issued beside it (sets at_hash).
    pub access_token: Option<&'a str>,
    /// The code issued beside it (sets c_hash).
    pub code: Option<&'a str>,
    pub user_claims: Map<String, Value>,
}

/// Sign an id_token (OIDC Core §2) with the client's algorithm.
pub fn id_token(
    p: &Provider,
    client: &Client,
    user_id: &str,
    auth_time: UnixTime,
    x: IdTokenExtras<'_>,
) -> Result<String> {
    let now = p.now();
    let iss = p.issuer();
    let alg = client
        .id_token_signed_response_alg
        .unwrap_or(p.config.id_token_alg);
    let claims = IdTokenClaims {
        iss,
        sub: user_id,
        aud: &client.id,
        azp: &client.id,
        iat: now,
        exp: now + p.config.id_token_ttl,
        auth_time,
        nonce: x.nonce,
        acr: x.acr,
        amr: x.amr,
        at_hash: x.access_token.map(half_hash),
        c_hash: x.code.map(half_hash),
        user_claims: x.user_claims,
    };
    p.keys().key(alg, now)?.sign("JWT", &claims)
}

/// Issue access token, refresh token (when offline_access is granted and the
/// client may refresh) and id_token (when openid is granted).
pub async fn issue_for_user(p: &Provider, g: UserGrant<'_>) -> Result<TokenResponse> {
    let now = p.now();
    let scope_str = scope::join(g.scopes);
    let e = crate::services::audit::Event::TokensIssued
        .entry()
        .user(g.user_id)
        .client(&g.client.id)
        .detail(scope_str.clone());
    crate::services::audit::record(p, e).await?;
    let access_token = access_token(
        p,
        &g.client.id,
        g.user_id,
        scope_str.clone(),
        Some((g.grant_id, g.auth_time)),
    )?;

    // A refresh that narrows the scope still rotates: the new refresh token
    // keeps the granted scopes, so the client does not lose offline access.
    let refresh_token = if scope::contains(g.refresh_scopes, OFFLINE_ACCESS)
        && g.client
            .allows_grant(crate::protocol::types::GRANT_REFRESH_TOKEN)
    {
        let value = match g.rotates {
            Some(old) => p.refresh_successors.successor(old),
            None => p.random.token(32)?,
        };
        // A retry's successor exists already: the stored one, its use
        // included, is kept.
        p.store
            .put_refresh_token(&RefreshToken {
                token_hash: lookup_hash(&value),
                grant_id: g.grant_id.to_owned(),
                client_id: g.client.id.clone(),
                user_id: g.user_id.to_owned(),
                scopes: g.refresh_scopes.to_vec(),
                auth_time: g.auth_time,
                acr: g.acr.map(str::to_owned),
                amr: g.amr.to_vec(),
                created_at: now,
                expires_at: now + p.config.refresh_token_ttl,
            })
            .await?;
        Some(value)
    } else {
        None
    };

    let id_token = if scope::contains(g.scopes, OPENID) {
        Some(id_token(
            p,
            g.client,
            g.user_id,
            g.auth_time,
            IdTokenExtras {
                nonce: g.nonce,
                acr: g.acr,
                amr: g.amr,
                access_token: Some(&access_token),
                ..IdTokenExtras::default()
            },
        )?)
    } else {
        None
    };

    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: p.config.access_token_ttl,
        scope: scope_str,
        refresh_token,
        id_token,
    })
}

/// The claims of a valid, unrevoked access token issued by us to a client
/// that is still registered and enabled.
pub async fn validate_access_token(p: &Provider, token: &str) -> Result<Map<String, Value>> {
    let bad = || OAuthError::invalid_token("the access token is invalid, expired or revoked");
    let v = p.verify(token).await.map_err(|_| bad())?;
    if v.typ.as_deref() != Some("at+jwt") {
        return Err(bad());
    }
    let c = v.claims;
    if c.get("iss").and_then(Value::as_str) != Some(p.issuer()) {
        return Err(bad());
    }
    let exp = c.get("exp").and_then(Value::as_i64).ok_or_else(bad)?;
    if exp <= p.now() {
        return Err(bad());
    }
    if let Some(gid) = c.get("gid").and_then(Value::as_str)
        && live_grant(p, gid).await?.is_none()
    {
        return Err(bad());
    }
    // A disabled or deleted client's tokens die with it, and those from
    // before a disable stay dead after it is enabled again: the tokens of
    // client_credentials have no grant that disabling could revoke.
    let client_id = c.get("client_id").and_then(Value::as_str).ok_or_else(bad)?;
    let iat = c.get("iat").and_then(Value::as_i64).ok_or_else(bad)?;
    match p.client(client_id).await? {
        Some(client) if iat >= client.tokens_not_before => {}
        _ => return Err(bad()),
    }
    let jti = c.get("jti").and_then(Value::as_str).ok_or_else(bad)?;
    if p.store.access_token_revoked(jti).await? {
        return Err(bad());
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_response_debug_hides_tokens() {
        let t = TokenResponse {
            access_token: "AT-SECRET".into(),
            token_type: "Bearer",
            expires_in: 1,
            scope: String::new(),
            refresh_token: Some("RT-SECRET".into()),
            id_token: Some("ID-SECRET".into()),
        };
        let d = format!("{t:?}");
        assert!(!d.contains("SECRET"), "{d}");
    }
}

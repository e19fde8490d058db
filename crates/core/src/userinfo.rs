//! The UserInfo endpoint (OIDC Core §5.3) and access token validation.

use crate::error::{ErrorCode, OAuthError, Result};
use crate::model::User;
use crate::provider::Provider;
use crate::scope::{self, EMAIL, OPENID, PHONE, PROFILE};
use crate::tokens::live_grant;
use serde_json::{Map, Value, json};

/// The claims of a valid, unrevoked access token issued by us to a client
/// that is still registered and enabled.
pub async fn validate_access_token(p: &Provider, token: &str) -> Result<Map<String, Value>> {
    let bad = || OAuthError::invalid_token("the access token is invalid, expired or revoked");
    let v = p.keys.verify(token).map_err(|_| bad())?;
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

pub async fn userinfo(p: &Provider, token: &str) -> Result<Value> {
    let c = validate_access_token(p, token).await?;
    let scopes = scope::tokens(c.get("scope").and_then(Value::as_str))?;
    if !scope::contains(&scopes, OPENID) {
        return Err(OAuthError::new(
            ErrorCode::InsufficientScope,
            "the access token lacks the openid scope",
        ));
    }
    let sub = c
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(|| OAuthError::invalid_token("no subject"))?;
    let user = p
        .store
        .user_by_id(sub)
        .await?
        .ok_or_else(|| OAuthError::invalid_token("the user no longer exists"))?;
    Ok(Value::Object(claims_for(&user, &scopes)))
}

/// The user's claims that `scopes` release (OIDC Core §5.4): `sub` always,
/// email and email_verified for `email`, the name claims, birthdate and
/// updated_at for `profile`, phone_number for `phone`. Claims the user has
/// no value for are left out.
pub fn claims_for(user: &User, scopes: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("sub".into(), json!(user.id));
    if scope::contains(scopes, EMAIL) {
        out.insert("email".into(), json!(user.email));
        out.insert("email_verified".into(), json!(user.email_verified));
    }
    if scope::contains(scopes, PHONE)
        && let Some(n) = &user.phone_number
    {
        out.insert("phone_number".into(), json!(n));
        out.insert("phone_number_verified".into(), json!(false));
    }
    if scope::contains(scopes, PROFILE) {
        if !user.name.is_empty() {
            out.insert("name".into(), json!(user.name));
        }
        if let Some(b) = &user.birthdate {
            out.insert("birthdate".into(), json!(b));
        }
        if let Some(g) = &user.given_name {
            out.insert("given_name".into(), json!(g));
        }
        if let Some(f) = &user.family_name {
            out.insert("family_name".into(), json!(f));
        }
        out.insert("updated_at".into(), json!(user.updated_at));
    }
    out
}

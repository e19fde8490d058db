//! The UserInfo endpoint (OIDC Core §5.3) and access token validation.

use crate::infra::provider::Provider;
use crate::protocol::error::{ErrorCode, OAuthError, Result};
use crate::protocol::scope::{self, OPENID};
use crate::services::claims::claims_for;
use crate::services::tokens::validate_access_token;
use serde_json::Value;

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

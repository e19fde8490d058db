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

#[cfg(test)]
mod tests {

    use crate::endpoints::authorize::{Outcome, authorize};

    use crate::protocol::error::ErrorCode;
    use crate::testkit::*;

    #[tokio::test]
    async fn expired_access_tokens_are_refused_at_userinfo() {
        let k = kit().await;
        let s = k.session(T0).await;
        let query = format!(
            "client_id=web&redirect_uri={CB}&response_type=code&scope=openid email profile"
        );
        let Outcome::Redirect(url) = authorize(&k.p, &q(&query), Some(&s)).await else {
            panic!()
        };
        let code = redirect_params(&url).remove("code").unwrap();
        let t = token_request(
            &k,
            &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
        )
        .await
        .unwrap();
        let info = crate::endpoints::userinfo::userinfo(&k.p, &t.access_token)
            .await
            .unwrap();
        assert_eq!(info["sub"], "user-1");
        assert_eq!(info["email"], "ada@example.com");
        assert_eq!(info["name"], "Ada Lovelace");
        assert_eq!(info["given_name"], "Ada");
        assert_eq!(info["family_name"], "Lovelace");
        assert_eq!(info["updated_at"], T0 + 5);
        k.clock.advance(k.p.config.access_token_ttl);
        assert_eq!(
            crate::endpoints::userinfo::userinfo(&k.p, &t.access_token)
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidToken
        );
    }
}

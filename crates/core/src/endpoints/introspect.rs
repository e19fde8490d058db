//! Token introspection (RFC 7662).
//!
//! Access tokens are JWTs: they are valid until they expire unless their
//! grant is revoked or their `jti` is on the revocation list, and both are
//! checked here and at userinfo. Refresh tokens are looked up by hash.

use crate::infra::provider::Provider;
use crate::model::Client;
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::secret::lookup_hash;
use crate::services::client_auth;
use crate::services::grants::live_grant;
use crate::services::tokens::validate_access_token;
use serde_json::{Value, json};
use std::net::IpAddr;

fn inactive() -> Value {
    json!({ "active": false })
}

/// `POST /oauth2/introspect`. Only confidential clients configured with
/// `introspection = true` (resource servers) may ask (RFC 7662 §2.1 leaves
/// the authorization of callers to the server; §4 asks that token scanning
/// be prevented); any other authenticated client gets `unauthorized_client`.
/// Any valid access token is described to them; a refresh token only to
/// the client it was issued to. Everything else is `{"active": false}`.
pub async fn introspect(
    p: &Provider,
    authorization: Option<&str>,
    form: &[(String, String)],
    from: Option<IpAddr>,
) -> Result<Value> {
    let params = Params::new(form);
    let client = client_auth::caller(p, authorization, &params, from).await?;
    if client.is_public() {
        return Err(OAuthError::invalid_client(
            "introspection needs client authentication",
        ));
    }
    if !client.introspection {
        return Err(OAuthError::unauthorized_client(
            "this client is not allowed to introspect tokens",
        ));
    }
    let token = params
        .get("token")
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let refresh_first = params.get("token_type_hint") == Some("refresh_token");
    let order: [bool; 2] = if refresh_first {
        [true, false]
    } else {
        [false, true]
    };
    for refresh in order {
        let found = if refresh {
            introspect_refresh(p, &client, token).await?
        } else {
            introspect_access(p, token).await?
        };
        if let Some(v) = found {
            return Ok(v);
        }
    }
    Ok(inactive())
}

async fn introspect_access(p: &Provider, token: &str) -> Result<Option<Value>> {
    let c = match validate_access_token(p, token).await {
        Ok(c) => c,
        Err(e) if e.is_ours() => return Err(e),
        Err(_) => return Ok(None),
    };
    let mut out = json!({ "active": true, "token_type": "Bearer" });
    for k in [
        "scope",
        "client_id",
        "sub",
        "exp",
        "iat",
        "iss",
        "aud",
        "jti",
        "auth_time",
    ] {
        if let Some(v) = c.get(k) {
            out[k] = v.clone();
        }
    }
    Ok(Some(out))
}

async fn introspect_refresh(p: &Provider, client: &Client, token: &str) -> Result<Option<Value>> {
    let Some((t, used_at)) = p.store.refresh_token(&lookup_hash(token)).await? else {
        return Ok(None);
    };
    let active = used_at.is_none()
        && t.expires_at > p.now()
        && t.client_id == client.id
        && live_grant(p, &t.grant_id).await?.is_some();
    if !active {
        return Ok(Some(inactive()));
    }
    Ok(Some(json!({
        "active": true,
        "token_type": "refresh_token",
        "scope": t.scopes.join(" "),
        "client_id": t.client_id,
        "sub": t.user_id,
        "exp": t.expires_at,
        "iat": t.created_at,
        "iss": p.issuer(),
    })))
}

#[cfg(test)]
mod tests {

    use crate::protocol::error::ErrorCode;
    use crate::testkit::*;

    #[tokio::test]
    async fn introspection_describes_live_tokens_and_forgets_revoked_ones() {
        let k = kit().await;
        let t = tokens_for(&k).await;
        let web = basic("web", k.secret);
        let intro = |tok: String| {
            let (k, web) = (&k, web.clone());
            async move {
                crate::endpoints::introspect::introspect(
                    &k.p,
                    Some(&web),
                    &q(&format!("token={tok}")),
                    None,
                )
                .await
                .unwrap()
            }
        };
        let a = intro(t.access_token.clone()).await;
        assert_eq!(a["active"], true);
        assert_eq!(a["client_id"], "web");
        assert_eq!(a["sub"], "user-1");
        assert_eq!(a["scope"], "openid offline_access");
        assert_eq!(a["token_type"], "Bearer");
        assert_eq!(a["exp"], T0 + 3600);
        assert_eq!(a["iat"], T0);
        let rt = t.refresh_token.clone().unwrap();
        let r = intro(rt.clone()).await;
        assert_eq!(r["active"], true);
        assert_eq!(r["token_type"], "refresh_token");
        assert_eq!(
            intro("garbage".into()).await,
            serde_json::json!({"active": false})
        );
        // Public clients cannot introspect.
        let e = crate::endpoints::introspect::introspect(
            &k.p,
            None,
            &q(&format!("client_id=spa&token={}", t.access_token)),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
        // Confidential clients not configured to introspect are refused.
        let mut rp = k.p.store.client("rp").await.unwrap().unwrap();
        rp.introspection = false;
        k.p.upsert_client(&rp).await.unwrap();
        let e = crate::endpoints::introspect::introspect(
            &k.p,
            Some(&basic("rp", k.secret)),
            &q(&format!("token={}", t.access_token)),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
        // Revoking the access token: inactive at introspection and userinfo,
        // while the refresh token lives on.
        crate::endpoints::revoke::revoke(
            &k.p,
            Some(&web),
            &q(&format!("token={}", t.access_token)),
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            intro(t.access_token.clone()).await,
            serde_json::json!({"active": false})
        );
        assert_eq!(
            crate::endpoints::userinfo::userinfo(&k.p, &t.access_token)
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidToken
        );
        assert_eq!(intro(rt.clone()).await["active"], true);
        // Revoking the refresh token kills the family.
        crate::endpoints::revoke::revoke(&k.p, Some(&web), &q(&format!("token={rt}")), None)
            .await
            .unwrap();
        assert_eq!(
            intro(rt.clone()).await,
            serde_json::json!({"active": false})
        );
        // Unknown tokens are fine to revoke; another client's are not.
        crate::endpoints::revoke::revoke(&k.p, Some(&web), &q("token=unknown"), None)
            .await
            .unwrap();
        let t = tokens_for(&k).await;
        let e = crate::endpoints::revoke::revoke(
            &k.p,
            Some(&basic("legacy", k.secret)),
            &q(&format!("token={}", t.refresh_token.unwrap())),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
    }
}

//! grant_type=client_credentials (RFC 6749 §4.4): a confidential client
//! gets an access token for itself. No refresh token (§4.4.3), no id_token
//! (there is no user).

use crate::infra::provider::Provider;
use crate::model::Client;
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::scope::{self, OFFLINE_ACCESS, OPENID};
use crate::services::tokens::{TokenResponse, access_token};

/// Scopes that only make sense for a user; a client acting for itself
/// cannot ask for them.
const USER_SCOPES: [&str; 2] = [OPENID, OFFLINE_ACCESS];

pub async fn exchange(p: &Provider, client: &Client, params: &Params<'_>) -> Result<TokenResponse> {
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "client_credentials needs a confidential client",
        ));
    }
    let requested = scope::tokens(params.get("scope"))?;
    let scopes: Vec<String> = if requested.is_empty() {
        // RFC 6749 §3.3: no scope asked, the client's own set (minus user scopes).
        client
            .scopes
            .iter()
            .filter(|s| !USER_SCOPES.contains(&s.as_str()))
            .cloned()
            .collect()
    } else {
        if let Some(bad) = requested
            .iter()
            .find(|s| USER_SCOPES.contains(&s.as_str()) || !scope::contains(&client.scopes, s))
        {
            return Err(OAuthError::invalid_scope(format!(
                "the client may not ask for the scope {bad} with client_credentials"
            )));
        }
        requested
    };
    let scope_str = scope::join(&scopes);
    // RFC 9068 §2.2: for a client acting for itself, sub is its id.
    let access_token = access_token(p, &client.id, &client.id, scope_str.clone(), None)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: p.config.access_token_ttl,
        scope: scope_str,
        refresh_token: None,
        id_token: None,
    })
}

#[cfg(test)]
mod tests {

    use crate::endpoints::token::token;

    use crate::protocol::error::ErrorCode;
    use crate::testkit::*;

    async fn machine_client(k: &Kit, public: bool) {
        let base = k.p.store.client("web").await.unwrap().unwrap();
        let c = crate::model::Client {
            id: if public {
                "m2m-public".into()
            } else {
                "m2m-cc".into()
            },
            secret_hash: if public {
                None
            } else {
                base.secret_hash.clone()
            },
            grant_types: vec!["client_credentials".into()],
            scopes: vec!["openid".into(), "api:read".into(), "api:write".into()],
            ..base
        };
        k.p.upsert_client(&c).await.unwrap();
    }

    #[tokio::test]
    async fn client_credentials_issue_a_token_for_the_client_itself() {
        let k = kit().await;
        machine_client(&k, false).await;
        let t = token(
            &k.p,
            Some(&basic("m2m-cc", k.secret)),
            &q("grant_type=client_credentials&scope=api:read"),
            None,
        )
        .await
        .unwrap();
        assert_eq!(t.scope, "api:read");
        assert!(t.refresh_token.is_none() && t.id_token.is_none());
        let at = k.p.verify(&t.access_token).await.unwrap();
        assert_eq!(at.claims["sub"], "m2m-cc");
        assert_eq!(at.claims["client_id"], "m2m-cc");
        assert!(at.claims.get("gid").is_none() && at.claims.get("auth_time").is_none());
        // No scope: the client's own set, without user scopes.
        let t = token(
            &k.p,
            Some(&basic("m2m-cc", k.secret)),
            &q("grant_type=client_credentials"),
            None,
        )
        .await
        .unwrap();
        assert_eq!(t.scope, "api:read api:write");
    }

    #[tokio::test]
    async fn client_credentials_refuse_other_scopes_public_clients_and_other_grants() {
        let k = kit().await;
        machine_client(&k, false).await;
        machine_client(&k, true).await;
        let cc = |scope: &'static str| {
            let k = &k;
            async move {
                token(
                    &k.p,
                    Some(&basic("m2m-cc", k.secret)),
                    &q(&format!("grant_type=client_credentials&scope={scope}")),
                    None,
                )
                .await
                .unwrap_err()
                .code
            }
        };
        assert_eq!(cc("api:admin").await, ErrorCode::InvalidScope);
        assert_eq!(cc("openid").await, ErrorCode::InvalidScope);
        let e = token(
            &k.p,
            None,
            &q("grant_type=client_credentials&client_id=m2m-public"),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
        // The web client is not allowed the grant.
        let e = token_request(&k, "grant_type=client_credentials")
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
    }
}

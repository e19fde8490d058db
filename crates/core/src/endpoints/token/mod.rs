//! The token endpoint (RFC 6749 §3.2): parse, authenticate the client,
//! dispatch to one module per grant type.

pub mod authorization_code;
pub mod client_credentials;
pub mod device_code;
pub mod password;
pub mod refresh_token;

use crate::infra::provider::Provider;
use crate::protocol::error::{ErrorCode, OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::types::GrantType;
use crate::services::client_auth;
use crate::services::tokens::TokenResponse;

/// Handle `POST /oauth2/token`. `authorization` is the Authorization
/// header; `from` the client's address (password grant lockouts).
pub async fn token(
    p: &Provider,
    authorization: Option<&str>,
    form: &[(String, String)],
    from: Option<std::net::IpAddr>,
) -> Result<TokenResponse> {
    let params = Params::new(form);
    if let Some(name) = params.first_repeated() {
        return Err(OAuthError::invalid_request(format!("{name} is repeated")));
    }
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    let client = client_auth::caller(p, authorization, &params, from).await?;
    let Some(grant) = GrantType::parse(grant_type) else {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "the grant_type is not supported",
        ));
    };
    if !client.allows_grant(grant.as_str()) {
        return Err(OAuthError::unauthorized_client(
            "the client may not use this grant_type",
        ));
    }
    match grant {
        GrantType::AuthorizationCode => authorization_code::exchange(p, &client, &params).await,
        GrantType::ClientCredentials => client_credentials::exchange(p, &client, &params).await,
        GrantType::Password => password::exchange(p, &client, &params, from).await,
        GrantType::DeviceCode => device_code::exchange(p, &client, &params).await,
        GrantType::RefreshToken => refresh_token::exchange(p, &client, &params).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::authorize::{Outcome, authorize};
    use crate::infra::clock::Clock;
    use crate::testkit::*;
    use base64::Engine;

    fn basic(id: &str, secret: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
        )
    }

    /// Run authorize with a session and return the code.
    async fn code_for(k: &Kit, extra: &str) -> String {
        let s = k.session(k.clock.now()).await;
        let query = format!(
            "client_id=web&redirect_uri={CB}&response_type=code&scope=openid offline_access&nonce=n1{extra}"
        );
        let Outcome::Redirect(url) = authorize(&k.p, &q(&query), Some(&s)).await else {
            panic!()
        };
        redirect_params(&url).remove("code").unwrap()
    }

    /// A code (with openid offline_access) exchanged for tokens.
    async fn tokens_for(k: &Kit) -> TokenResponse {
        let code = code_for(k, "").await;
        exchange(
            k,
            &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
        )
        .await
        .unwrap()
    }

    async fn exchange(k: &Kit, form: &str) -> Result<TokenResponse> {
        token(&k.p, Some(&basic("web", k.secret)), &q(form), None).await
    }

    #[tokio::test]
    async fn code_exchange_issues_all_three_tokens() {
        let k = kit().await;
        let t = tokens_for(&k).await;
        assert_eq!(t.token_type, "Bearer");
        assert_eq!(t.scope, "openid offline_access");
        assert!(t.refresh_token.is_some());
        let id = k.p.keys.verify(t.id_token.as_deref().unwrap()).unwrap();
        assert_eq!(id.claims["nonce"], "n1");
        assert_eq!(id.claims["aud"], "web");
        assert_eq!(
            id.claims["at_hash"],
            crate::infra::jose::half_hash(&t.access_token)
        );
        let at = k.p.keys.verify(&t.access_token).unwrap();
        assert_eq!(at.typ.as_deref(), Some("at+jwt"));
        assert_eq!(at.claims["client_id"], "web");
    }

    #[tokio::test]
    async fn a_code_works_once_and_its_replay_revokes_the_tokens() {
        let k = kit().await;
        let code = code_for(&k, "").await;
        let form = format!("grant_type=authorization_code&code={code}&redirect_uri={CB}");
        let t = exchange(&k, &form).await.unwrap();
        assert!(
            crate::endpoints::userinfo::userinfo(&k.p, &t.access_token)
                .await
                .is_ok()
        );
        assert_eq!(
            exchange(&k, &form).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        let e = crate::endpoints::userinfo::userinfo(&k.p, &t.access_token)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidToken);
        let r = exchange(
            &k,
            &format!(
                "grant_type=refresh_token&refresh_token={}",
                t.refresh_token.unwrap()
            ),
        )
        .await;
        assert_eq!(r.unwrap_err().code, ErrorCode::InvalidGrant);
    }

    #[tokio::test]
    async fn codes_expire_after_sixty_seconds() {
        let k = kit().await;
        let code = code_for(&k, "").await;
        k.clock.advance(61);
        let e = exchange(
            &k,
            &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
    }

    #[tokio::test]
    async fn codes_are_bound_to_redirect_uri_and_client() {
        let k = kit().await;
        let code = code_for(&k, "").await;
        let e = exchange(
            &k,
            &format!(
                "grant_type=authorization_code&code={code}&redirect_uri=https://app.example/other"
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
        let code = code_for(&k, "").await;
        let e = exchange(&k, &format!("grant_type=authorization_code&code={code}"))
            .await
            .unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::InvalidGrant,
            "redirect_uri given at authorize must be repeated"
        );
        let code = code_for(&k, "").await;
        let other = crate::model::Client {
            id: "web2".into(),
            ..k.p.store.client("web").await.unwrap().unwrap()
        };
        k.p.upsert_client(&other).await.unwrap();
        let e = token(
            &k.p,
            Some(&basic("web2", k.secret)),
            &q(&format!(
                "grant_type=authorization_code&code={code}&redirect_uri={CB}"
            )),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
    }

    #[tokio::test]
    async fn pkce_is_checked_at_the_token_endpoint() {
        let k = kit().await;
        let pk = format!("&code_challenge={CHALLENGE}&code_challenge_method=S256");
        let form = |c: &str, v: &str| {
            format!("grant_type=authorization_code&code={c}&redirect_uri={CB}{v}")
        };
        let c = code_for(&k, &pk).await;
        assert_eq!(
            exchange(&k, &form(&c, "")).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        let c = code_for(&k, &pk).await;
        let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX";
        assert_eq!(
            exchange(&k, &form(&c, &format!("&code_verifier={wrong}")))
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidGrant
        );
        let c = code_for(&k, &pk).await;
        assert!(
            exchange(&k, &form(&c, &format!("&code_verifier={VERIFIER}")))
                .await
                .is_ok()
        );
        // Plain.
        let c = code_for(
            &k,
            &format!("&code_challenge={VERIFIER}&code_challenge_method=plain"),
        )
        .await;
        assert!(
            exchange(&k, &form(&c, &format!("&code_verifier={VERIFIER}")))
                .await
                .is_ok()
        );
        // Downgrade: verifier without challenge.
        let c = code_for(&k, "").await;
        assert_eq!(
            exchange(&k, &form(&c, &format!("&code_verifier={VERIFIER}")))
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidGrant
        );
    }

    #[tokio::test]
    async fn client_authentication_and_grant_type_errors() {
        let k = kit().await;
        let e = token(
            &k.p,
            Some(&basic("web", "wrong")),
            &q("grant_type=authorization_code&code=x"),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
        let e = token(
            &k.p,
            None,
            &q("grant_type=authorization_code&code=x&client_id=web"),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::InvalidClient,
            "confidential client without a secret"
        );
        let e = token(
            &k.p,
            None,
            &q("grant_type=authorization_code&code=x&client_id=spa&client_secret=x"),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::InvalidClient,
            "public client with a secret"
        );
        let e = token(&k.p, None, &q("grant_type=authorization_code&code=x&client_id=web&client_secret=confidential-secret"), None)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant, "client_secret_post works");
        assert_eq!(
            exchange(&k, "grant_type=magic").await.unwrap_err().code,
            ErrorCode::UnsupportedGrantType
        );
        assert_eq!(
            exchange(&k, "code=x").await.unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            exchange(&k, "grant_type=a&grant_type=b")
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidRequest
        );
        let e = token(
            &k.p,
            Some(&basic("m2m", k.secret)),
            &q("grant_type=authorization_code&code=x"),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
    }

    #[tokio::test]
    async fn refresh_rotates_narrows_and_detects_reuse() {
        let k = kit().await;
        let t = tokens_for(&k).await;
        let rt1 = t.refresh_token.unwrap();
        let e = exchange(
            &k,
            &format!("grant_type=refresh_token&refresh_token={rt1}&scope=openid email"),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope, "widening is refused");
        // The failed widening consumed rt1 (single use); start again.
        let t = tokens_for(&k).await;
        let rt1 = t.refresh_token.unwrap();
        let t2 = exchange(
            &k,
            &format!("grant_type=refresh_token&refresh_token={rt1}&scope=openid offline_access"),
        )
        .await
        .unwrap();
        let rt2 = t2.refresh_token.clone().unwrap();
        assert_ne!(rt1, rt2);
        assert!(t2.id_token.is_some());
        k.clock.advance(1);
        let e = exchange(&k, &format!("grant_type=refresh_token&refresh_token={rt1}"))
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
        // Reuse revoked the family: rt2 is dead too.
        let e = exchange(&k, &format!("grant_type=refresh_token&refresh_token={rt2}"))
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
        let t2 = exchange(&k, &form).await.unwrap();
        k.clock.advance(3);
        assert_eq!(
            exchange(&k, &form).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        let e = exchange(
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
        let t2 = exchange(&k, &form).await.unwrap();
        // The response was "lost": the client retries inside the window and
        // gets the same successor, so the family still has one live token.
        k.clock.advance(k.p.config.refresh_token_grace);
        let t3 = exchange(&k, &form).await.unwrap();
        assert_eq!(t2.refresh_token, t3.refresh_token);
        assert_ne!(t2.access_token, t3.access_token);
        let rt2 = t3.refresh_token.unwrap();
        // After the window the old token is a replay: the family dies,
        // including the tokens issued during the window.
        k.clock.advance(1);
        assert_eq!(
            exchange(&k, &form).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        let e = exchange(&k, &format!("grant_type=refresh_token&refresh_token={rt2}"))
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
        let t2 = exchange(&k, &form).await.unwrap();
        let t3 = exchange(
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
            exchange(&k, &form).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        let e = exchange(
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
        let t2 = exchange(&k, &form).await.unwrap();
        crate::endpoints::revoke::revoke(
            &k.p,
            Some(&basic("web", k.secret)),
            &q(&format!("token={}", t2.refresh_token.unwrap())),
            None,
        )
        .await
        .unwrap();
        assert_eq!(
            exchange(&k, &form).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
    }

    #[tokio::test]
    async fn password_grant_only_for_allowed_clients_and_right_credentials() {
        let k = kit().await;
        // Give Ada a real password.
        let mut ada = k.p.store.user_by_id("user-1").await.unwrap().unwrap();
        ada.password_hash = crate::services::accounts::hash_password(
            &k.p,
            crate::protocol::secret::Secret::new("correct horse battery"),
        )
        .await
        .unwrap();
        k.p.store.upsert_user_by_email(&ada).await.unwrap();
        let pw = |client: &'static str, password: &'static str, scope: &'static str| {
            let k = &k;
            async move {
                token(
                    &k.p,
                    Some(&basic(client, k.secret)),
                    &q(&format!(
                        "grant_type=password&username=ada@example.com&password={password}{scope}"
                    )),
                    None,
                )
                .await
            }
        };
        let t = pw(
            "legacy",
            "correct horse battery",
            "&scope=openid email offline_access",
        )
        .await
        .unwrap();
        assert_eq!(t.scope, "openid email offline_access");
        assert!(t.refresh_token.is_some());
        let id = k.p.keys.verify(t.id_token.as_deref().unwrap()).unwrap();
        assert_eq!(id.claims["sub"], "user-1");
        assert_eq!(id.claims["acr"], "1");
        assert_eq!(id.claims["auth_time"], T0);
        let info = crate::endpoints::userinfo::userinfo(&k.p, &t.access_token)
            .await
            .unwrap();
        assert_eq!(info["email"], "ada@example.com");
        // No openid: no id_token.
        let t = pw("legacy", "correct horse battery", "&scope=email")
            .await
            .unwrap();
        assert!(t.id_token.is_none());
        assert_eq!(
            pw("legacy", "wrong", "&scope=openid")
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidGrant
        );
        assert_eq!(
            pw("legacy", "correct horse battery", "&scope=admin")
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidScope
        );
        assert_eq!(
            pw("web", "correct horse battery", "")
                .await
                .unwrap_err()
                .code,
            ErrorCode::UnauthorizedClient
        );
        let e = token(
            &k.p,
            Some(&basic("legacy", k.secret)),
            &q("grant_type=password&username=ada@example.com"),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
    }

    #[tokio::test]
    async fn the_password_grant_requires_a_scope_it_has_no_consent_screen() {
        let k = kit().await;
        let mut ada = k.p.store.user_by_id("user-1").await.unwrap().unwrap();
        ada.password_hash = crate::services::accounts::hash_password(
            &k.p,
            crate::protocol::secret::Secret::new("correct horse battery"),
        )
        .await
        .unwrap();
        k.p.store.upsert_user_by_email(&ada).await.unwrap();
        // Before, no scope meant every scope the client is registered for.
        for scope in ["", "&scope=", "&scope=  "] {
            let e = token(
                &k.p,
                Some(&basic("legacy", k.secret)),
                &q(&format!(
                    "grant_type=password&username=ada@example.com&password=correct horse battery{scope}"
                )),
                None,
            )
            .await
            .unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidScope, "{scope:?}");
            assert_eq!(e.description(), "scope is required with the password grant");
        }
    }

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

    #[tokio::test]
    async fn refresh_tokens_expire() {
        let k = kit().await;
        let t = tokens_for(&k).await;
        k.clock.advance(k.p.config.refresh_token_ttl + 1);
        let e = exchange(
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
    async fn no_offline_access_no_refresh_token_and_no_openid_no_id_token() {
        let k = kit().await;
        let s = k.session(T0).await;
        let query = format!("client_id=web&redirect_uri={CB}&response_type=code&scope=email");
        let Outcome::Redirect(url) = authorize(&k.p, &q(&query), Some(&s)).await else {
            panic!()
        };
        let code = redirect_params(&url).remove("code").unwrap();
        let t = exchange(
            &k,
            &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
        )
        .await
        .unwrap();
        assert!(t.refresh_token.is_none());
        assert!(t.id_token.is_none());
        let e = crate::endpoints::userinfo::userinfo(&k.p, &t.access_token)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InsufficientScope);
    }

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
        let t = exchange(
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
        let at = k.p.keys.verify(&t.access_token).unwrap();
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
        let e = exchange(&k, "grant_type=client_credentials")
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
    }

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

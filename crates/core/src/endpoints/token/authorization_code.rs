//! grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6).

use crate::infra::provider::Provider;
use crate::model::Client;
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::pkce;
use crate::protocol::secret::lookup_hash;
use crate::services::tokens::{TokenResponse, UserGrant, issue_for_user};
use crate::services::{accounts, grants};

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
    if !accounts::usable_id(p, &c.user_id).await? {
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
            amr: &c.amr,
            rotates: None,
        },
    )
    .await
}

#[cfg(test)]
mod tests {

    use crate::endpoints::authorize::{Outcome, authorize};
    use crate::endpoints::token::token;

    use crate::protocol::error::ErrorCode;
    use crate::testkit::*;

    #[tokio::test]
    async fn code_exchange_issues_all_three_tokens() {
        let k = kit().await;
        let t = tokens_for(&k).await;
        assert_eq!(t.token_type, "Bearer");
        assert_eq!(t.scope, "openid offline_access");
        assert!(t.refresh_token.is_some());
        let id = k.p.verify(t.id_token.as_deref().unwrap()).await.unwrap();
        assert_eq!(id.claims["nonce"], "n1");
        assert_eq!(id.claims["aud"], "web");
        assert_eq!(
            id.claims["at_hash"],
            crate::infra::jose::half_hash(&t.access_token)
        );
        let at = k.p.verify(&t.access_token).await.unwrap();
        assert_eq!(at.typ.as_deref(), Some("at+jwt"));
        assert_eq!(at.claims["client_id"], "web");
    }

    #[tokio::test]
    async fn a_code_works_once_and_its_replay_revokes_the_tokens() {
        let k = kit().await;
        let code = code_for(&k, "").await;
        let form = format!("grant_type=authorization_code&code={code}&redirect_uri={CB}");
        let t = token_request(&k, &form).await.unwrap();
        assert!(
            crate::endpoints::userinfo::userinfo(&k.p, &t.access_token)
                .await
                .is_ok()
        );
        assert_eq!(
            token_request(&k, &form).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        let e = crate::endpoints::userinfo::userinfo(&k.p, &t.access_token)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidToken);
        let r = token_request(
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
        let e = token_request(
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
        let e = token_request(
            &k,
            &format!(
                "grant_type=authorization_code&code={code}&redirect_uri=https://app.example/other"
            ),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
        let code = code_for(&k, "").await;
        let e = token_request(&k, &format!("grant_type=authorization_code&code={code}"))
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
            token_request(&k, &form(&c, "")).await.unwrap_err().code,
            ErrorCode::InvalidGrant
        );
        let c = code_for(&k, &pk).await;
        let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX";
        assert_eq!(
            token_request(&k, &form(&c, &format!("&code_verifier={wrong}")))
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidGrant
        );
        let c = code_for(&k, &pk).await;
        assert!(
            token_request(&k, &form(&c, &format!("&code_verifier={VERIFIER}")))
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
            token_request(&k, &form(&c, &format!("&code_verifier={VERIFIER}")))
                .await
                .is_ok()
        );
        // Downgrade: verifier without challenge.
        let c = code_for(&k, "").await;
        assert_eq!(
            token_request(&k, &form(&c, &format!("&code_verifier={VERIFIER}")))
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidGrant
        );
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
        let t = token_request(
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
    async fn a_code_is_not_exchanged_for_an_unusable_account() {
        let k = kit().await;
        let code = code_for(&k, "").await;
        k.disable_ada_only();
        let e = token_request(
            &k,
            &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, crate::protocol::error::ErrorCode::InvalidGrant);
    }
}

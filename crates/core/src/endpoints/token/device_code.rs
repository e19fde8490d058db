//! The device authorization grant (RFC 8628): the device authorization
//! endpoint (§3.1–3.2) and the device polling the token endpoint with
//! grant_type=urn:ietf:params:oauth:grant-type:device_code (§3.4–3.5).

use crate::infra::provider::Provider;
use crate::model::{Client, DeviceStatus};
use crate::protocol::error::{ErrorCode, OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::secret::lookup_hash;
use crate::services::tokens::{TokenResponse, UserGrant, issue_for_user};
use crate::services::{accounts, grants};

/// RFC 8628 §3.5: each slow_down adds this many seconds to the interval.
pub const SLOW_DOWN_STEP: i64 = 5;

/// The device polls the token endpoint.
pub async fn exchange(p: &Provider, client: &Client, params: &Params<'_>) -> Result<TokenResponse> {
    let code = params
        .get("device_code")
        .ok_or_else(|| OAuthError::invalid_request("device_code is missing"))?;
    let now = p.now();
    let hash = lookup_hash(code);
    let Some((d, too_soon)) = p
        .store
        .poll_device(&hash, &client.id, now, SLOW_DOWN_STEP)
        .await?
    else {
        return Err(OAuthError::invalid_grant("the device_code is not valid"));
    };
    if d.used_at.is_some() {
        return Err(OAuthError::invalid_grant(
            "the device_code was already used",
        ));
    }
    if d.expires_at <= now {
        return Err(OAuthError::new(
            ErrorCode::ExpiredToken,
            "the device_code has expired; start again",
        ));
    }
    let approval = match (d.status, d.approval) {
        (DeviceStatus::Denied, _) => {
            return Err(OAuthError::access_denied(
                "the user did not allow the device",
            ));
        }
        (DeviceStatus::Pending, _) if too_soon => {
            return Err(OAuthError::new(
                ErrorCode::SlowDown,
                format!("poll at most every {} seconds", d.interval),
            ));
        }
        (DeviceStatus::Pending, _) => {
            return Err(OAuthError::new(
                ErrorCode::AuthorizationPending,
                "the user has not finished yet",
            ));
        }
        (DeviceStatus::Approved, Some(a)) => a,
        (DeviceStatus::Approved, None) => {
            return Err(OAuthError::server_error("approved device without approval"));
        }
    };
    if !p.store.take_device(&hash, now).await? {
        return Err(OAuthError::invalid_grant(
            "the device_code was already used",
        ));
    }
    if grants::live_grant(p, &approval.grant_id).await?.is_none()
        || !accounts::usable_id(p, &approval.user_id).await?
    {
        return Err(OAuthError::invalid_grant("the grant has been revoked"));
    }
    issue_for_user(
        p,
        UserGrant {
            client,
            user_id: &approval.user_id,
            grant_id: &approval.grant_id,
            scopes: &d.scopes,
            refresh_scopes: &d.scopes,
            auth_time: approval.auth_time,
            nonce: None,
            acr: approval.acr.as_deref(),
            amr: &approval.amr,
            rotates: None,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::device::verify::{Attempt, CodeError, decide, lookup};
    use crate::endpoints::device::{DeviceAuthorizationResponse, authorize_device};
    use crate::endpoints::token::token;
    use crate::infra::clock::Clock;
    use crate::protocol::types::GRANT_DEVICE_CODE;
    use crate::testkit::*;

    fn form(s: &str) -> Vec<(String, String)> {
        q(s)
    }

    async fn start(k: &Kit, scope: &str) -> DeviceAuthorizationResponse {
        authorize_device(
            &k.p,
            None,
            &form(&format!("client_id=tv&scope={scope}")),
            None,
        )
        .await
        .unwrap()
    }

    async fn poll(k: &Kit, device_code: &str) -> Result<TokenResponse> {
        token(
            &k.p,
            None,
            &form(&format!(
                "client_id=tv&grant_type={GRANT_DEVICE_CODE}&device_code={device_code}"
            )),
            None,
        )
        .await
    }

    fn code_of(e: Result<TokenResponse>) -> ErrorCode {
        e.map(|_| ()).unwrap_err().code
    }

    #[tokio::test]
    async fn the_response_names_the_page_and_the_code() {
        let k = kit().await;
        let r = start(&k, "openid").await;
        assert_eq!(r.verification_uri, format!("{ISSUER}/device"));
        assert_eq!(
            r.verification_uri_complete,
            format!("{ISSUER}/device?user_code={}", r.user_code)
        );
        assert_eq!((r.expires_in, r.interval), (600, 5));
        assert_eq!(r.user_code.len(), 9);
        assert_eq!(&r.user_code[4..5], "-");
        assert!(r.device_code.len() >= 43, "at least 256 bits");
        let e = authorize_device(&k.p, None, &form("client_id=spa&scope=openid"), None)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
        let e = authorize_device(&k.p, None, &form("client_id=tv&scope=admin"), None)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope);
    }

    #[tokio::test]
    async fn every_polling_answer() {
        let k = kit().await;
        let r = start(&k, "openid offline_access").await;
        assert_eq!(
            code_of(poll(&k, &r.device_code).await),
            ErrorCode::AuthorizationPending
        );
        assert_eq!(
            code_of(poll(&k, &r.device_code).await),
            ErrorCode::SlowDown,
            "no wait since the last poll"
        );
        k.clock.advance(5);
        assert_eq!(
            code_of(poll(&k, &r.device_code).await),
            ErrorCode::SlowDown,
            "the interval is now 10 seconds"
        );
        k.clock.advance(15);
        assert_eq!(
            code_of(poll(&k, &r.device_code).await),
            ErrorCode::AuthorizationPending
        );
        let s = k.session(k.clock.now()).await;
        let who = Attempt {
            session: &s,
            ip: None,
        };
        let info = lookup(&k.p, who, &r.user_code.to_lowercase())
            .await
            .unwrap();
        assert_eq!(info.client_name, "TV");
        assert!(decide(&k.p, who, &r.user_code, true).await.unwrap());
        k.clock.advance(20);
        let t = poll(&k, &r.device_code).await.unwrap();
        assert!(t.refresh_token.is_some());
        let id = k.p.verify(t.id_token.as_deref().unwrap()).await.unwrap();
        assert_eq!(id.claims["aud"], "tv");
        assert_eq!(id.claims["acr"], "1");
        k.clock.advance(20);
        assert_eq!(
            code_of(poll(&k, &r.device_code).await),
            ErrorCode::InvalidGrant,
            "tokens are issued once"
        );
        assert_eq!(
            decide(&k.p, who, &r.user_code, true).await,
            Err(CodeError::Used)
        );
    }

    #[tokio::test]
    async fn refusal_and_expiry() {
        let k = kit().await;
        let r = start(&k, "openid").await;
        let s = k.session(k.clock.now()).await;
        let who = Attempt {
            session: &s,
            ip: None,
        };
        assert!(!decide(&k.p, who, &r.user_code, false).await.unwrap());
        assert_eq!(
            code_of(poll(&k, &r.device_code).await),
            ErrorCode::AccessDenied
        );
        let r = start(&k, "openid").await;
        k.clock.advance(600);
        assert_eq!(
            code_of(poll(&k, &r.device_code).await),
            ErrorCode::ExpiredToken
        );
        assert_eq!(
            lookup(&k.p, who, &r.user_code).await,
            Err(CodeError::Expired)
        );
    }

    #[tokio::test]
    async fn device_codes_are_bound_to_their_client() {
        let k = kit().await;
        let r = start(&k, "openid").await;
        let e = token(
            &k.p,
            None,
            &form(&format!(
                "client_id=spa&grant_type={GRANT_DEVICE_CODE}&device_code={}",
                r.device_code
            )),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
        let mut tv2 = k.p.store.client("tv").await.unwrap().unwrap();
        tv2.id = "tv2".into();
        k.p.upsert_client(&tv2).await.unwrap();
        let e = token(
            &k.p,
            None,
            &form(&format!(
                "client_id=tv2&grant_type={GRANT_DEVICE_CODE}&device_code={}",
                r.device_code
            )),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
    }

    #[tokio::test]
    async fn wrong_codes_lock_the_user_out_and_right_ones_do_not_count() {
        let k = kit().await;
        let r = start(&k, "openid").await;
        let s = k.session(k.clock.now()).await;
        let who = Attempt {
            session: &s,
            ip: None,
        };
        // Looking up a real code is not a guess: it never counts.
        for _ in 0..20 {
            assert!(lookup(&k.p, who, &r.user_code).await.is_ok());
        }
        for i in 1..crate::services::lockout::USER_CODE.free {
            assert_eq!(
                lookup(&k.p, who, "BBBB-BBBB").await.unwrap_err(),
                CodeError::Invalid,
                "wrong code {i}"
            );
        }
        assert_eq!(
            lookup(&k.p, who, "not a code").await.unwrap_err(),
            CodeError::Throttled(30),
            "the tenth wrong code locks"
        );
        assert_eq!(
            lookup(&k.p, who, &r.user_code).await.unwrap_err(),
            CodeError::Throttled(30),
            "even the right code waits"
        );
        // A new session of the same user is still locked; another user not.
        let again = k.session(k.clock.now() - 1).await;
        let same_user = Attempt {
            session: &again,
            ip: None,
        };
        assert!(matches!(
            lookup(&k.p, same_user, &r.user_code).await,
            Err(CodeError::Throttled(_))
        ));
        let other = crate::model::Session {
            user_id: "user-2".into(),
            ..again.clone()
        };
        let other_user = Attempt {
            session: &other,
            ip: None,
        };
        assert!(lookup(&k.p, other_user, &r.user_code).await.is_ok());
        k.clock.advance(30);
        assert!(lookup(&k.p, who, &r.user_code).await.is_ok());
    }

    #[tokio::test]
    async fn an_approved_device_gets_no_tokens_for_an_unusable_account() {
        let k = kit().await;
        let r = start(&k, "openid").await;
        let s = k.session(k.clock.now()).await;
        let who = Attempt {
            session: &s,
            ip: None,
        };
        assert!(decide(&k.p, who, &r.user_code, true).await.unwrap());
        k.disable_ada_only();
        k.clock.advance(20);
        assert_eq!(
            code_of(poll(&k, &r.device_code).await),
            ErrorCode::InvalidGrant
        );
    }
}

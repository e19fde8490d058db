//! Second factors against the memory store, the manual clock and a
//! software passkey.

use super::*;
use crate::endpoints::authorize::{Outcome, Screen, authorize, consent};
use crate::endpoints::token::token;
use crate::infra::clock::Clock;
use crate::infra::passkey::{Off, RelyingParty};
use crate::model::{Entrypoint, Session};
use crate::testkit::*;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse, Url};

async fn ada(k: &Kit) -> User {
    k.p.store.user_by_id("user-1").await.unwrap().unwrap()
}

/// The key behind a "Setup key" (base32, in groups).
fn key_of(setup_key: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for c in setup_key.chars().filter(|c| !c.is_whitespace()) {
        let v = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).unwrap() as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

/// Ada's audit entries, newest first.
async fn audit_of_ada(k: &Kit) -> Vec<crate::model::AuditRecord> {
    k.p.store
        .audit_log(&crate::model::AuditFilter {
            user_id: Some("user-1".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
}

fn code_now(k: &Kit, key: &[u8]) -> String {
    totp::code_at_step(key, totp::DIGITS, totp::step_of(k.clock.now()))
}

/// Ada with an authenticator app; returns its key and recovery codes.
async fn with_app(k: &Kit) -> (Vec<u8>, Vec<String>) {
    let user = ada(k).await;
    let start = start_totp(&k.p, &user).await.unwrap();
    let key = key_of(&start.setup_key);
    let added = confirm_totp(&k.p, &user, &start.ceremony, &code_now(k, &key), None)
        .await
        .unwrap();
    // The code used to turn it on cannot be used again: the next sign-in
    // waits for the next step.
    k.clock.advance(30);
    (key, added.recovery_codes)
}

#[tokio::test]
async fn turning_on_an_app_needs_its_code_and_gives_ten_recovery_codes_once() {
    let k = kit().await;
    let user = ada(&k).await;
    let start = start_totp(&k.p, &user).await.unwrap();
    assert!(
        start
            .otpauth_uri
            .starts_with("otpauth://totp/id.example:ada%40example.com?secret="),
        "{}",
        start.otpauth_uri
    );
    assert!(
        start
            .otpauth_uri
            .contains(&start.setup_key.replace(' ', ""))
    );
    let key = key_of(&start.setup_key);
    assert_eq!(key.len(), totp::SECRET_LEN);
    // A wrong code leaves the setup open for another try.
    assert!(matches!(
        confirm_totp(&k.p, &user, &start.ceremony, "000000", None).await,
        Err(FactorError::InvalidCode)
    ));
    // Someone else's session cannot finish it.
    let mut eve = user.clone();
    eve.id = "user-2".into();
    assert!(matches!(
        confirm_totp(&k.p, &eve, &start.ceremony, &code_now(&k, &key), None).await,
        Err(FactorError::Expired)
    ));
    let added = confirm_totp(&k.p, &user, &start.ceremony, &code_now(&k, &key), None)
        .await
        .unwrap();
    assert_eq!(added.recovery_codes.len(), RECOVERY_CODES);
    assert_eq!(added.method, amr::OTP);
    // Once: the ceremony is used up.
    assert!(matches!(
        confirm_totp(&k.p, &user, &start.ceremony, &code_now(&k, &key), None).await,
        Err(FactorError::Expired)
    ));
    // The key is sealed at rest, bound to its factor.
    let f = &k.p.store.factors("user-1").await.unwrap()[0];
    assert_eq!(f.kind, FactorKind::Totp);
    let b32 = start.setup_key.replace(' ', "");
    assert!(!f.secret.contains(&b32) && !f.secret.contains(&b32.to_lowercase()));
    assert_eq!(
        k.p.sealing.open(&totp_context(&f.id), &f.secret).unwrap(),
        key
    );
    assert_eq!(k.p.sealing.open(&totp_context("other"), &f.secret), None);
    // A second app is refused (one per account); recovery codes are not
    // dealt again.
    let again = start_totp(&k.p, &user).await.unwrap();
    k.clock.advance(30);
    let key2 = key_of(&again.setup_key);
    assert!(matches!(
        confirm_totp(&k.p, &user, &again.ceremony, &code_now(&k, &key2), None).await,
        Err(FactorError::Expired)
    ));
    assert_eq!(k.p.store.recovery_codes_left("user-1").await.unwrap(), 10);
}

#[tokio::test]
async fn the_app_setup_expires() {
    let k = kit().await;
    let user = ada(&k).await;
    let start = start_totp(&k.p, &user).await.unwrap();
    let key = key_of(&start.setup_key);
    k.clock.advance(CEREMONY_TTL + 1);
    assert!(matches!(
        confirm_totp(&k.p, &user, &start.ceremony, &code_now(&k, &key), None).await,
        Err(FactorError::Expired)
    ));
}

#[tokio::test]
async fn an_app_code_works_once_within_one_step_of_skew() {
    let k = kit().await;
    let (key, _) = with_app(&k).await;
    let now_step = totp::step_of(k.clock.now());
    let code = code_now(&k, &key);
    assert_eq!(
        check_code(&k.p, "user-1", &code, false, None)
            .await
            .unwrap(),
        amr::OTP
    );
    // Replayed in the same step: refused.
    assert!(matches!(
        check_code(&k.p, "user-1", &code, false, None).await,
        Err(FactorError::InvalidCode)
    ));
    // The next step's code (a phone one step ahead) works; after it, the
    // current step's code is older than the last used and is refused.
    let ahead = totp::code_at_step(&key, totp::DIGITS, now_step + 1);
    assert!(
        check_code(&k.p, "user-1", &ahead, false, None)
            .await
            .is_ok()
    );
    // Two steps away is outside the skew.
    k.clock.advance(30);
    let far = totp::code_at_step(&key, totp::DIGITS, now_step + 3);
    assert!(matches!(
        check_code(&k.p, "user-1", &far, false, None).await,
        Err(FactorError::InvalidCode)
    ));
    let late = totp::code_at_step(&key, totp::DIGITS, now_step - 1);
    assert!(
        check_code(&k.p, "user-1", &late, false, None)
            .await
            .is_err()
    );
    // The wrong codes were audited.
    let log = audit_of_ada(&k).await;
    assert!(log.iter().any(|r| r.event == "second_factor.failed"));
}

#[tokio::test]
async fn guessing_app_codes_locks_the_account_even_for_the_right_code() {
    let k = kit().await;
    let (key, _) = with_app(&k).await;
    for _ in 0..lockout::SECOND_FACTOR.free {
        assert!(matches!(
            check_code(&k.p, "user-1", "000000", false, None).await,
            Err(FactorError::InvalidCode | FactorError::Locked(_))
        ));
    }
    assert!(matches!(
        check_code(&k.p, "user-1", &code_now(&k, &key), false, None).await,
        Err(FactorError::Locked(_))
    ));
    // Recovery codes count under the same lock.
    assert!(matches!(
        check_code(&k.p, "user-1", "aaaaa-aaaaa", true, None).await,
        Err(FactorError::Locked(_))
    ));
}

#[tokio::test]
async fn recovery_codes_work_once_and_a_new_set_replaces_the_old() {
    let k = kit().await;
    let (_, codes) = with_app(&k).await;
    assert_eq!(codes.len(), 10);
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-')
    );
    let distinct: std::collections::HashSet<_> = codes.iter().collect();
    assert_eq!(distinct.len(), 10);
    // Typed loosely (capitals, spaces, no hyphen) it still works, once.
    let loose = codes[0].to_uppercase().replace('-', " ");
    assert_eq!(
        check_code(&k.p, "user-1", &loose, true, None)
            .await
            .unwrap(),
        amr::OTP
    );
    assert!(matches!(
        check_code(&k.p, "user-1", &codes[0], true, None).await,
        Err(FactorError::InvalidCode)
    ));
    assert_eq!(k.p.store.recovery_codes_left("user-1").await.unwrap(), 9);
    // A recovery code is not an app code, nor the other way round.
    assert!(
        check_code(&k.p, "user-1", &codes[1], false, None)
            .await
            .is_err()
    );
    // Another account's code does not work here.
    let fresh = new_recovery_codes(&k.p, "user-1").await.unwrap();
    assert!(matches!(
        check_code(&k.p, "user-1", &codes[2], true, None).await,
        Err(FactorError::InvalidCode)
    ));
    assert!(
        check_code(&k.p, "user-1", &fresh[0], true, None)
            .await
            .is_ok()
    );
    // Only keyed hashes are kept: no code appears in the store's debug.
    let shown = format!("{:?}", k.p.store.factors("user-1").await.unwrap());
    assert!(!shown.contains(&fresh[1]));
}

#[tokio::test]
async fn the_password_step_waits_once_and_not_for_ever() {
    let k = kit().await;
    let c = begin_second_factor(&k.p, "user-1", &[amr::PWD])
        .await
        .unwrap();
    assert_eq!(
        pending(&k.p, &c).await.unwrap(),
        Some(("user-1".into(), vec!["pwd".into()]))
    );
    assert!(finish_second_factor(&k.p, &c).await.unwrap());
    assert!(!finish_second_factor(&k.p, &c).await.unwrap());
    assert_eq!(pending(&k.p, &c).await.unwrap(), None);
    let c = begin_second_factor(&k.p, "user-1", &[amr::PWD])
        .await
        .unwrap();
    k.clock.advance(SECOND_FACTOR_TTL + 1);
    assert_eq!(pending(&k.p, &c).await.unwrap(), None);
    assert!(!finish_second_factor(&k.p, &c).await.unwrap());
    assert_eq!(pending(&k.p, "").await.unwrap(), None);
    assert_eq!(pending(&k.p, &"x".repeat(500)).await.unwrap(), None);
}

#[tokio::test]
async fn who_needs_what_under_each_policy() {
    let k = kit().await;
    let pwd = vec!["pwd".to_owned()];
    let mfa_amr = with_second_factor(&pwd, &[amr::OTP]);
    assert_eq!(mfa_amr, ["pwd", "otp", "mfa"]);
    use MfaPolicy::*;
    for (policy, want) in [
        (Off, Need::Nothing),
        (Optional, Need::Nothing),
        (Required, Need::Enrol),
    ] {
        assert_eq!(need(&k.p, "user-1", &pwd, policy).await.unwrap(), want);
    }
    with_app(&k).await;
    for (policy, want) in [
        (Off, Need::Nothing),
        (Optional, Need::SecondFactor),
        (Required, Need::SecondFactor),
    ] {
        assert_eq!(need(&k.p, "user-1", &pwd, policy).await.unwrap(), want);
        assert_eq!(
            need(&k.p, "user-1", &mfa_amr, policy).await.unwrap(),
            Need::Nothing
        );
    }
}

/// A request stored behind the login screen; `extra` may carry `scope`.
fn stored_request(k: &Kit, extra: &str) -> impl std::future::Future<Output = String> {
    let scope = if extra.contains("scope=") {
        ""
    } else {
        "&scope=openid"
    };
    let query = format!("client_id=web&redirect_uri={CB}&response_type=code&nonce=n{scope}{extra}");
    let p = &k.p;
    async move {
        let Outcome::Interaction { request_id, .. } = authorize(p, &q(&query), None).await else {
            panic!("expected the login screen")
        };
        request_id
    }
}

#[tokio::test]
async fn the_policy_comes_from_the_entrypoint_the_client_and_acr_values() {
    let k = kit().await;
    assert_eq!(policy_for(&k.p, None).await.unwrap(), MfaPolicy::Optional);
    let plain = stored_request(&k, "").await;
    assert_eq!(
        policy_for(&k.p, Some(&plain)).await.unwrap(),
        MfaPolicy::Optional
    );
    let asks = stored_request(&k, "&acr_values=urn:portico:acr:mfa").await;
    assert_eq!(
        policy_for(&k.p, Some(&asks)).await.unwrap(),
        MfaPolicy::Required
    );
    // A value Portico prefers lower wins over mfa further down the list.
    let lower = stored_request(&k, "&acr_values=1 urn:portico:acr:mfa").await;
    assert_eq!(
        policy_for(&k.p, Some(&lower)).await.unwrap(),
        MfaPolicy::Optional
    );
    let mut shop = Entrypoint::new("shop", "The Shop");
    shop.mfa = MfaPolicy::Off;
    k.p.store.upsert_entrypoint(&shop).await.unwrap();
    let at_shop = stored_request(&k, "&scope=openid shop").await;
    assert_eq!(
        policy_for(&k.p, Some(&at_shop)).await.unwrap(),
        MfaPolicy::Off
    );
    let mut web = k.p.client("web").await.unwrap().unwrap();
    web.require_mfa = true;
    k.p.upsert_client(&web).await.unwrap();
    assert_eq!(
        policy_for(&k.p, Some(&at_shop)).await.unwrap(),
        MfaPolicy::Required
    );
}

async fn session_with(k: &Kit, amr: &[&str]) -> Session {
    let s = Session {
        id_hash: format!("s-{}", amr.join("-")),
        user_id: "user-1".into(),
        auth_time: k.clock.now(),
        amr: amr.iter().map(|m| (*m).to_owned()).collect(),
        created_at: k.clock.now(),
        expires_at: k.clock.now() + 3600,
    };
    k.p.store.create_session(&s).await.unwrap();
    s
}

#[tokio::test]
async fn asking_for_mfa_steps_a_password_session_up_or_enrols() {
    let k = kit().await;
    let ask = format!(
        "client_id=web&redirect_uri={CB}&response_type=code&scope=openid&nonce=n&acr_values=urn:portico:acr:mfa"
    );
    let pwd = session_with(&k, &["pwd"]).await;
    // No factor yet: enrol.
    assert!(matches!(
        authorize(&k.p, &q(&ask), Some(&pwd)).await,
        Outcome::Interaction {
            screen: Screen::Enrol,
            ..
        }
    ));
    with_app(&k).await;
    // A factor: step up.
    let Outcome::Interaction {
        screen: Screen::SecondFactor,
        request_id,
    } = authorize(&k.p, &q(&ask), Some(&pwd)).await
    else {
        panic!("expected the second-factor screen")
    };
    // Finishing the request with the password session is no way around it.
    assert!(matches!(
        crate::endpoints::authorize::complete(&k.p, &request_id, &pwd, true).await,
        Ok(Outcome::Interaction {
            screen: Screen::SecondFactor,
            ..
        })
    ));
    // prompt=none cannot give a second factor.
    let url = redirect_url(authorize(&k.p, &q(&format!("{ask}&prompt=none")), Some(&pwd)).await);
    assert_eq!(redirect_params(&url)["error"], "login_required");
    // A multi-factor session answers at once, and the claims say so.
    let both = session_with(&k, &["pwd", "otp", "mfa"]).await;
    let url = redirect_url(authorize(&k.p, &q(&ask), Some(&both)).await);
    let code = redirect_params(&url).remove("code").unwrap();
    let t = token_request(
        &k,
        &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
    )
    .await
    .unwrap();
    let c = k.p.verify(&t.id_token.unwrap()).await.unwrap().claims;
    assert_eq!(c["acr"], ACR_MFA);
    assert_eq!(c["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
}

#[tokio::test]
async fn an_account_with_a_factor_gives_it_unless_the_entrypoint_is_off() {
    let k = kit().await;
    with_app(&k).await;
    let pwd = session_with(&k, &["pwd"]).await;
    let plain = format!("client_id=web&redirect_uri={CB}&response_type=code&nonce=n");
    assert!(matches!(
        authorize(&k.p, &q(&format!("{plain}&scope=openid")), Some(&pwd)).await,
        Outcome::Interaction {
            screen: Screen::SecondFactor,
            ..
        }
    ));
    let mut shop = Entrypoint::new("shop", "The Shop");
    shop.mfa = MfaPolicy::Off;
    k.p.store.upsert_entrypoint(&shop).await.unwrap();
    let url =
        redirect_url(authorize(&k.p, &q(&format!("{plain}&scope=openid shop")), Some(&pwd)).await);
    let code = redirect_params(&url).remove("code").unwrap();
    let t = token_request(
        &k,
        &format!("grant_type=authorization_code&code={code}&redirect_uri={CB}"),
    )
    .await
    .unwrap();
    let c = k.p.verify(&t.id_token.unwrap()).await.unwrap().claims;
    assert_eq!(c["acr"], "0");
    assert_eq!(c["amr"], serde_json::json!(["pwd"]));
}

#[tokio::test]
async fn consent_is_no_way_around_the_second_factor() {
    let k = kit().await;
    with_app(&k).await;
    let both = session_with(&k, &["pwd", "otp", "mfa"]).await;
    // The third-party client asks for consent with a multi-factor session.
    let query = format!("client_id=rp&redirect_uri={CB}&response_type=code&scope=openid&nonce=n");
    let Outcome::Interaction {
        screen: Screen::Consent,
        request_id,
    } = authorize(&k.p, &q(&query), Some(&both)).await
    else {
        panic!("expected consent")
    };
    // A password-only session of the same account cannot consent to it.
    let pwd = session_with(&k, &["pwd"]).await;
    assert_eq!(
        consent(&k.p, &request_id, &pwd, true)
            .await
            .unwrap_err()
            .code,
        crate::ErrorCode::LoginRequired
    );
    assert!(matches!(
        consent(&k.p, &request_id, &both, true).await.unwrap(),
        Outcome::Redirect(_)
    ));
}

#[tokio::test]
async fn the_password_grant_refuses_an_account_with_a_second_factor() {
    let k = kit().await;
    let mut ada = ada(&k).await;
    ada.password_hash = crate::services::accounts::hash_password(
        &k.p,
        crate::protocol::secret::Secret::new("correct horse battery"),
    )
    .await
    .unwrap();
    k.p.store.upsert_user_by_email(&ada).await.unwrap();
    let auth = basic("legacy", k.secret);
    let form = q(
        "grant_type=password&username=ada@example.com&password=correct horse battery&scope=openid",
    );
    let grant = || token(&k.p, Some(&auth), &form, None);
    let t = grant().await.unwrap();
    let c = k.p.verify(&t.id_token.unwrap()).await.unwrap().claims;
    assert_eq!(c["amr"], serde_json::json!(["pwd"]));
    with_app(&k).await;
    let e = grant().await.unwrap_err();
    assert_eq!(e.code, crate::ErrorCode::InvalidGrant);
    assert!(
        e.description().contains("second factor"),
        "{}",
        e.description()
    );
}

// ---------------------------------------------------------------------
// Passkeys, with webauthn-authenticator-rs's software passkey.

const ORIGIN: &str = "https://id.example";

/// The browser's side of registration. The software passkey keeps no
/// resident keys, so the request for one is dropped here (the server's
/// checks do not depend on it).
fn register(soft: &mut SoftPasskey, options: &str, origin: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(options).unwrap();
    assert_eq!(
        v.pointer("/publicKey/authenticatorSelection/residentKey"),
        Some(&serde_json::json!("required"))
    );
    assert_eq!(
        v.pointer("/publicKey/authenticatorSelection/userVerification"),
        Some(&serde_json::json!("required"))
    );
    assert_eq!(
        v.pointer("/publicKey/rp/id"),
        Some(&serde_json::json!("id.example"))
    );
    let sel = v
        .pointer_mut("/publicKey/authenticatorSelection")
        .unwrap()
        .as_object_mut()
        .unwrap();
    sel.insert("requireResidentKey".into(), false.into());
    sel.remove("residentKey");
    let ccr: CreationChallengeResponse = serde_json::from_value(v).unwrap();
    let reg = soft
        .do_registration(Url::parse(origin).unwrap(), ccr)
        .unwrap();
    serde_json::to_string(&reg).unwrap()
}

/// The browser's side of a discoverable sign-in: a resident key would be
/// found by rpId and return its user handle; the software passkey is told
/// its credential and the handle is added to its answer (the signature
/// does not cover it).
fn assert_with(
    soft: &mut SoftPasskey,
    options: &str,
    cred_id: &str,
    user_id: &str,
    origin: &str,
) -> String {
    let mut v: serde_json::Value = serde_json::from_str(options).unwrap();
    assert_eq!(
        v.pointer("/publicKey/allowCredentials"),
        Some(&serde_json::json!([])),
        "a discoverable sign-in names no credential"
    );
    v["publicKey"]["allowCredentials"] =
        serde_json::json!([{ "type": "public-key", "id": cred_id }]);
    let rcr: RequestChallengeResponse = serde_json::from_value(v).unwrap();
    let cred = soft
        .do_authentication(Url::parse(origin).unwrap(), rcr)
        .unwrap();
    let mut out = serde_json::to_value(&cred).unwrap();
    use base64::Engine;
    let handle = crate::infra::passkey::user_handle(user_id);
    out["response"]["userHandle"] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(handle.as_bytes())
        .into();
    out.to_string()
}

/// The same answer as if made on the page at `origin`.
fn with_origin(credential: &str, origin: &str) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut v: serde_json::Value = serde_json::from_str(credential).unwrap();
    let raw = v["response"]["clientDataJSON"].as_str().unwrap().to_owned();
    let mut cd: serde_json::Value =
        serde_json::from_slice(&b64.decode(raw.trim_end_matches('=')).unwrap()).unwrap();
    assert!(cd["origin"].as_str().unwrap().starts_with(ORIGIN));
    cd["origin"] = origin.into();
    v["response"]["clientDataJSON"] = b64.encode(cd.to_string()).into();
    v.to_string()
}

#[tokio::test]
async fn a_passkey_registers_and_signs_in_on_its_own() {
    let k = kit().await;
    let user = ada(&k).await;
    let mut soft = SoftPasskey::new(true);
    let reg = start_passkey_registration(&k.p, &user).await.unwrap();
    let credential = register(&mut soft, &reg.options, ORIGIN);
    let added = finish_passkey_registration(&k.p, &user, &reg.ceremony, &credential, "", None)
        .await
        .unwrap();
    assert_eq!(added.factor.kind, FactorKind::Passkey);
    assert_eq!(added.factor.name, "Passkey 1");
    assert_eq!(added.recovery_codes.len(), 10, "the first second factor");
    assert_eq!(added.method, amr::SWK);
    // The challenge is answered once.
    assert!(matches!(
        finish_passkey_registration(&k.p, &user, &reg.ceremony, &credential, "", None).await,
        Err(FactorError::Expired)
    ));
    let f = k.p.store.factors("user-1").await.unwrap().remove(0);
    let cred_id = f.credential_id.clone().unwrap();
    // A second registration excludes the first passkey.
    let again = start_passkey_registration(&k.p, &user).await.unwrap();
    assert!(again.options.contains(&cred_id), "{}", again.options);

    // Sign in with it: no email, and it is multi-factor on its own.
    let signin = start_passkey_sign_in(&k.p, false).await.unwrap();
    assert!(!signin.options.contains("conditional"));
    let assertion = assert_with(&mut soft, &signin.options, &cred_id, "user-1", ORIGIN);
    let who = finish_passkey_sign_in(&k.p, &signin.ceremony, &assertion)
        .await
        .unwrap();
    assert_eq!(who.id, "user-1");
    assert!(amr::is_mfa(&PASSKEY_AMR.map(str::to_owned)));
    let used = k.p.store.factors("user-1").await.unwrap().remove(0);
    assert_eq!(used.last_used_at, Some(k.clock.now()));
    // The same assertion again: the challenge is gone.
    assert!(matches!(
        finish_passkey_sign_in(&k.p, &signin.ceremony, &assertion).await,
        Err(FactorError::Expired)
    ));
    // Conditional UI asks for mediation.
    let cond = start_passkey_sign_in(&k.p, true).await.unwrap();
    assert!(cond.options.contains("\"mediation\":\"conditional\""));
}

#[tokio::test]
async fn a_passkey_answer_from_another_origin_or_for_another_account_is_refused() {
    let k = kit().await;
    let user = ada(&k).await;
    let mut soft = SoftPasskey::new(true);
    // Registration from another origin fails (the browser reports the
    // page's origin in clientDataJSON; "none" attestation signs nothing, so
    // the origin check is what stands).
    let reg = start_passkey_registration(&k.p, &user).await.unwrap();
    let bad = with_origin(
        &register(&mut soft, &reg.options, ORIGIN),
        "https://id.example.evil",
    );
    assert!(matches!(
        finish_passkey_registration(&k.p, &user, &reg.ceremony, &bad, "", None).await,
        Err(FactorError::Passkey(_))
    ));
    let reg = start_passkey_registration(&k.p, &user).await.unwrap();
    let good = register(&mut soft, &reg.options, ORIGIN);
    finish_passkey_registration(&k.p, &user, &reg.ceremony, &good, "Laptop", None)
        .await
        .unwrap();
    let cred_id = k.p.store.factors("user-1").await.unwrap()[0]
        .credential_id
        .clone()
        .unwrap();
    // An assertion made for another origin.
    let signin = start_passkey_sign_in(&k.p, false).await.unwrap();
    let a = with_origin(
        &assert_with(&mut soft, &signin.options, &cred_id, "user-1", ORIGIN),
        "https://evil.example",
    );
    assert!(matches!(
        finish_passkey_sign_in(&k.p, &signin.ceremony, &a).await,
        Err(FactorError::Passkey(_))
    ));
    // A user handle that is not the passkey's account.
    let signin = start_passkey_sign_in(&k.p, false).await.unwrap();
    let a = assert_with(&mut soft, &signin.options, &cred_id, "user-2", ORIGIN);
    assert!(matches!(
        finish_passkey_sign_in(&k.p, &signin.ceremony, &a).await,
        Err(FactorError::Passkey(_))
    ));
    // Expired challenge.
    let signin = start_passkey_sign_in(&k.p, false).await.unwrap();
    let a = assert_with(&mut soft, &signin.options, &cred_id, "user-1", ORIGIN);
    k.clock.advance(CEREMONY_TTL + 1);
    assert!(matches!(
        finish_passkey_sign_in(&k.p, &signin.ceremony, &a).await,
        Err(FactorError::Expired)
    ));
    // Garbage is a clear refusal, not a panic.
    let signin = start_passkey_sign_in(&k.p, false).await.unwrap();
    assert!(matches!(
        finish_passkey_sign_in(&k.p, &signin.ceremony, "{not json").await,
        Err(FactorError::Passkey(_))
    ));
}

#[tokio::test]
async fn removing_factors_is_audited_and_the_last_takes_the_recovery_codes() {
    let k = kit().await;
    with_app(&k).await;
    let user = ada(&k).await;
    let id = k.p.store.factors("user-1").await.unwrap()[0].id.clone();
    assert!(matches!(
        rename(&k.p, "user-1", &id, "  ").await,
        Err(FactorError::BadName)
    ));
    assert!(matches!(
        rename(&k.p, "user-2", &id, "Phone").await,
        Err(FactorError::NotFound)
    ));
    rename(&k.p, "user-1", &id, " Phone ").await.unwrap();
    assert_eq!(list(&k.p, "user-1").await.unwrap()[0].name, "Phone");
    let mut eve = user.clone();
    eve.id = "user-2".into();
    assert!(matches!(
        remove(&k.p, &eve, &id, None).await,
        Err(FactorError::NotFound)
    ));
    remove(&k.p, &user, &id, None).await.unwrap();
    assert!(list(&k.p, "user-1").await.unwrap().is_empty());
    assert_eq!(k.p.store.recovery_codes_left("user-1").await.unwrap(), 0);
    let log = audit_of_ada(&k).await;
    for event in ["factor.added", "factor.removed", "recovery_codes.created"] {
        assert!(log.iter().any(|r| r.event == event), "{event}");
    }
}

#[tokio::test]
async fn adding_and_removing_mails_a_notice_when_mail_is_on() {
    let k = mailing_kit().await;
    with_app(&k).await;
    let user = ada(&k).await;
    let id = k.p.store.factors("user-1").await.unwrap()[0].id.clone();
    remove(&k.p, &user, &id, Some("es")).await.unwrap();
    let mails = queued_mails(&k).await;
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert!(
        subjects.iter().any(|s| s.contains("was added")),
        "{subjects:?}"
    );
    assert!(
        subjects.iter().any(|s| s.contains("Se quitó")),
        "{subjects:?}"
    );
    assert!(mails.iter().all(|m| m.recipient == "ada@example.com"));
}

#[test]
fn passkeys_are_off_for_an_ip_address_issuer_and_on_for_a_host_name() {
    assert!(matches!(
        RelyingParty::for_issuer("http://127.0.0.1:8080", "Portico"),
        Err(Off::IpAddress(_))
    ));
    assert!(matches!(
        RelyingParty::for_issuer("http://[::1]:8080", "Portico"),
        Err(Off::IpAddress(_))
    ));
    let why = RelyingParty::for_issuer("http://127.0.0.1:8080", "Portico")
        .err()
        .unwrap()
        .to_string();
    assert!(
        why.contains("IP address") && why.contains("localhost"),
        "{why}"
    );
    let rp = RelyingParty::for_issuer("http://localhost:8080", "Portico").unwrap();
    assert_eq!(rp.rp_id, "localhost");
    let rp = RelyingParty::for_issuer("https://id.example.com/", "Portico").unwrap();
    assert_eq!(rp.rp_id, "id.example.com");
}

#[test]
fn a_user_handle_is_stable_and_says_nothing_of_the_id() {
    let a = crate::infra::passkey::user_handle("user-1");
    assert_eq!(a, crate::infra::passkey::user_handle("user-1"));
    assert_ne!(a, crate::infra::passkey::user_handle("user-2"));
    assert!(!a.to_string().contains("user"));
}

#[tokio::test]
async fn the_device_page_works_with_a_multi_factor_session_and_says_so() {
    use crate::endpoints::device::authorize_device;
    use crate::endpoints::device::verify::{Attempt, decide};
    let k = kit().await;
    with_app(&k).await;
    let r = authorize_device(&k.p, None, &q("client_id=tv&scope=openid"), None)
        .await
        .unwrap();
    let both = session_with(&k, &["pwd", "otp", "mfa"]).await;
    let who = Attempt {
        session: &both,
        ip: None,
    };
    assert!(decide(&k.p, who, &r.user_code, true).await.unwrap());
    k.clock.advance(10);
    let t = token(
        &k.p,
        None,
        &q(&format!(
            "client_id=tv&grant_type={}&device_code={}",
            crate::protocol::types::GRANT_DEVICE_CODE,
            r.device_code
        )),
        None,
    )
    .await
    .unwrap();
    let c = k.p.verify(&t.id_token.unwrap()).await.unwrap().claims;
    assert_eq!(c["acr"], ACR_MFA);
    assert_eq!(c["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
}

#[tokio::test]
async fn a_passkey_signs_in_no_unusable_account() {
    let k = kit().await;
    let user = ada(&k).await;
    let mut soft = SoftPasskey::new(true);
    let reg = start_passkey_registration(&k.p, &user).await.unwrap();
    let credential = register(&mut soft, &reg.options, ORIGIN);
    finish_passkey_registration(&k.p, &user, &reg.ceremony, &credential, "", None)
        .await
        .unwrap();
    let cred_id = k.p.store.factors("user-1").await.unwrap()[0]
        .credential_id
        .clone()
        .unwrap();
    k.disable_ada_only();
    let signin = start_passkey_sign_in(&k.p, false).await.unwrap();
    let assertion = assert_with(&mut soft, &signin.options, &cred_id, "user-1", ORIGIN);
    assert!(matches!(
        finish_passkey_sign_in(&k.p, &signin.ceremony, &assertion).await,
        Err(FactorError::Passkey(_))
    ));
}

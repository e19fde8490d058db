//! Issue 18 over HTTP: authenticator apps set up through the account API,
//! the "Authentication code" step between the password and the session,
//! recovery codes, the lockout, policies per entrypoint and acr_values,
//! recent sign-ins for changes, and ceremonies that cross instances.
//! Passkeys need a browser origin: they are covered in core (a software
//! passkey) and in the browser tests.

use crate::common::*;
use crate::on_both_backends;
use portico_api_types::routes;
use portico_core::services::totp::{DIGITS, code_at_step, step_of};
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{Value, json};

on_both_backends!(
    an_authenticator_app_set_up_through_the_api_guards_the_next_sign_in,
    an_app_code_works_once,
    a_recovery_code_works_once_and_a_new_set_voids_the_old,
    five_wrong_codes_lock_the_step_even_for_the_right_code,
    the_password_grant_refuses_an_account_with_a_second_factor,
    a_required_entrypoint_holds_the_request_until_a_factor_is_set_up,
    acr_values_mfa_steps_up_a_password_only_session,
    changing_factors_needs_a_sign_in_in_the_last_five_minutes,
    a_ceremony_started_on_one_instance_finishes_on_another,
    the_pending_cookie_is_not_a_session,
);

const ACR_MFA: &str = "urn:portico:acr:mfa";

/// Sign-ins here ask for no second factor; the Vault requires one.
const ENTRYPOINTS: &str = r#"
[[entrypoints]]
id = "kiosk"
display_name = "Kiosk"
mfa = "off"

[[entrypoints]]
id = "vault"
display_name = "The Vault"
mfa = "required"
"#;

/// The authenticator app in the test's hand: the key it was given.
struct App {
    key: Vec<u8>,
}

impl App {
    /// What the app shows now, on `s`'s clock.
    fn code(&self, s: &TestServer) -> String {
        code_at_step(&self.key, DIGITS, step_of(s.running.state.provider.now()))
    }
}

/// A six-digit code that is not `code`.
fn wrong(code: &str) -> String {
    code.bytes()
        .map(|b| char::from(b'0' + (b - b'0' + 1) % 10))
        .collect()
}

/// The pending second-factor cookie (`name=value`) a response sets.
fn pending_cookie(h: &HeaderMap) -> Option<String> {
    h.get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap())
        .find(|pair| {
            let (name, value) = pair.split_once('=').unwrap();
            name.ends_with("portico_mfa") && !value.is_empty()
        })
        .map(str::to_owned)
}

async fn get_with_cookie(s: &TestServer, path: &str, cookie: &str) -> reqwest::Response {
    s.http
        .get(s.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

async fn error_of(r: reqwest::Response) -> String {
    let e: Value = r.json().await.unwrap();
    e["error"].as_str().unwrap_or_default().to_owned()
}

/// "Set up authenticator app" and "Turn on" for the session behind
/// `cookie`: the app, the answer (`FactorAdded`) and the stepped-up
/// session's cookie.
async fn set_up_app(s: &TestServer, cookie: &str) -> (App, Value, String) {
    set_up_app_across(s, s, cookie).await
}

/// As [`set_up_app`], begun on `a` and turned on at `b`.
async fn set_up_app_across(a: &TestServer, b: &TestServer, cookie: &str) -> (App, Value, String) {
    let r = a
        .ui_post_with_cookie(routes::TOTP_BEGIN, json!({}), cookie)
        .await;
    assert_eq!(r.status(), 200);
    let setup: Value = r.json().await.unwrap();
    let setup_key = setup["setup_key"].as_str().unwrap();
    let app = App {
        key: setup_key_bytes(setup_key),
    };
    assert_eq!(app.key.len(), 20, "160 bits");
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(
        uri.contains(&format!("secret={}&", setup_key.replace(' ', ""))),
        "{uri}"
    );
    let ceremony = setup["ceremony"].as_str().unwrap();
    let r = turn_on(b, ceremony, &app.code(b), cookie).await;
    assert_eq!(r.status(), 200);
    let stepped_up = session_cookie(r.headers()).expect("the session steps up");
    let added: Value = r.json().await.unwrap();
    (app, added, stepped_up)
}

/// "Turn on" with `code` for the setup `ceremony`.
async fn turn_on(s: &TestServer, ceremony: &str, code: &str, cookie: &str) -> reqwest::Response {
    s.ui_post_with_cookie(
        routes::TOTP_CONFIRM,
        json!({ "ceremony": ceremony, "code": code }),
        cookie,
    )
    .await
}

/// A fresh sign-in with an app set up, then signed out: the app.
async fn account_with_app(s: &TestServer) -> App {
    let cookie = s.sign_in().await;
    let (app, _, cookie) = set_up_app(s, &cookie).await;
    sign_out(s, &cookie).await;
    // The code just used is spent: the app shows the next one.
    s.clock.advance(30);
    app
}

async fn sign_out(s: &TestServer, cookie: &str) {
    let r = s
        .ui_post_with_cookie(routes::LOGOUT, json!({}), cookie)
        .await;
    assert_eq!(r.status(), 204);
}

/// A pending request of `web` (`extra` added to the query): its id.
async fn request(s: &TestServer, scope: &str, extra: &[(&str, &str)]) -> String {
    let mut params = vec![
        ("client_id", "web"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", scope),
        ("state", "st-mfa"),
        ("nonce", "n-mfa"),
    ];
    params.extend_from_slice(extra);
    let r = s.authorize(&params, None).await;
    assert_eq!(r.status(), 302);
    let to = location(r.headers());
    to.strip_prefix("/login?request=")
        .unwrap_or_else(|| panic!("not the login screen: {to}"))
        .to_owned()
}

/// The password on the sign-in screen, for `request` if any.
async fn password(s: &TestServer, request: Option<&str>) -> reqwest::Response {
    s.ui_post(
        routes::LOGIN,
        json!({ "request": request, "email": EMAIL, "password": PASSWORD }),
    )
    .await
}

/// The password for an account with a factor: the answer sends the
/// browser to "Authentication code" with a pending cookie, and no session.
async fn password_step(s: &TestServer, request: Option<&str>) -> String {
    let r = password(s, request).await;
    assert_eq!(r.status(), 200);
    assert_eq!(session_cookie(r.headers()), None, "no session yet");
    let pending = pending_cookie(r.headers()).expect("a pending cookie");
    let next: Value = r.json().await.unwrap();
    let expected = match request {
        Some(id) => format!("/login/code?request={id}"),
        None => "/login/code".to_owned(),
    };
    assert_eq!(next["redirect_to"], expected);
    pending
}

/// "Verify" on the "Authentication code" screen.
async fn second_factor(
    s: &TestServer,
    cookie: &str,
    request: Option<&str>,
    code: &str,
    recovery: bool,
) -> reqwest::Response {
    s.ui_post_with_cookie(
        routes::SECOND_FACTOR,
        json!({ "request": request, "code": code, "recovery": recovery }),
        cookie,
    )
    .await
}

/// The code in a redirect to the client, exchanged: the id_token's claims.
async fn id_token_of(s: &TestServer, redirect: &str) -> Value {
    assert!(redirect.starts_with(CB), "{redirect}");
    let q = query_of(redirect);
    assert_eq!(q["state"], "st-mfa");
    let r = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &q["code"]),
                ("redirect_uri", CB),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    s.verify_id_token(t["id_token"].as_str().unwrap(), "web")
        .await
}

fn assert_multi_factor(claims: &Value) {
    let amr: Vec<&str> = claims["amr"]
        .as_array()
        .unwrap_or_else(|| panic!("no amr in {claims}"))
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    for m in ["pwd", "otp", "mfa"] {
        assert!(amr.contains(&m), "{m} not in {amr:?}");
    }
    assert_eq!(claims["acr"], ACR_MFA);
}

async fn an_authenticator_app_set_up_through_the_api_guards_the_next_sign_in(db: Db) {
    let s = start(db).await;
    s.clock.freeze();
    let cookie = s.sign_in().await;
    let r = get_with_cookie(&s, routes::ACCOUNT_SECURITY, &cookie).await;
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["factors"], json!([]));
    assert_eq!(info["reauthenticate"], false);

    let r = s
        .ui_post_with_cookie(routes::TOTP_BEGIN, json!({}), &cookie)
        .await;
    assert_eq!(r.status(), 200);
    let setup: Value = r.json().await.unwrap();
    let svg = setup["qr_svg"].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
    let app = App {
        key: setup_key_bytes(setup["setup_key"].as_str().unwrap()),
    };
    let ceremony = setup["ceremony"].as_str().unwrap();
    // A wrong code leaves the setup open for another try.
    let r = turn_on(&s, ceremony, &wrong(&app.code(&s)), &cookie).await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_of(r).await, "invalid_authentication_code");
    let r = turn_on(&s, ceremony, &app.code(&s), &cookie).await;
    assert_eq!(r.status(), 200);
    let cookie = session_cookie(r.headers()).expect("the session steps up");
    let added: Value = r.json().await.unwrap();
    assert_eq!(added["factor"]["kind"], "totp");
    let codes = added["recovery_codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10, "{added}");
    let r = get_with_cookie(&s, routes::ACCOUNT_SECURITY, &cookie).await;
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["factors"].as_array().unwrap().len(), 1);
    assert_eq!(info["recovery_codes_left"], 10);
    // Turned on once: the same setup cannot add a second app.
    let r = turn_on(&s, ceremony, &app.code(&s), &cookie).await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_of(r).await, "sign_in_expired");
    sign_out(&s, &cookie).await;
    s.clock.advance(30);

    // The next sign-in: the password, then the code.
    let id = request(&s, "openid", &[]).await;
    let pending = password_step(&s, Some(&id)).await;
    let r = get_with_cookie(&s, routes::SECOND_FACTOR, &pending).await;
    assert_eq!(r.status(), 200);
    let can: Value = r.json().await.unwrap();
    assert_eq!(
        can,
        json!({ "totp": true, "passkey": false, "recovery_codes": true })
    );
    let r = second_factor(&s, &pending, Some(&id), &wrong(&app.code(&s)), false).await;
    assert_eq!(r.status(), 400);
    assert_eq!(session_cookie(r.headers()), None);
    assert_eq!(error_of(r).await, "invalid_authentication_code");
    let r = second_factor(&s, &pending, Some(&id), &app.code(&s), false).await;
    assert_eq!(r.status(), 200);
    assert!(session_cookie(r.headers()).is_some(), "the session starts");
    let cleared = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("portico_mfa=;"));
    assert!(cleared, "the pending cookie is cleared");
    let next: Value = r.json().await.unwrap();
    let claims = id_token_of(&s, next["redirect_to"].as_str().unwrap()).await;
    assert_multi_factor(&claims);
    // The step is finished: its cookie does not finish another.
    s.clock.advance(30);
    let r = second_factor(&s, &pending, None, &app.code(&s), false).await;
    assert_eq!(r.status(), 401);
    assert_eq!(error_of(r).await, "sign_in_expired");
}

async fn an_app_code_works_once(db: Db) {
    let s = start(db).await;
    s.clock.freeze();
    let app = account_with_app(&s).await;
    let code = app.code(&s);
    let first = password_step(&s, None).await;
    let r = second_factor(&s, &first, None, &code, false).await;
    assert_eq!(r.status(), 200);
    // The same code again, in the same step, on another sign-in.
    let second = password_step(&s, None).await;
    let r = second_factor(&s, &second, None, &code, false).await;
    assert_eq!(r.status(), 400);
    assert_eq!(session_cookie(r.headers()), None);
    assert_eq!(error_of(r).await, "invalid_authentication_code");
    // The app's next code does.
    s.clock.advance(30);
    let r = second_factor(&s, &second, None, &app.code(&s), false).await;
    assert_eq!(r.status(), 200);
    assert!(session_cookie(r.headers()).is_some());
}

async fn a_recovery_code_works_once_and_a_new_set_voids_the_old(db: Db) {
    let s = start(db).await;
    s.clock.freeze();
    let cookie = s.sign_in().await;
    let (_app, added, _) = set_up_app(&s, &cookie).await;
    let old: Vec<String> = added["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let pending = password_step(&s, None).await;
    let r = second_factor(&s, &pending, None, &old[0], true).await;
    assert_eq!(r.status(), 200);
    let cookie = session_cookie(r.headers()).expect("a session");
    let r = get_with_cookie(&s, routes::ACCOUNT_SECURITY, &cookie).await;
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["recovery_codes_left"], 9);
    // Used once: refused the second time.
    let pending = password_step(&s, None).await;
    let r = second_factor(&s, &pending, None, &old[0], true).await;
    assert_eq!(r.status(), 400);
    assert_eq!(error_of(r).await, "invalid_authentication_code");
    // A new set: the old codes stop working, the new ones work (typed
    // in capitals, without the dash).
    let r = s
        .ui_post_with_cookie(routes::RECOVERY_CODES, json!({}), &cookie)
        .await;
    assert_eq!(r.status(), 200);
    let new: Value = r.json().await.unwrap();
    let new = new["codes"].as_array().unwrap();
    assert_eq!(new.len(), 10);
    let r = second_factor(&s, &pending, None, &old[1], true).await;
    assert_eq!(r.status(), 400);
    let typed = new[0].as_str().unwrap().replace('-', "").to_uppercase();
    let r = second_factor(&s, &pending, None, &typed, true).await;
    assert_eq!(r.status(), 200);
    assert!(session_cookie(r.headers()).is_some());
}

async fn five_wrong_codes_lock_the_step_even_for_the_right_code(db: Db) {
    let s = start(db).await;
    s.clock.freeze();
    let app = account_with_app(&s).await;
    let pending = password_step(&s, None).await;
    let bad = wrong(&app.code(&s));
    for n in 1..=4 {
        let r = second_factor(&s, &pending, None, &bad, false).await;
        assert_eq!(r.status(), 400, "wrong code {n}");
    }
    // The fifth wrong code locks the account's codes for 30 seconds.
    let r = second_factor(&s, &pending, None, &bad, false).await;
    assert_eq!(r.status(), 429);
    let r = second_factor(&s, &pending, None, &app.code(&s), false).await;
    assert_eq!(r.status(), 429, "even the right code");
    assert!(r.headers().get("retry-after").is_some());
    assert_eq!(session_cookie(r.headers()), None);
    assert_eq!(error_of(r).await, "too_many_attempts");
    // A recovery code does not get around the lock either.
    let r = second_factor(&s, &pending, None, "aaaaa-bbbbb", true).await;
    assert_eq!(r.status(), 429);
    // Once the lock is over, the right code works.
    s.clock.advance(31);
    let r = second_factor(&s, &pending, None, &app.code(&s), false).await;
    assert_eq!(r.status(), 200);
    assert!(session_cookie(r.headers()).is_some());
}

async fn the_password_grant_refuses_an_account_with_a_second_factor(db: Db) {
    let s = start(db).await;
    s.clock.freeze();
    let grant = || {
        s.token(
            &[
                ("grant_type", "password"),
                ("username", EMAIL),
                ("password", PASSWORD),
                ("scope", "openid"),
            ],
            Some(("legacy", LEGACY_SECRET)),
        )
    };
    assert_eq!(grant().await.status(), 200, "before the app");
    account_with_app(&s).await;
    let r = grant().await;
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "invalid_grant");
    assert!(e.get("access_token").is_none());
}

async fn a_required_entrypoint_holds_the_request_until_a_factor_is_set_up(db: Db) {
    let s = start_with(db, ENTRYPOINTS).await;
    s.clock.freeze();
    let id = request(&s, "openid vault", &[]).await;
    let enrol = format!("/account/security?request={id}");
    let r = password(&s, Some(&id)).await;
    assert_eq!(r.status(), 200);
    let cookie = session_cookie(r.headers()).expect("a session to set up a factor with");
    let next: Value = r.json().await.unwrap();
    assert_eq!(next["redirect_to"], enrol);
    // No way around it.
    let r = s
        .ui_post_with_cookie(routes::CONTINUE, json!({ "request": id }), &cookie)
        .await;
    assert_eq!(r.status(), 200);
    let next: Value = r.json().await.unwrap();
    assert_eq!(next["redirect_to"], enrol);
    // After setting up an app, the request completes, multi-factor.
    let (_, _, cookie) = set_up_app(&s, &cookie).await;
    let r = s
        .ui_post_with_cookie(routes::CONTINUE, json!({ "request": id }), &cookie)
        .await;
    assert_eq!(r.status(), 200);
    let next: Value = r.json().await.unwrap();
    let claims = id_token_of(&s, next["redirect_to"].as_str().unwrap()).await;
    assert_multi_factor(&claims);
}

async fn acr_values_mfa_steps_up_a_password_only_session(db: Db) {
    let s = start_with(db, ENTRYPOINTS).await;
    s.clock.freeze();
    let app = account_with_app(&s).await;
    // The kiosk asks for no second factor: a password-only session.
    let id = request(&s, "openid kiosk", &[]).await;
    let r = password(&s, Some(&id)).await;
    assert_eq!(r.status(), 200);
    let cookie = session_cookie(r.headers()).expect("a session");
    let next: Value = r.json().await.unwrap();
    let claims = id_token_of(&s, next["redirect_to"].as_str().unwrap()).await;
    assert_eq!(claims["amr"], json!(["pwd"]));
    assert_eq!(claims["acr"], "1");
    // An app that asks for urn:portico:acr:mfa: the code first.
    let params = [
        ("client_id", "web"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "st-mfa"),
        ("nonce", "n-mfa"),
        ("acr_values", ACR_MFA),
    ];
    let r = s.authorize(&params, Some(&cookie)).await;
    assert_eq!(r.status(), 302);
    let to = location(r.headers());
    let id = to
        .strip_prefix("/login/code?request=")
        .unwrap_or_else(|| panic!("no step-up: {to}"))
        .to_owned();
    let r = get_with_cookie(&s, routes::SECOND_FACTOR, &cookie).await;
    assert_eq!(r.status(), 200, "the session's account is the one asked");
    let r = second_factor(&s, &cookie, Some(&id), &app.code(&s), false).await;
    assert_eq!(r.status(), 200);
    let stepped_up = session_cookie(r.headers()).expect("the session steps up");
    let next: Value = r.json().await.unwrap();
    let claims = id_token_of(&s, next["redirect_to"].as_str().unwrap()).await;
    assert_multi_factor(&claims);
    // The stepped-up session answers the next such request without a screen.
    let r = s.authorize(&params, Some(&stepped_up)).await;
    assert_eq!(r.status(), 302);
    let to = location(r.headers());
    let claims = id_token_of(&s, &to).await;
    assert_eq!(claims["acr"], ACR_MFA);
}

async fn changing_factors_needs_a_sign_in_in_the_last_five_minutes(db: Db) {
    let s = start(db).await;
    s.clock.freeze();
    let cookie = s.sign_in().await;
    let (app, added, cookie) = set_up_app(&s, &cookie).await;
    let factor_id = added["factor"]["id"].as_str().unwrap().to_owned();
    // A setup begun in time but turned on too late is refused too.
    let r = s
        .ui_post_with_cookie(routes::TOTP_BEGIN, json!({}), &cookie)
        .await;
    assert_eq!(r.status(), 200);
    let setup: Value = r.json().await.unwrap();
    s.clock.advance(301);
    let r = get_with_cookie(&s, routes::ACCOUNT_SECURITY, &cookie).await;
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["reauthenticate"], true);
    let refused = [
        (routes::TOTP_BEGIN, json!({})),
        (
            routes::TOTP_CONFIRM,
            json!({ "ceremony": setup["ceremony"], "code": app.code(&s) }),
        ),
        (routes::RECOVERY_CODES, json!({})),
        (routes::FACTOR_REMOVE, json!({ "id": factor_id })),
        (routes::PASSKEY_ADD_BEGIN, json!({})),
    ];
    for (path, body) in refused {
        let r = s.ui_post_with_cookie(path, body, &cookie).await;
        assert_eq!(r.status(), 403, "{path}");
        assert_eq!(error_of(r).await, "reauthentication_required", "{path}");
    }
    // Signed in again (with the app), the changes go through.
    let pending = password_step(&s, None).await;
    let r = second_factor(&s, &pending, None, &app.code(&s), false).await;
    assert_eq!(r.status(), 200);
    let cookie = session_cookie(r.headers()).expect("a session");
    let r = get_with_cookie(&s, routes::ACCOUNT_SECURITY, &cookie).await;
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["reauthenticate"], false);
    let r = s
        .ui_post_with_cookie(routes::RECOVERY_CODES, json!({}), &cookie)
        .await;
    assert_eq!(r.status(), 200);
    let r = s
        .ui_post_with_cookie(routes::FACTOR_REMOVE, json!({ "id": factor_id }), &cookie)
        .await;
    assert_eq!(r.status(), 200);
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["factors"], json!([]));
    assert_eq!(info["recovery_codes_left"], 0, "the codes went with it");
    // Without a factor, the password alone signs in again.
    let r = password(&s, None).await;
    assert_eq!(r.status(), 200);
    assert!(session_cookie(r.headers()).is_some());
}

async fn a_ceremony_started_on_one_instance_finishes_on_another(db: Db) {
    let (url, _guard) = fresh_database(db).await;
    let issuer = "http://portico.test";
    let (a, b) = tokio::join!(start_instance(&url, issuer), start_instance(&url, issuer));
    a.clock.freeze();
    b.clock.freeze();
    // The app set up on A is turned on at B.
    let cookie = a.sign_in().await;
    let (app, added, cookie) = set_up_app_across(&a, &b, &cookie).await;
    assert_eq!(added["recovery_codes"].as_array().unwrap().len(), 10);
    let r = get_with_cookie(&a, routes::ACCOUNT_SECURITY, &cookie).await;
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["factors"].as_array().unwrap().len(), 1);
    for s in [&a, &b] {
        s.clock.advance(30);
    }
    // The password on A, the code on B.
    let id = request(&a, "openid", &[]).await;
    let pending = password_step(&a, Some(&id)).await;
    let r = get_with_cookie(&b, routes::SECOND_FACTOR, &pending).await;
    assert_eq!(r.status(), 200);
    let r = second_factor(&b, &pending, Some(&id), &app.code(&b), false).await;
    assert_eq!(r.status(), 200);
    let next: Value = r.json().await.unwrap();
    let claims = id_token_of(&a, next["redirect_to"].as_str().unwrap()).await;
    assert_multi_factor(&claims);
    // Finished on B: A does not take the same step again.
    for s in [&a, &b] {
        s.clock.advance(30);
    }
    let r = second_factor(&a, &pending, None, &app.code(&a), false).await;
    assert_eq!(r.status(), 401);
}

async fn the_pending_cookie_is_not_a_session(db: Db) {
    let s = start(db).await;
    s.clock.freeze();
    account_with_app(&s).await;
    let pending = password_step(&s, None).await;
    let r = get_with_cookie(&s, routes::SESSION, &pending).await;
    assert_eq!(r.status(), 200);
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["signed_in"], false);
    let r = get_with_cookie(&s, routes::ACCOUNT_SECURITY, &pending).await;
    assert_eq!(r.status(), 401);
    // Its value under the session's name is no session either.
    let (_, value) = pending.split_once('=').unwrap();
    let r = get_with_cookie(&s, routes::SESSION, &format!("portico_session={value}")).await;
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["signed_in"], false);
    // Nor does it answer an authorization request.
    let params = [
        ("client_id", "web"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "st-mfa"),
        ("prompt", "none"),
    ];
    let r = s.authorize(&params, Some(&pending)).await;
    assert_eq!(r.status(), 302);
    let q = query_of(&location(r.headers()));
    assert_eq!(q["error"], "login_required");
}

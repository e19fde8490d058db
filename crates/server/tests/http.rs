//! Integration tests: the real server on 127.0.0.1:0, a fresh SQLite file
//! per test, driven over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;

on_both_backends!(
    discovery_is_truthful_and_matches_the_jwks,
    full_code_flow_with_pkce_s256_for_a_public_client,
    es256_id_tokens_for_clients_that_ask,
    pkce_plain_and_wrong_verifier,
    code_replay_fails_and_revokes_what_the_code_issued,
    codes_expire_after_sixty_seconds,
    refresh_rotates_and_old_tokens_stop_working,
    a_refresh_token_replayed_seconds_later_is_refused_and_revokes_the_family,
    userinfo_returns_the_claims_the_scopes_allow,
    authorize_errors_that_cannot_redirect_show_an_error_page,
    authorize_errors_redirect_with_error_state_and_iss,
    cancelling_the_login_returns_access_denied,
    an_sso_session_gets_a_code_without_a_screen,
    the_session_cookie_is_http_only_lax_and_survives_a_restart,
    wrong_credentials_get_one_answer_for_unknown_and_known_users,
    the_ui_api_refuses_cross_site_requests,
    sign_up_creates_an_account_and_finishes_the_request,
    entrypoints_travel_in_the_scope,
    token_endpoint_errors_follow_rfc_6749,
    the_spa_is_served_for_its_routes,
    client_credentials_tokens_verify_with_the_jwks,
    two_instances_on_one_database_serve_one_flow,
    concurrent_code_exchanges_across_instances_have_one_winner,
    concurrent_refreshes_across_instances_have_one_winner,
    concurrent_refreshes_within_an_opted_in_grace_period_share_one_successor,
    a_request_without_scope_gets_invalid_scope_and_no_token,
    error_descriptions_never_reflect_characters_rfc_6749_forbids,
    redirect_uris_outside_the_rules_are_refused_at_start,
);

mod admin;
mod device;
mod druid;
mod email;
mod flows;
mod hardening;
mod keys;
mod mfa;
mod ops;
mod security;
mod theming;
use serde_json::{Value, json};

fn code_params<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("client_id", "web"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid profile email offline_access"),
        ("state", "st-123"),
        ("nonce", "n-456"),
    ];
    v.extend_from_slice(extra);
    v
}

async fn exchange(s: &TestServer, code: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CB),
    ];
    form.extend_from_slice(extra);
    s.token(&form, Some(("web", WEB_SECRET))).await
}

/// Log in through the UI API and return the code from the client redirect.
async fn code_via_login(s: &TestServer, extra: &[(&str, &str)]) -> (String, String) {
    let (redirect, cookie) = s.login_flow(&code_params(extra)).await;
    assert!(redirect.starts_with(CB), "{redirect}");
    let q = query_of(&redirect);
    assert_eq!(q["state"], "st-123");
    assert_eq!(q["iss"], s.issuer);
    (q["code"].clone(), cookie)
}

async fn discovery_is_truthful_and_matches_the_jwks(db: Db) {
    let s = start(db).await;
    let d: Value = s.get_json("/.well-known/openid-configuration").await;
    assert_eq!(d["issuer"], s.issuer);
    assert_eq!(d["authorization_endpoint"], s.url("/oauth2/authorize"));
    assert_eq!(d["token_endpoint"], s.url("/oauth2/token"));
    assert_eq!(d["userinfo_endpoint"], s.url("/oauth2/userinfo"));
    assert_eq!(
        d["response_types_supported"],
        json!([
            "code",
            "token",
            "id_token",
            "id_token token",
            "code id_token",
            "code token",
            "code id_token token"
        ])
    );
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    let jwks_uri = d["jwks_uri"].as_str().unwrap();
    let jwks: Value = s
        .http
        .get(jwks_uri)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let algs: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["alg"].as_str().unwrap())
        .collect();
    assert!(
        algs.contains(&"RS256") && algs.contains(&"ES256"),
        "{algs:?}"
    );
    for k in jwks["keys"].as_array().unwrap() {
        assert!(
            k.get("d").is_none() && k.get("p").is_none(),
            "no private parts published"
        );
        assert!(k["kid"].as_str().is_some_and(|s| !s.is_empty()));
    }
    for alg in d["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
    {
        assert!(
            algs.contains(&alg.as_str().unwrap()),
            "advertised {alg} but no key"
        );
    }
}

async fn full_code_flow_with_pkce_s256_for_a_public_client(db: Db) {
    let s = start(db).await;
    let params = [
        ("client_id", "spa"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("state", "s"),
        ("nonce", "nonce-1"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let (redirect, _) = s.login_flow(&params).await;
    let code = query_of(&redirect)["code"].clone();
    let r = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                ("client_id", "spa"),
                ("code_verifier", VERIFIER),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["token_type"], "Bearer");
    assert!(
        t.get("refresh_token").is_none(),
        "no offline_access, no refresh token"
    );
    let claims = s
        .verify_id_token(t["id_token"].as_str().unwrap(), "spa")
        .await;
    assert_eq!(claims["nonce"], "nonce-1");
    assert!(claims["auth_time"].is_i64());
    assert!(claims["at_hash"].is_string());
    let header = jsonwebtoken::decode_header(t["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(
        header.alg,
        jsonwebtoken::Algorithm::RS256,
        "RS256 by default"
    );
}

async fn es256_id_tokens_for_clients_that_ask(db: Db) {
    let s = start(db).await;
    let (redirect, _) = s
        .login_flow(&[
            ("client_id", "es"),
            ("redirect_uri", CB),
            ("response_type", "code"),
            ("scope", "openid"),
        ])
        .await;
    let code = query_of(&redirect)["code"].clone();
    let r = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
            ],
            Some(("es", "es-secret-es-secret-es-secret-es-secret-0123")),
        )
        .await;
    let t: Value = r.json().await.unwrap();
    let id = t["id_token"].as_str().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(id).unwrap().alg,
        jsonwebtoken::Algorithm::ES256
    );
    s.verify_id_token(id, "es").await;
}

async fn pkce_plain_and_wrong_verifier(db: Db) {
    let s = start(db).await;
    let (code, _) = code_via_login(
        &s,
        &[
            ("code_challenge", VERIFIER),
            ("code_challenge_method", "plain"),
        ],
    )
    .await;
    assert_eq!(
        exchange(&s, &code, &[("code_verifier", VERIFIER)])
            .await
            .status(),
        200
    );

    let (code, _) = code_via_login(
        &s,
        &[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let r = exchange(
        &s,
        &code,
        &[(
            "code_verifier",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX",
        )],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

async fn code_replay_fails_and_revokes_what_the_code_issued(db: Db) {
    let s = start(db).await;
    let (code, _) = code_via_login(&s, &[]).await;
    let r = exchange(&s, &code, &[]).await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(s.userinfo(at).await.status(), 200);
    let r = exchange(&s, &code, &[]).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(
        s.userinfo(at).await.status(),
        401,
        "access token revoked by the replay"
    );
    let r = s
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", t["refresh_token"].as_str().unwrap()),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "invalid_grant",
        "refresh token revoked by the replay"
    );
}

async fn codes_expire_after_sixty_seconds(db: Db) {
    let s = start(db).await;
    let (code, _) = code_via_login(&s, &[]).await;
    s.clock.advance(61);
    let r = exchange(&s, &code, &[]).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

async fn refresh_rotates_and_old_tokens_stop_working(db: Db) {
    let s = start(db).await;
    let (code, _) = code_via_login(&s, &[]).await;
    let t: Value = exchange(&s, &code, &[]).await.json().await.unwrap();
    let rt1 = t["refresh_token"].as_str().unwrap().to_owned();
    let r = s
        .token(
            &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
            Some(("web", WEB_SECRET)),
        )
        .await;
    assert_eq!(r.status(), 200);
    let t2: Value = r.json().await.unwrap();
    let rt2 = t2["refresh_token"].as_str().unwrap();
    assert_ne!(rt1, rt2);
    assert_eq!(
        s.userinfo(t2["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    s.verify_id_token(t2["id_token"].as_str().unwrap(), "web")
        .await;
    // No grace period by default: the old token is a replay at once.
    let r = s
        .token(
            &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
            Some(("web", WEB_SECRET)),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

/// What an independent relying party (openid-client) did: replay a
/// rotated-out refresh token 3 s after rotation. With the default
/// configuration that is theft (RFC 9700 §4.14.2): refused, and everything
/// issued from the grant dies.
async fn a_refresh_token_replayed_seconds_later_is_refused_and_revokes_the_family(db: Db) {
    let s = start(db).await;
    let (code, _) = code_via_login(&s, &[]).await;
    let t: Value = exchange(&s, &code, &[]).await.json().await.unwrap();
    let rt1 = t["refresh_token"].as_str().unwrap();
    let r = refresh(&s, rt1).await;
    assert_eq!(r.status(), 200);
    let t2: Value = r.json().await.unwrap();
    s.clock.advance(3);
    let r = refresh(&s, rt1).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // The family is revoked: the successor and its access token are dead.
    let r = refresh(&s, t2["refresh_token"].as_str().unwrap()).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(
        s.userinfo(t2["access_token"].as_str().unwrap())
            .await
            .status(),
        401
    );
}

async fn refresh(s: &TestServer, rt: &str) -> reqwest::Response {
    s.token(
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        Some(("web", WEB_SECRET)),
    )
    .await
}

async fn userinfo_returns_the_claims_the_scopes_allow(db: Db) {
    let s = start(db).await;
    let (code, _) = code_via_login(&s, &[]).await;
    let t: Value = exchange(&s, &code, &[]).await.json().await.unwrap();
    let r = s.userinfo(t["access_token"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    let info: Value = r.json().await.unwrap();
    let id = s
        .verify_id_token(t["id_token"].as_str().unwrap(), "web")
        .await;
    assert_eq!(info["sub"], id["sub"]);
    assert_eq!(info["email"], EMAIL);
    assert_eq!(info["email_verified"], true);
    assert_eq!(info["name"], "Alice Liddell");
    assert_eq!(info["given_name"], "Alice");
    assert_eq!(info["family_name"], "Liddell");
    assert!(
        info["updated_at"]
            .as_i64()
            .is_some_and(|t| t > 1_600_000_000)
    );
    // POST works too.
    let r = s
        .http
        .post(s.url("/oauth2/userinfo"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // No token, a bad token.
    let r = s.http.get(s.url("/oauth2/userinfo")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    let r = s.userinfo("not.a.token").await;
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    // Expired.
    s.clock.advance(3601);
    assert_eq!(
        s.userinfo(t["access_token"].as_str().unwrap())
            .await
            .status(),
        401
    );
}

async fn authorize_errors_that_cannot_redirect_show_an_error_page(db: Db) {
    let s = start(db).await;
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("redirect_uri", CB), ("response_type", "code")],
        vec![
            ("client_id", "nobody"),
            ("redirect_uri", CB),
            ("response_type", "code"),
        ],
        vec![
            ("client_id", "web"),
            ("redirect_uri", "http://evil.example/cb"),
            ("response_type", "code"),
        ],
        vec![
            ("client_id", "web"),
            ("redirect_uri", "http://127.0.0.1:9/cb/"),
            ("response_type", "code"),
        ],
        vec![("client_id", "web"), ("response_type", "code")],
    ];
    for params in cases {
        let r = s.authorize(&params, None).await;
        assert_eq!(r.status(), 400, "{params:?}");
        assert!(
            r.headers().get("location").is_none(),
            "never redirect: {params:?}"
        );
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
    let mut u = url::Url::parse(&s.url("/api/ui/authorize-error")).unwrap();
    u.query_pairs_mut()
        .append_pair("client_id", "web")
        .append_pair("redirect_uri", "http://evil.example/cb");
    let e: Value = s.http.get(u).send().await.unwrap().json().await.unwrap();
    assert_eq!(e["error"], "redirect_uri_mismatch");
    let e: Value = s.get_json("/api/ui/authorize-error?client_id=nobody").await;
    assert_eq!(e["error"], "invalid_client");
}

async fn authorize_errors_redirect_with_error_state_and_iss(db: Db) {
    let s = start(db).await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("client_id", "web"), ("redirect_uri", CB), ("state", "S")],
            "invalid_request",
        ),
        (
            vec![
                ("client_id", "web"),
                ("redirect_uri", CB),
                ("response_type", "code magic"),
                ("state", "S"),
            ],
            "unsupported_response_type",
        ),
        (
            vec![
                ("client_id", "refresh-only"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("state", "S"),
            ],
            "unauthorized_client",
        ),
        (
            vec![
                ("client_id", "web"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("scope", "openid nosuch"),
                ("state", "S"),
            ],
            "invalid_scope",
        ),
        (
            vec![
                ("client_id", "spa"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("state", "S"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("client_id", "web"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("x_method", "x"),
                ("state", "S"),
            ],
            "invalid_request",
        ),
        (
            vec![
                ("client_id", "web"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("scope", "openid"),
                ("prompt", "none"),
                ("state", "S"),
            ],
            "login_required",
        ),
    ];
    for (params, code) in cases {
        let r = s.authorize(&params, None).await;
        assert_eq!(r.status(), 302, "{params:?}");
        let loc = location(r.headers());
        assert!(loc.starts_with(CB), "{loc}");
        let q = query_of(&loc);
        assert_eq!(q["error"], code, "{params:?}");
        assert!(!q["error_description"].is_empty());
        assert_eq!(q["state"], "S");
        assert_eq!(q["iss"], s.issuer);
    }
}

async fn cancelling_the_login_returns_access_denied(db: Db) {
    let s = start(db).await;
    let r = s.authorize(&code_params(&[]), None).await;
    let request = location(r.headers())
        .trim_start_matches("/login?request=")
        .to_owned();
    let r = s
        .ui_post("/api/ui/cancel", json!({"request": request}))
        .await;
    let next: Value = r.json().await.unwrap();
    let q = query_of(next["redirect_to"].as_str().unwrap());
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-123");
    assert_eq!(q["iss"], s.issuer);
}

async fn an_sso_session_gets_a_code_without_a_screen(db: Db) {
    let s = start(db).await;
    let (_, cookie) = code_via_login(&s, &[]).await;
    let r = s.authorize(&code_params(&[]), Some(&cookie)).await;
    assert_eq!(r.status(), 302);
    let loc = location(r.headers());
    assert!(loc.starts_with(CB), "{loc}");
    let code = query_of(&loc)["code"].clone();
    assert_eq!(exchange(&s, &code, &[]).await.status(), 200);
    // prompt=login forces the screen even with the session.
    let r = s
        .authorize(&code_params(&[("prompt", "login")]), Some(&cookie))
        .await;
    assert!(location(r.headers()).starts_with("/login?request="));
    // x_method=sign_up opens the sign-up screen.
    let r = s
        .authorize(&code_params(&[("x_method", "sign_up")]), None)
        .await;
    assert!(location(r.headers()).starts_with("/sign-up?request="));
}

async fn the_session_cookie_is_http_only_lax_and_survives_a_restart(db: Db) {
    let (url, _guard) = fresh_database(db).await;
    let s = start_on(&url).await;
    let r = s.authorize(&code_params(&[]), None).await;
    let request = location(r.headers())
        .trim_start_matches("/login?request=")
        .to_owned();
    let r = s
        .ui_post(
            "/api/ui/login",
            json!({"request": request, "email": EMAIL, "password": PASSWORD}),
        )
        .await;
    let raw = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        raw.contains("HttpOnly") && raw.contains("SameSite=Lax"),
        "{raw}"
    );
    assert!(
        !raw.contains("Secure"),
        "plain-http 127.0.0.1 issuer: no Secure flag"
    );
    let cookie = session_cookie(r.headers()).unwrap();
    let kids: Vec<_> = s
        .jwks()
        .await
        .keys
        .into_iter()
        .map(|k| k.common.key_id)
        .collect();
    s.running.task.abort();
    drop(s);

    let s2 = start_on(&url).await;
    let kids2: Vec<_> = s2
        .jwks()
        .await
        .keys
        .into_iter()
        .map(|k| k.common.key_id)
        .collect();
    assert_eq!(kids, kids2, "signing keys persist");
    let info: Value = s2
        .http
        .get(s2.url("/api/ui/session"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["signed_in"], true);
    assert_eq!(info["email"], EMAIL);
}

async fn wrong_credentials_get_one_answer_for_unknown_and_known_users(db: Db) {
    let s = start(db).await;
    let wrong = s
        .ui_post(
            "/api/ui/login",
            json!({"email": EMAIL, "password": "nope nope nope"}),
        )
        .await;
    assert_eq!(wrong.status(), 401);
    let wrong: Value = wrong.json().await.unwrap();
    let unknown = s
        .ui_post(
            "/api/ui/login",
            json!({"email": "nobody@example.com", "password": "nope nope nope"}),
        )
        .await;
    assert_eq!(unknown.status(), 401);
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["error"], "invalid_credentials");
}

async fn the_ui_api_refuses_cross_site_requests(db: Db) {
    let s = start(db).await;
    let body = json!({"email": EMAIL, "password": PASSWORD});
    let r = s
        .http
        .post(s.url("/api/ui/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "no CSRF header");
    let r = s
        .http
        .post(s.url("/api/ui/login"))
        .header("x-portico-csrf", "1")
        .header("origin", "http://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "foreign Origin");
    let r = s
        .http
        .post(s.url("/api/ui/login"))
        .header("x-portico-csrf", "1")
        .header("sec-fetch-site", "cross-site")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "cross-site fetch metadata");
    let r = s
        .http
        .post(s.url("/api/ui/login"))
        .header("x-portico-csrf", "1")
        .header("origin", &s.base)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "same origin passes");
}

async fn sign_up_creates_an_account_and_finishes_the_request(db: Db) {
    let s = start(db).await;
    let r = s
        .authorize(&code_params(&[("x_method", "sign_up")]), None)
        .await;
    let request = location(r.headers())
        .trim_start_matches("/sign-up?request=")
        .to_owned();
    let info: Value = s
        .get_json(&format!("/api/ui/auth-requests/{request}"))
        .await;
    assert_eq!(info["x_method"], "sign_up");
    assert_eq!(info["client_name"], "Web App");
    let bad = s
        .ui_post(
            "/api/ui/sign-up",
            json!({"request": request, "name": "", "email": "x", "password": "short"}),
        )
        .await;
    assert_eq!(bad.status(), 400);
    let bad: Value = bad.json().await.unwrap();
    let fields: Vec<&str> = bad["field_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["name", "email", "password"]);
    let taken = s
        .ui_post(
            "/api/ui/sign-up",
            json!({"request": request, "name": "A", "email": EMAIL, "password": "long enough pw"}),
        )
        .await;
    assert_eq!(taken.status(), 409);
    assert_eq!(
        taken.json::<Value>().await.unwrap()["field_errors"][0]["field"],
        "email"
    );
    let ok = s.ui_post("/api/ui/sign-up", json!({"request": request, "name": "Bob", "email": "Bob@Example.com", "password": "long enough pw"})).await;
    assert_eq!(ok.status(), 200);
    let next: Value = ok.json().await.unwrap();
    let code = query_of(next["redirect_to"].as_str().unwrap())["code"].clone();
    let t: Value = exchange(&s, &code, &[]).await.json().await.unwrap();
    let info: Value = s
        .userinfo(t["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["email"], "bob@example.com");
    assert_eq!(info["name"], "Bob");
}

async fn entrypoints_travel_in_the_scope(db: Db) {
    let s = start(db).await;
    let r = s
        .authorize(
            &code_params(&[])
                .into_iter()
                .map(|(k, v)| {
                    if k == "scope" {
                        (k, "openid shop")
                    } else {
                        (k, v)
                    }
                })
                .collect::<Vec<_>>(),
            None,
        )
        .await;
    let request = location(r.headers())
        .trim_start_matches("/login?request=")
        .to_owned();
    let info: Value = s
        .get_json(&format!("/api/ui/auth-requests/{request}"))
        .await;
    assert_eq!(info["entrypoint"]["id"], "shop");
    assert_eq!(info["entrypoint"]["display_name"], "The Shop");
    let r = s
        .http
        .get(s.url("/api/ui/auth-requests/unknown"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn token_endpoint_errors_follow_rfc_6749(db: Db) {
    let s = start(db).await;
    let r = s
        .token(
            &[("grant_type", "authorization_code"), ("code", "x")],
            Some(("web", "wrong")),
        )
        .await;
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    let r = s
        .token(
            &[("grant_type", "urn:example:magic")],
            Some(("web", WEB_SECRET)),
        )
        .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unsupported_grant_type"
    );
    let r = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", "nope"),
                ("redirect_uri", CB),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let r = s
        .token(
            &[("grant_type", "authorization_code")],
            Some((
                "refresh-only",
                "refresh-only-secret-refresh-only-secret-0123",
            )),
        )
        .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
    let r = s
        .http
        .post(s.url("/oauth2/token"))
        .json(&json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    // client_secret_post works as well as Basic.
    let (code, _) = code_via_login(&s, &[]).await;
    let r = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                ("client_id", "web"),
                ("client_secret", WEB_SECRET),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
}

async fn the_spa_is_served_for_its_routes(db: Db) {
    let s = start(db).await;
    for path in ["/login?request=x", "/device", "/device?user_code=BCDF-GHJK"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.text()
                .await
                .unwrap()
                .to_lowercase()
                .contains("<!doctype html>"),
            "{path}"
        );
    }
    // Two bundles: the login page loads the sign-in bundle only; the
    // account page and the mail screens load the account bundle.
    let page = |path: &'static str| {
        let s = &s;
        async move {
            s.http
                .get(s.url(path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    for path in [
        "/login?request=x",
        "/sign-up",
        "/consent",
        "/device",
        "/logout",
    ] {
        let html = page(path).await;
        assert!(html.contains("src=\"/portico-boot.js\""), "{path}: {html}");
        assert!(
            !html.contains("/account/"),
            "{path} loads the account bundle"
        );
    }
    for path in [
        "/",
        "/forgot-password?request=x",
        "/reset-password?token=t",
        "/verify-email?email=a%40b.c",
        "/email-change/undo?token=t",
    ] {
        let html = page(path).await;
        assert!(
            html.contains("src=\"/portico-account-boot.js\""),
            "{path}: {html}"
        );
    }
    let boot = s
        .http
        .get(s.url("/portico-account-boot.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(boot.status(), 200);
    let js = boot.text().await.unwrap();
    assert!(js.contains("/account/") && js.contains("_bg.wasm"), "{js}");
    let login_boot = page("/portico-boot.js").await;
    assert!(!login_boot.contains("/account/"), "{login_boot}");
}

/// Two instances of one deployment (one issuer) on one database, started at
/// the same moment: migrations and key generation race, and must agree.
async fn pair(db: Db) -> (TestServer, TestServer, Option<tempfile::TempDir>) {
    pair_with(db, "").await
}

async fn pair_with(db: Db, extra: &str) -> (TestServer, TestServer, Option<tempfile::TempDir>) {
    let (url, guard) = fresh_database(db).await;
    let issuer = "http://portico.test";
    let (a, b) = tokio::join!(
        start_instance_with(&url, issuer, extra),
        start_instance_with(&url, issuer, extra)
    );
    (a, b, guard)
}

async fn two_instances_on_one_database_serve_one_flow(db: Db) {
    let (a, b, _guard) = pair(db).await;
    let kids = |k: jsonwebtoken::jwk::JwkSet| {
        k.keys
            .into_iter()
            .map(|k| k.common.key_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kids(a.jwks().await),
        kids(b.jwks().await),
        "one key set for the deployment"
    );

    // Authorize with login on A.
    let (redirect, cookie) = a.login_flow(&code_params(&[])).await;
    let code = query_of(&redirect)["code"].clone();
    // Exchange on B.
    let r = exchange(&b, &code, &[]).await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    // Refresh on A.
    let r = a
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", t["refresh_token"].as_str().unwrap()),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await;
    assert_eq!(r.status(), 200);
    let t2: Value = r.json().await.unwrap();
    // Userinfo on B with the refreshed access token.
    let r = b.userinfo(t2["access_token"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["email"], EMAIL);
    // Both id_tokens verify with the JWKS of either instance.
    for id in [
        t["id_token"].as_str().unwrap(),
        t2["id_token"].as_str().unwrap(),
    ] {
        a.verify_id_token(id, "web").await;
        b.verify_id_token(id, "web").await;
    }
    // The SSO session made on A is known to B.
    let r = b.authorize(&code_params(&[]), Some(&cookie)).await;
    assert!(
        location(r.headers()).starts_with(CB),
        "B honours A's session"
    );
    // A code replayed on the other instance revokes what it issued there.
    let r = exchange(&a, &code, &[]).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(
        b.userinfo(t2["access_token"].as_str().unwrap())
            .await
            .status(),
        401
    );
}

/// Fire `n` requests at once, alternating between the two instances, and
/// return how many succeeded and the errors of the others. Connections are
/// opened first (a burst of health checks), so that the racing requests go
/// out together on warm connections instead of trickling in as each new
/// connection is set up.
async fn race(
    a: &TestServer,
    b: &TestServer,
    n: usize,
    form: &[(&str, &str)],
) -> (usize, Vec<String>) {
    let results = race_bodies(a, b, n, form).await;
    let wins = results.iter().filter(|(s, _)| s.as_u16() == 200).count();
    let errors = results
        .iter()
        .filter(|(s, _)| s.as_u16() != 200)
        .map(|(_, b)| b["error"].as_str().unwrap_or("?").to_owned())
        .collect();
    (wins, errors)
}

/// Send `form` to the token endpoint `n` times at once, alternating between
/// the instances; every answer's status and body.
async fn race_bodies(
    a: &TestServer,
    b: &TestServer,
    n: usize,
    form: &[(&str, &str)],
) -> Vec<(reqwest::StatusCode, Value)> {
    let pick = |i: usize| if i.is_multiple_of(2) { a } else { b };
    let warm = (0..n).map(|i| {
        let s = pick(i);
        async move { s.http.get(s.url("/healthz")).send().await.unwrap().status() }
    });
    assert!(
        futures::future::join_all(warm)
            .await
            .iter()
            .all(|s| s.is_success())
    );
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let s = pick(i);
            let (http, url) = (s.http.clone(), s.url("/oauth2/token"));
            let form: Vec<(String, String)> = form
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let req = http
                    .post(url)
                    .form(&form)
                    .basic_auth("web", Some(WEB_SECRET));
                barrier.wait().await;
                let r = req.send().await.unwrap();
                let status = r.status();
                let body: Value = r.json().await.unwrap();
                (status, body)
            })
        })
        .collect();
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.unwrap());
    }
    results
}

/// Rounds per race test: each round is a fresh code or token, so a broken
/// take that slips through one round by luck is caught by another.
const ROUNDS: usize = 3;

async fn concurrent_code_exchanges_across_instances_have_one_winner(db: Db) {
    let (a, b, _guard) = pair(db).await;
    for _ in 0..ROUNDS {
        let (redirect, _) = a.login_flow(&code_params(&[])).await;
        let code = query_of(&redirect)["code"].clone();
        let (wins, errors) = race(
            &a,
            &b,
            50,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
            ],
        )
        .await;
        assert_eq!(wins, 1, "exactly one exchange of one code succeeds");
        assert_eq!(errors.len(), 49);
        assert!(errors.iter().all(|e| e == "invalid_grant"), "{errors:?}");
    }
}

/// By default (no grace period), a refresh token is strictly single use.
async fn concurrent_refreshes_across_instances_have_one_winner(db: Db) {
    let (a, b, _guard) = pair(db).await;
    for _ in 0..ROUNDS {
        let (redirect, _) = a.login_flow(&code_params(&[])).await;
        let code = query_of(&redirect)["code"].clone();
        let t: Value = exchange(&a, &code, &[]).await.json().await.unwrap();
        let rt = t["refresh_token"].as_str().unwrap();
        let (wins, errors) = race(
            &a,
            &b,
            50,
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
        assert_eq!(wins, 1, "exactly one refresh of one token succeeds");
        assert!(errors.iter().all(|e| e == "invalid_grant"), "{errors:?}");
    }
}

/// With a grace period opted into, concurrent uses of one refresh token are
/// treated as retries of one client: every one is answered, all with the
/// same successor, so the family has exactly one live refresh token.
async fn concurrent_refreshes_within_an_opted_in_grace_period_share_one_successor(db: Db) {
    let (a, b, _guard) = pair_with(db, "[tokens]\nrefresh_token_grace_secs = 30").await;
    for _ in 0..ROUNDS {
        let (redirect, _) = a.login_flow(&code_params(&[])).await;
        let code = query_of(&redirect)["code"].clone();
        let t: Value = exchange(&a, &code, &[]).await.json().await.unwrap();
        let rt = t["refresh_token"].as_str().unwrap();
        let results = race_bodies(
            &a,
            &b,
            20,
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        )
        .await;
        assert!(
            results.iter().all(|(s, _)| s.as_u16() == 200),
            "{results:?}"
        );
        let successors: std::collections::BTreeSet<&str> = results
            .iter()
            .map(|(_, body)| body["refresh_token"].as_str().unwrap())
            .collect();
        assert_eq!(successors.len(), 1, "one live descendant: {successors:?}");
        // Every returned refresh token was tried: the one works, and the
        // family lives on.
        for successor in successors {
            assert_eq!(refresh(&b, successor).await.status(), 200);
        }
        assert_eq!(
            b.userinfo(t["access_token"].as_str().unwrap())
                .await
                .status(),
            200
        );
        // The successor is used: a retry of the original is now a reuse
        // that revokes the family, grace period or not.
        let r = refresh(&a, rt).await;
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
        assert_eq!(
            b.userinfo(t["access_token"].as_str().unwrap())
                .await
                .status(),
            401
        );
    }
}

async fn client_credentials_tokens_verify_with_the_jwks(db: Db) {
    let s = start(db).await;
    let secret = "machine-secret-machine-secret-machine-secret-01";
    let r = s
        .token(
            &[("grant_type", "client_credentials"), ("scope", "api:read")],
            Some(("machine", secret)),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["scope"], "api:read");
    assert!(t.get("refresh_token").is_none() && t.get("id_token").is_none());
    let at = t["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(at).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let jwks = s.jwks().await;
    let key =
        jsonwebtoken::DecodingKey::from_jwk(jwks.find(header.kid.as_deref().unwrap()).unwrap())
            .unwrap();
    let mut v = jsonwebtoken::Validation::new(header.alg);
    v.set_issuer(&[&s.issuer]);
    v.set_audience(&[&s.issuer]);
    let claims = jsonwebtoken::decode::<Value>(at, &key, &v).unwrap().claims;
    assert_eq!(claims["sub"], "machine");
    assert_eq!(claims["client_id"], "machine");
    // Not for userinfo: there is no user and no openid scope.
    assert_eq!(s.userinfo(at).await.status(), 403);
    // Scopes outside the client's set, and a wrong secret.
    let r = s
        .token(
            &[("grant_type", "client_credentials"), ("scope", "api:admin")],
            Some(("machine", secret)),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_scope");
    let r = s
        .token(
            &[("grant_type", "client_credentials")],
            Some(("machine", "wrong")),
        )
        .await;
    assert_eq!(r.status(), 401);
    // Discovery says it is supported.
    let d: Value = s.get_json("/.well-known/openid-configuration").await;
    assert!(
        d["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("client_credentials"))
    );
}

async fn a_request_without_scope_gets_invalid_scope_and_no_token(db: Db) {
    let s = start(db).await;
    // A signed-in user: before, a request naming no scope (or only an
    // entrypoint) counted as already allowed and the third-party client
    // got a code without the consent screen.
    let cookie = s.sign_in().await;
    for client in ["partner", "web"] {
        for scope in [None, Some(""), Some("shop")] {
            for prompt in [None, Some("none")] {
                let mut p = vec![
                    ("client_id", client),
                    ("redirect_uri", CB),
                    ("response_type", "code"),
                    ("state", "S"),
                ];
                p.extend(scope.map(|v| ("scope", v)));
                p.extend(prompt.map(|v| ("prompt", v)));
                let r = s.authorize(&p, Some(&cookie)).await;
                assert_eq!(r.status(), 302, "{p:?}");
                let loc = location(r.headers());
                assert!(loc.starts_with(CB), "{loc}");
                let q = query_of(&loc);
                assert!(!q.contains_key("code"), "a code without consent: {loc}");
                assert_eq!(q["error"], "invalid_scope", "{p:?}");
                assert_eq!(q["state"], "S");
                assert_eq!(q["iss"], s.issuer);
            }
        }
    }
    // With a scope the third-party client is asked first, as always.
    let r = s
        .authorize(
            &[
                ("client_id", "partner"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("scope", "openid"),
                ("state", "S"),
            ],
            Some(&cookie),
        )
        .await;
    assert!(location(r.headers()).starts_with("/consent?request="));
    // The password grant has no consent screen: no scope, no token.
    let r = s
        .token(
            &[
                ("grant_type", "password"),
                ("username", EMAIL),
                ("password", PASSWORD),
            ],
            Some(("legacy", LEGACY_SECRET)),
        )
        .await;
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "invalid_scope");
    assert!(e.get("access_token").is_none());
}

/// RFC 6749 §5.2: error-description = 1*( %x20-21 / %x23-5B / %x5D-7E ).
fn assert_rfc_6749_description(d: &str) {
    assert!(!d.is_empty() && d.len() <= 200, "{d:?}");
    assert!(
        d.bytes().all(|b| b == 0x20
            || b == 0x21
            || (0x23..=0x5B).contains(&b)
            || (0x5D..=0x7E).contains(&b)),
        "{d:?}"
    );
}

async fn error_descriptions_never_reflect_characters_rfc_6749_forbids(db: Db) {
    let s = start(db).await;
    let hostile = "a\"b\\c\nd\r<script>alert(1)</script>\u{e9}\u{202e}";
    // The token endpoint names a repeated parameter in its description.
    let r = s
        .token(
            &[
                ("grant_type", "client_credentials"),
                (hostile, "1"),
                (hostile, "2"),
            ],
            Some(("machine", MACHINE_SECRET)),
        )
        .await;
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "invalid_request");
    let d = e["error_description"].as_str().unwrap();
    assert_rfc_6749_description(d);
    assert!(d.ends_with(" is repeated"), "{d}");
    let long = "x".repeat(5000);
    let r = s
        .token(
            &[(long.as_str(), "1"), (long.as_str(), "2")],
            Some(("machine", MACHINE_SECRET)),
        )
        .await;
    let e: Value = r.json().await.unwrap();
    assert_rfc_6749_description(e["error_description"].as_str().unwrap());
    // The authorization endpoint names an unknown prompt value, and the
    // description travels in the redirect.
    let r = s
        .authorize(
            &[
                ("client_id", "web"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("scope", "openid"),
                ("prompt", hostile),
                ("state", "S"),
            ],
            None,
        )
        .await;
    let q = query_of(&location(r.headers()));
    assert_eq!(q["error"], "invalid_request");
    assert_rfc_6749_description(&q["error_description"]);
    assert!(q["error_description"].starts_with("unknown prompt value a?b?c?d?<script>"));
}

async fn redirect_uris_outside_the_rules_are_refused_at_start(db: Db) {
    for (uri, why) in [
        ("http://evil.example/cb", "not loopback"),
        ("javascript:alert(1)", "scheme"),
        ("data:text/html,hi", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("ftp://files.example/cb", "scheme"),
        ("myapp:/cb", "scheme"),
        ("https://app.example/cb#x", "fragment"),
    ] {
        let e = start_error(
            db,
            &format!("[[clients]]\nid = \"bad-app\"\nredirect_uris = [\"{uri}\"]\n"),
        )
        .await;
        assert!(e.contains("client bad-app") && e.contains(uri), "{e}");
        assert!(e.contains(why), "{uri}: {e}");
    }
    // Where RP-initiated logout may return follows the same rules.
    let e = start_error(
        db,
        "[[clients]]\nid = \"bad-app\"\nredirect_uris = [\"https://app.example/cb\"]\npost_logout_redirect_uris = [\"http://app.example/bye\"]\n",
    )
    .await;
    assert!(e.contains("http://app.example/bye"), "{e}");
    // https, loopback http and a native app's private-use scheme start.
    let s = start_with(
        db,
        "[[clients]]\nid = \"native\"\nredirect_uris = [\"com.example.app:/callback\", \"http://[::1]:8765/cb\", \"http://localhost:8765/cb\", \"https://app.example/cb\"]\n",
    )
    .await;
    let r = s
        .authorize(
            &[
                ("client_id", "native"),
                ("redirect_uri", "com.example.app:/callback"),
                ("response_type", "code"),
                ("scope", "openid"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ],
            None,
        )
        .await;
    assert!(location(r.headers()).starts_with("/login?request="));
}

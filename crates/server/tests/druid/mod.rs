//! Issue 6 over HTTP: DruID's x_method semantics (reauthorize above all),
//! on both backends.

use crate::common::*;
use crate::on_both_backends;
use serde_json::{Value, json};

on_both_backends!(
    reauthorize_kills_that_apps_tokens_once_the_user_signs_in_again,
    backing_out_of_reauthorize_gives_access_denied_and_changes_nothing,
    signing_in_again_absorbs_the_old_session_so_logout_ends_both,
    signing_in_as_someone_else_signs_the_first_user_out,
    reauthorize_with_credentials_issues_a_new_code_with_a_new_auth_time,
    pushed_requests_are_used_once_expire_and_can_be_required,
    logout_with_a_hint_ends_the_session_and_its_tokens_only,
    logout_without_a_hint_asks_first,
    logout_never_redirects_to_an_unregistered_uri,
    x_method_against_the_sso_state,
);

const ES_SECRET: &str = "es-secret-es-secret-es-secret-es-secret-0123";

fn params<'a>(client: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("client_id", client),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid profile offline_access"),
        ("state", "st-6"),
    ];
    for &(k, val) in extra {
        match v.iter_mut().find(|(name, _)| *name == k) {
            Some(slot) => slot.1 = val,
            None => v.push((k, val)),
        }
    }
    v
}

/// Exchange the code in a redirect to CB for tokens.
async fn exchange(s: &TestServer, redirect: &str, client: (&str, &str)) -> Value {
    let q = query_of(redirect);
    let code = q
        .get("code")
        .unwrap_or_else(|| panic!("no code in {redirect}"));
    let r = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CB),
            ],
            Some(client),
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// With an SSO session: straight back with a code, exchanged for tokens.
async fn tokens_with_session(s: &TestServer, cookie: &str, client: (&str, &str)) -> Value {
    let r = s.authorize(&params(client.0, &[]), Some(cookie)).await;
    assert_eq!(r.status(), 302);
    let loc = location(r.headers());
    assert!(loc.starts_with(CB), "SSO should answer at once: {loc}");
    exchange(s, &loc, client).await
}

/// Is this token set alive? (refresh, introspection, userinfo)
async fn alive(s: &TestServer, t: &Value, client: (&str, &str)) -> (bool, bool, bool) {
    let at = t["access_token"].as_str().unwrap();
    let introspected: Value = s
        .http
        .post(s.url("/oauth2/introspect"))
        .basic_auth("machine", Some(MACHINE_SECRET))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let userinfo = s.userinfo(at).await.status();
    // Refresh last: it rotates the token (on a live set).
    let refresh = s
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", t["refresh_token"].as_str().unwrap()),
            ],
            Some(client),
        )
        .await
        .status();
    (
        introspected["active"] == json!(true),
        userinfo == 200,
        refresh == 200,
    )
}

async fn start_reauthorize(s: &TestServer, cookie: &str) -> String {
    let r = s
        .authorize(&params("web", &[("x_method", "reauthorize")]), Some(cookie))
        .await;
    assert_eq!(r.status(), 302);
    let loc = location(r.headers());
    assert!(
        loc.starts_with("/login?request="),
        "reauthorize shows the login form even with a session: {loc}"
    );
    loc.trim_start_matches("/login?request=").to_owned()
}

async fn reauthorize_kills_that_apps_tokens_once_the_user_signs_in_again(db: Db) {
    let s = start(db).await;
    let (redirect, cookie) = s.login_flow(&params("web", &[])).await;
    let web = ("web", WEB_SECRET);
    let es = ("es", ES_SECRET);
    let old = exchange(&s, &redirect, web).await;
    let older = tokens_with_session(&s, &cookie, web).await;
    let other_app = tokens_with_session(&s, &cookie, es).await;

    let request = start_reauthorize(&s, &cookie).await;
    // Issue 15, item 10: starting the flow is a GET any site can send the
    // browser to; it revokes nothing.
    assert_eq!(alive(&s, &old, web).await, (true, true, true));
    // Once the user has signed in again, this app's tokens are dead.
    let r = s
        .ui_post_with_cookie(
            "/api/ui/login",
            json!({"request": request, "email": EMAIL, "password": PASSWORD}),
            &cookie,
        )
        .await;
    assert_eq!(r.status(), 200);
    let cookie = session_cookie(r.headers()).unwrap();
    assert_eq!(alive(&s, &old, web).await, (false, false, false));
    assert_eq!(alive(&s, &older, web).await, (false, false, false));
    // The other app and the SSO session are untouched.
    assert_eq!(alive(&s, &other_app, es).await, (true, true, true));
    let again = tokens_with_session(&s, &cookie, es).await;
    assert!(again["access_token"].is_string());
    // The audit log says so.
    let log = s
        .running
        .state
        .provider
        .store
        .audit_log(&portico_core::services::audit::Filter {
            client_id: Some("web".into()),
            limit: 20,
            ..Default::default()
        })
        .await
        .unwrap();
    let r = log.iter().find(|r| r.event == "reauthorize").unwrap();
    assert_eq!(r.detail, "2 grant(s) revoked");
    assert!(r.user_id.is_some());
}

async fn backing_out_of_reauthorize_gives_access_denied_and_changes_nothing(db: Db) {
    let s = start(db).await;
    let (redirect, cookie) = s.login_flow(&params("web", &[])).await;
    let web = ("web", WEB_SECRET);
    let old = exchange(&s, &redirect, web).await;
    let request = start_reauthorize(&s, &cookie).await;
    let r = s
        .ui_post_with_cookie("/api/ui/cancel", json!({"request": request}), &cookie)
        .await;
    assert_eq!(r.status(), 200);
    let next: Value = r.json().await.unwrap();
    let q = query_of(next["redirect_to"].as_str().unwrap());
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-6");
    assert!(!q.contains_key("code"));
    // The user never signed in again: the app's tokens live on.
    assert_eq!(alive(&s, &old, web).await, (true, true, true));
}

/// Issue 15, item 9: before, signing in on a browser that still had a
/// session left that session alive, so signing out of the new one left
/// what the old one gave working.
async fn signing_in_again_absorbs_the_old_session_so_logout_ends_both(db: Db) {
    let s = start(db).await;
    let web = ("web", WEB_SECRET);
    let (redirect, first) = s.login_flow(&params("web", &[])).await;
    let from_first = exchange(&s, &redirect, web).await;
    // The same browser signs in again (its cookie still set).
    let r = s
        .ui_post_with_cookie(
            "/api/ui/login",
            json!({"email": EMAIL, "password": PASSWORD}),
            &first,
        )
        .await;
    assert_eq!(r.status(), 200);
    let second = session_cookie(r.headers()).unwrap();
    assert_ne!(second, first);
    // The first session is over...
    let r = s.authorize(&params("web", &[]), Some(&first)).await;
    assert!(location(r.headers()).starts_with("/login?request="));
    let from_second = tokens_with_session(&s, &second, web).await;
    // ...and signing out of the second revokes what either gave.
    let r = logout(
        &s,
        &[
            ("id_token_hint", from_second["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", SIGNED_OUT),
        ],
        &second,
    )
    .await;
    assert_eq!(r.status(), 302);
    assert_eq!(alive(&s, &from_second, web).await, (false, false, false));
    assert_eq!(alive(&s, &from_first, web).await, (false, false, false));
}

async fn signing_in_as_someone_else_signs_the_first_user_out(db: Db) {
    let s = start(db).await;
    let web = ("web", WEB_SECRET);
    let (redirect, alices) = s.login_flow(&params("web", &[])).await;
    let alice_tokens = exchange(&s, &redirect, web).await;
    let request = {
        let r = s
            .authorize(&params("web", &[("x_method", "sign_up")]), Some(&alices))
            .await;
        location(r.headers())
            .trim_start_matches("/sign-up?request=")
            .to_owned()
    };
    let r = s
        .ui_post_with_cookie(
            "/api/ui/sign-up",
            json!({"request": request, "name": "Bob", "email": "bob@example.com", "password": "bob's long password"}),
            &alices,
        )
        .await;
    assert_eq!(r.status(), 200);
    // Alice's session on this browser ended as if she had signed out.
    assert_eq!(alive(&s, &alice_tokens, web).await, (false, false, false));
    let r = s.authorize(&params("web", &[]), Some(&alices)).await;
    assert!(location(r.headers()).starts_with("/login?request="));
}

async fn reauthorize_with_credentials_issues_a_new_code_with_a_new_auth_time(db: Db) {
    let s = start(db).await;
    let (redirect, cookie) = s.login_flow(&params("web", &[])).await;
    let web = ("web", WEB_SECRET);
    let old = exchange(&s, &redirect, web).await;
    let first = s
        .verify_id_token(old["id_token"].as_str().unwrap(), "web")
        .await;
    s.clock.advance(120);
    let request = start_reauthorize(&s, &cookie).await;
    // The session alone does not finish a reauthorize request.
    let r = s
        .ui_post_with_cookie("/api/ui/continue", json!({"request": request}), &cookie)
        .await;
    assert_eq!(r.status(), 401);
    let r = s
        .ui_post_with_cookie(
            "/api/ui/login",
            json!({"request": request, "email": EMAIL, "password": PASSWORD}),
            &cookie,
        )
        .await;
    assert_eq!(r.status(), 200);
    let next: Value = r.json().await.unwrap();
    let fresh = exchange(&s, next["redirect_to"].as_str().unwrap(), web).await;
    let second = s
        .verify_id_token(fresh["id_token"].as_str().unwrap(), "web")
        .await;
    assert!(
        second["auth_time"].as_i64().unwrap() >= first["auth_time"].as_i64().unwrap() + 120,
        "auth_time moves to the new sign-in: {first} then {second}"
    );
    assert_eq!(second["acr"], "1");
    assert_eq!(alive(&s, &fresh, web).await, (true, true, true));
    assert_eq!(alive(&s, &old, web).await, (false, false, false));
}

const PAR_ONLY: &str = r#"
[[clients]]
id = "par-only"
secret = "par-only-secret-par-only-secret-par-only-0123"
redirect_uris = ["http://127.0.0.1:9/cb"]
first_party = true
require_pushed_authorization_requests = true
"#;

async fn push(s: &TestServer, client: (&str, &str), form: &[(&str, &str)]) -> reqwest::Response {
    s.http
        .post(s.url("/oauth2/par"))
        .basic_auth(client.0, Some(client.1))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn pushed_requests_are_used_once_expire_and_can_be_required(db: Db) {
    let s = start_with(db, PAR_ONLY).await;
    let web = ("web", WEB_SECRET);
    let d: Value = s.get_json("/.well-known/openid-configuration").await;
    assert_eq!(
        d["pushed_authorization_request_endpoint"],
        s.url("/oauth2/par")
    );

    let r = push(&s, web, &params("web", &[("state", "pushed-state")])[..]).await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let pushed: Value = r.json().await.unwrap();
    let uri = pushed["request_uri"].as_str().unwrap().to_owned();
    assert!(
        uri.starts_with("urn:ietf:params:oauth:request_uri:"),
        "{uri}"
    );
    assert_eq!(pushed["expires_in"], 60);
    // The browser carries only client_id and request_uri; anything else in
    // the query is ignored.
    let via_par = [
        ("client_id", "web"),
        ("request_uri", uri.as_str()),
        ("state", "ignored"),
    ];
    let (redirect, _) = s.login_flow(&via_par).await;
    assert_eq!(query_of(&redirect)["state"], "pushed-state");
    exchange(&s, &redirect, web).await;
    // Single use.
    let r = s.authorize(&via_par, None).await;
    assert_eq!(r.status(), 400, "a used request_uri gets the error page");
    // Expiry.
    let r = push(&s, web, &params("web", &[])[..]).await;
    let uri: String = r.json::<Value>().await.unwrap()["request_uri"]
        .as_str()
        .unwrap()
        .into();
    s.clock.advance(61);
    let r = s
        .authorize(&[("client_id", "web"), ("request_uri", uri.as_str())], None)
        .await;
    assert_eq!(r.status(), 400);
    // Another client cannot use it, and pushing needs client authentication.
    let r = push(&s, web, &params("web", &[])[..]).await;
    let uri: String = r.json::<Value>().await.unwrap()["request_uri"]
        .as_str()
        .unwrap()
        .into();
    let r = s
        .authorize(&[("client_id", "es"), ("request_uri", uri.as_str())], None)
        .await;
    assert_eq!(r.status(), 400);
    let r = push(&s, ("web", "wrong"), &params("web", &[])[..]).await;
    assert_eq!(r.status(), 401);
    // Errors in the pushed request go straight back to the client.
    let r = push(
        &s,
        web,
        &params("web", &[("code_challenge_method", "S256")])[..],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");

    // A client that requires PAR: a plain request is refused (to its
    // registered redirect_uri), a pushed one works.
    let r = s.authorize(&params("par-only", &[]), None).await;
    assert_eq!(r.status(), 302);
    let q = query_of(&location(r.headers()));
    assert_eq!(q["error"], "invalid_request");
    let par_only = ("par-only", "par-only-secret-par-only-secret-par-only-0123");
    let r = push(&s, par_only, &params("par-only", &[])[..]).await;
    assert_eq!(r.status(), 201);
    let uri: String = r.json::<Value>().await.unwrap()["request_uri"]
        .as_str()
        .unwrap()
        .into();
    let r = s
        .authorize(
            &[("client_id", "par-only"), ("request_uri", uri.as_str())],
            None,
        )
        .await;
    assert_eq!(r.status(), 302);
    assert!(location(r.headers()).starts_with("/login?request="));
}

const SIGNED_OUT: &str = "http://127.0.0.1:9/signed-out";

async fn logout(s: &TestServer, query: &[(&str, &str)], cookie: &str) -> reqwest::Response {
    let mut u = url::Url::parse(&s.url("/oauth2/logout")).unwrap();
    u.query_pairs_mut().extend_pairs(query);
    s.http
        .get(u.as_str())
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// The session cookie is cleared in the response.
fn clears_cookie(r: &reqwest::Response) -> bool {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("portico_session=;") || v.contains("Max-Age=0"))
}

async fn logout_with_a_hint_ends_the_session_and_its_tokens_only(db: Db) {
    let s = start(db).await;
    let web = ("web", WEB_SECRET);
    let (redirect, cookie) = s.login_flow(&params("web", &[])).await;
    let mine = exchange(&s, &redirect, web).await;
    // Another browser of the same user keeps its session and tokens.
    let (other_redirect, other_cookie) = s.login_flow(&params("web", &[])).await;
    let theirs = exchange(&s, &other_redirect, web).await;

    let r = logout(
        &s,
        &[
            ("id_token_hint", mine["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", SIGNED_OUT),
            ("state", "bye-1"),
        ],
        &cookie,
    )
    .await;
    assert_eq!(r.status(), 302);
    assert_eq!(location(r.headers()), format!("{SIGNED_OUT}?state=bye-1"));
    assert!(clears_cookie(&r));
    // The session is over: authorize asks for the login again.
    let r = s.authorize(&params("web", &[]), Some(&cookie)).await;
    assert!(location(r.headers()).starts_with("/login?request="));
    // Its tokens are dead; the other session's live on.
    assert_eq!(alive(&s, &mine, web).await, (false, false, false));
    assert_eq!(alive(&s, &theirs, web).await, (true, true, true));
    let r = s.authorize(&params("web", &[]), Some(&other_cookie)).await;
    assert!(location(r.headers()).starts_with(CB));
}

async fn logout_without_a_hint_asks_first(db: Db) {
    let s = start(db).await;
    let web = ("web", WEB_SECRET);
    let (redirect, cookie) = s.login_flow(&params("web", &[])).await;
    let mine = exchange(&s, &redirect, web).await;
    let query = [
        ("client_id", "web"),
        ("post_logout_redirect_uri", SIGNED_OUT),
        ("state", "bye-2"),
    ];
    let r = logout(&s, &query, &cookie).await;
    assert_eq!(r.status(), 302);
    let screen = location(r.headers());
    assert!(screen.starts_with("/logout?"), "{screen}");
    assert!(!clears_cookie(&r));
    // Nothing happened yet.
    let r = s.authorize(&params("web", &[]), Some(&cookie)).await;
    assert!(location(r.headers()).starts_with(CB));
    // The screen's API names the app; "Sign out" ends the session.
    let search = screen.trim_start_matches("/logout");
    let info: Value = s
        .http
        .get(s.url(&format!("/api/ui/end-session{search}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["client_name"], "Web App");
    let r = s
        .ui_post_with_cookie("/api/ui/end-session", json!({"query": search}), &cookie)
        .await;
    assert_eq!(r.status(), 200);
    assert!(clears_cookie(&r));
    let next: Value = r.json().await.unwrap();
    assert_eq!(next["redirect_to"], format!("{SIGNED_OUT}?state=bye-2"));
    assert_eq!(alive(&s, &mine, web).await, (false, false, false));
    let r = s.authorize(&params("web", &[]), Some(&cookie)).await;
    assert!(location(r.headers()).starts_with("/login?request="));
}

async fn logout_never_redirects_to_an_unregistered_uri(db: Db) {
    let s = start(db).await;
    let (_, cookie) = s.login_flow(&params("web", &[])).await;
    for query in [
        vec![
            ("client_id", "web"),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ],
        vec![("post_logout_redirect_uri", SIGNED_OUT)],
        vec![
            ("id_token_hint", "forged.token.value"),
            ("post_logout_redirect_uri", SIGNED_OUT),
        ],
    ] {
        let r = logout(&s, &query, &cookie).await;
        let screen = location(r.headers());
        assert!(screen.starts_with("/logout?"), "{screen}");
        let search = screen.trim_start_matches("/logout");
        let r = s
            .http
            .get(s.url(&format!("/api/ui/end-session{search}")))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let r = s
            .ui_post_with_cookie("/api/ui/end-session", json!({"query": search}), &cookie)
            .await;
        assert_eq!(r.status(), 400, "{query:?}");
    }
    // Still signed in.
    let r = s.authorize(&params("web", &[]), Some(&cookie)).await;
    assert!(location(r.headers()).starts_with(CB));
}

/// Where authorize sends the browser for each x_method (and prompt=create),
/// without and with an SSO session and a prior authorization.
async fn x_method_against_the_sso_state(db: Db) {
    let s = start(db).await;
    let first = |loc: String| loc.split('?').next().unwrap().to_owned();
    // (extra parameters, screen without a session, with one)
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: [Case; 5] = [
        (&[], "/login", CB),
        (&[("x_method", "login")], "/login", CB),
        (&[("x_method", "sign_up")], "/sign-up", "/sign-up"),
        (&[("prompt", "create")], "/sign-up", "/sign-up"),
        (&[("x_method", "reauthorize")], "/login", "/login"),
    ];
    for (extra, _, _) in &cases {
        let r = s.authorize(&params("web", extra), None).await;
        assert_eq!(r.status(), 302, "{extra:?}");
    }
    let (_, cookie) = s.login_flow(&params("web", &[])).await;
    for (extra, without, with) in cases {
        let r = s.authorize(&params("web", extra), None).await;
        assert_eq!(
            first(location(r.headers())),
            without,
            "no session, {extra:?}"
        );
        let r = s.authorize(&params("web", extra), Some(&cookie)).await;
        assert_eq!(
            first(location(r.headers())),
            with,
            "with a session, {extra:?}"
        );
    }
    // sign_up with a session offers to continue as the signed-in user.
    let r = s
        .authorize(&params("web", &[("x_method", "sign_up")]), Some(&cookie))
        .await;
    let request = location(r.headers())
        .trim_start_matches("/sign-up?request=")
        .to_owned();
    let r = s
        .ui_post_with_cookie("/api/ui/continue", json!({"request": request}), &cookie)
        .await;
    assert_eq!(r.status(), 200);
    let next: Value = r.json().await.unwrap();
    assert!(query_of(next["redirect_to"].as_str().unwrap()).contains_key("code"));
}

//! Issue 4 over HTTP: every response type and mode, consent, prompt values,
//! max_age, acr, the password grant, refresh grace, introspection and
//! revocation, discovery.

use crate::common::*;
use crate::on_both_backends;
use serde_json::{Value, json};
use std::collections::HashMap;

on_both_backends!(
    a_forged_form_post_relay_is_refused,
    every_response_type_and_mode_answers_as_specified,
    form_post_is_a_self_submitting_form_with_a_tight_policy,
    consent_is_asked_remembered_and_can_be_refused,
    prompt_values_and_max_age,
    acr_values_and_the_acr_claim,
    the_password_grant,
    refresh_grace_then_reuse_revokes_the_family,
    introspection_and_revocation,
    only_clients_configured_to_introspect_may_introspect,
    discovery_advertises_what_works,
    the_id_token_alone_carries_the_users_claims,
);

const ALL_SCOPES: &str = "openid profile email offline_access";

fn partner(
    rt: &'static str,
    extra: &[(&'static str, &'static str)],
) -> Vec<(&'static str, &'static str)> {
    let mut v = vec![
        ("client_id", "partner"),
        ("redirect_uri", CB),
        ("response_type", rt),
        ("scope", "openid email"),
        ("state", "st-9"),
        ("nonce", "n-9"),
    ];
    for (k, val) in extra {
        match v.iter_mut().find(|(name, _)| name == k) {
            Some(slot) => slot.1 = val,
            None => v.push((k, val)),
        }
    }
    v
}

/// The request id from a Location like `/login?request=ID`.
fn request_of(loc: &str, screen: &str) -> String {
    let prefix = format!("{screen}?request=");
    assert!(loc.starts_with(&prefix), "expected {screen}, got {loc}");
    loc[prefix.len()..].to_owned()
}

fn fragment_of(url: &str) -> HashMap<String, String> {
    let u = url::Url::parse(url).unwrap();
    url::form_urlencoded::parse(u.fragment().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// Sign in (no session yet) for the partner client and allow it on the
/// consent screen; returns the session cookie and the final redirect.
async fn sign_in_and_allow(s: &TestServer, params: &[(&str, &str)]) -> (String, String) {
    let (next, cookie) = s.login_flow(params).await;
    let id = request_of(&next, "/consent");
    let r = s
        .ui_post_with_cookie(
            "/api/ui/consent",
            json!({"request": id, "allow": true}),
            &cookie,
        )
        .await;
    assert_eq!(r.status(), 200);
    let next: Value = r.json().await.unwrap();
    (cookie, next["redirect_to"].as_str().unwrap().to_owned())
}

/// Parse the hidden fields of a form_post page.
fn form_fields(html: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for part in html.split("<input type=\"hidden\" ").skip(1) {
        let attr = |name: &str| {
            let start = part.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            let end = part[start..].find('"').unwrap() + start;
            part[start..end]
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&")
        };
        out.insert(attr("name"), attr("value"));
    }
    out
}

async fn every_response_type_and_mode_answers_as_specified(db: Db) {
    let s = start(db).await;
    let (cookie, first) = sign_in_and_allow(&s, &partner("code", &[])).await;
    assert!(query_of(&first).contains_key("code"));
    let types = [
        "code",
        "token",
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    ];
    for rt in types {
        for mode in ["", "fragment", "form_post", "query"] {
            let mut extra = vec![];
            if !mode.is_empty() {
                extra.push(("response_mode", mode));
            }
            let r = s.authorize(&partner(rt, &extra), Some(&cookie)).await;
            let fields = if mode == "form_post" {
                assert_eq!(r.status(), 200, "{rt} {mode}");
                form_fields(&r.text().await.unwrap())
            } else {
                assert_eq!(r.status(), 302, "{rt} {mode}");
                let loc = location(r.headers());
                assert!(loc.starts_with(CB), "{loc}");
                let in_query = rt == "code" && mode != "fragment";
                if in_query {
                    assert!(!loc.contains('#'), "{rt} {mode}: {loc}");
                    query_of(&loc)
                } else {
                    assert!(
                        !loc.contains('?'),
                        "{rt} {mode}: nothing in the query: {loc}"
                    );
                    fragment_of(&loc)
                }
            };
            if mode == "query" && rt != "code" {
                assert_eq!(
                    fields["error"], "invalid_request",
                    "{rt} may not use the query"
                );
                continue;
            }
            assert_eq!(fields["state"], "st-9", "{rt} {mode}");
            assert_eq!(fields["iss"], s.issuer);
            let kinds: Vec<&str> = rt.split(' ').collect();
            assert_eq!(
                fields.contains_key("code"),
                kinds.contains(&"code"),
                "{rt} {mode}"
            );
            assert_eq!(
                fields.contains_key("access_token"),
                kinds.contains(&"token"),
                "{rt} {mode}"
            );
            assert_eq!(
                fields.contains_key("id_token"),
                kinds.contains(&"id_token"),
                "{rt} {mode}"
            );
            if let Some(at) = fields.get("access_token") {
                assert_eq!(fields["token_type"], "Bearer");
                assert_eq!(s.userinfo(at).await.status(), 200);
            }
            if let Some(id) = fields.get("id_token") {
                let c = s.verify_id_token(id, "partner").await;
                assert_eq!(c["nonce"], "n-9");
                let half = |v: &str| {
                    use base64::Engine;
                    use sha2::Digest;
                    let d = sha2::Sha256::digest(v.as_bytes());
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&d[..16])
                };
                match fields.get("access_token") {
                    Some(at) => assert_eq!(c["at_hash"], half(at)),
                    None => assert!(c.get("at_hash").is_none()),
                }
                match fields.get("code") {
                    Some(code) => assert_eq!(c["c_hash"], half(code)),
                    None => assert!(c.get("c_hash").is_none()),
                }
            }
            // A hybrid code still works at the token endpoint.
            if let Some(code) = fields.get("code") {
                let r = s
                    .token(
                        &[
                            ("grant_type", "authorization_code"),
                            ("code", code),
                            ("redirect_uri", CB),
                        ],
                        Some(("partner", PARTNER_SECRET)),
                    )
                    .await;
                assert_eq!(r.status(), 200, "{rt} {mode}");
                let t: Value = r.json().await.unwrap();
                let c = s
                    .verify_id_token(t["id_token"].as_str().unwrap(), "partner")
                    .await;
                assert_eq!(c["nonce"], "n-9");
            }
        }
    }
    // The nonce is required whenever an id_token comes from /authorize.
    let mut no_nonce = partner("code id_token", &[]);
    no_nonce.retain(|(k, _)| *k != "nonce");
    let r = s.authorize(&no_nonce, Some(&cookie)).await;
    let f = fragment_of(&location(r.headers()));
    assert_eq!(f["error"], "invalid_request");
    // Clients get only the response types configured for them.
    let mut web = partner("token", &[]);
    web[0] = ("client_id", "web");
    let r = s.authorize(&web, Some(&cookie)).await;
    assert_eq!(
        fragment_of(&location(r.headers()))["error"],
        "unauthorized_client"
    );
    let r = s
        .authorize(&partner("code magic", &[]), Some(&cookie))
        .await;
    assert_eq!(
        query_of(&location(r.headers()))["error"],
        "unsupported_response_type"
    );
}

async fn form_post_is_a_self_submitting_form_with_a_tight_policy(db: Db) {
    let s = start(db).await;
    let (cookie, _) = sign_in_and_allow(&s, &partner("code", &[])).await;
    let r = s
        .authorize(
            &partner(
                "code",
                &[("response_mode", "form_post"), ("state", "a\"<b>&c")],
            ),
            Some(&cookie),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("form-action http://127.0.0.1:9"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("action=\"{CB}\"")));
    assert!(html.contains("<button type=\"submit\">Continue</button>"));
    assert!(!html.contains("a\"<b>"), "state is escaped");
    let fields = form_fields(&html);
    assert_eq!(fields["state"], "a\"<b>&c");
    // The script is allowed by its hash, nothing else.
    use base64::Engine;
    use sha2::Digest;
    let script = html
        .split("<script>")
        .nth(1)
        .unwrap()
        .split("</script>")
        .next()
        .unwrap();
    let hash =
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script.as_bytes()));
    assert!(
        csp.contains(&format!("script-src 'sha256-{hash}'")),
        "{csp}"
    );
    // After a login on the UI, the JSON answer tells the UI to post, to
    // Portico's own relay page (the UI's CSP allows forms to go nowhere
    // else), which serves the form above for the client.
    let r = s
        .authorize(&code_params_web(&[("response_mode", "form_post")]), None)
        .await;
    let request = location(r.headers())
        .trim_start_matches("/login?request=")
        .to_owned();
    let next: Value = s
        .ui_post(
            "/api/ui/login",
            json!({"request": request, "email": EMAIL, "password": PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["redirect_to"], "/oauth2/form-post");
    let relayed: Vec<(String, String)> = serde_json::from_value(next["form_post"].clone()).unwrap();
    let r = s
        .http
        .post(s.url("/oauth2/form-post"))
        .form(&relayed)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("form-action http://127.0.0.1:9"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!("action=\"{CB}\"")), "{html}");
    let fields = form_fields(&html);
    assert_eq!(fields["state"], "st-1");
    assert!(!fields["code"].is_empty());
    assert!(
        !fields.contains_key("portico_relay_sig"),
        "the relay's own fields stay home"
    );
}

fn code_params_web<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("client_id", "web"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", ALL_SCOPES),
        ("state", "st-1"),
    ];
    v.extend_from_slice(extra);
    v
}

async fn consent_is_asked_remembered_and_can_be_refused(db: Db) {
    let s = start(db).await;
    // First time: login, then the consent screen, which describes the request.
    let (next, cookie) = s.login_flow(&partner("code", &[])).await;
    let id = request_of(&next, "/consent");
    let info: Value = s.get_json(&format!("/api/ui/auth-requests/{id}")).await;
    assert_eq!(info["client_name"], "Partner App");
    let words: Vec<&str> = info["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["description"].as_str().unwrap())
        .collect();
    assert_eq!(
        words,
        [
            "Know who you are when you sign in",
            "See your email address"
        ]
    );
    // The consent API needs the session.
    let r = s
        .ui_post("/api/ui/consent", json!({"request": id, "allow": true}))
        .await;
    assert_eq!(r.status(), 401);
    let r = s
        .ui_post_with_cookie(
            "/api/ui/consent",
            json!({"request": id, "allow": true}),
            &cookie,
        )
        .await;
    let next: Value = r.json().await.unwrap();
    assert!(query_of(next["redirect_to"].as_str().unwrap()).contains_key("code"));
    // Remembered: no screen for the same scopes, even with prompt=none.
    let r = s
        .authorize(&partner("code", &[("prompt", "none")]), Some(&cookie))
        .await;
    assert!(query_of(&location(r.headers())).contains_key("code"));
    // prompt=consent asks again; "Don't allow" answers access_denied.
    let r = s
        .authorize(&partner("code", &[("prompt", "consent")]), Some(&cookie))
        .await;
    let id = request_of(&location(r.headers()), "/consent");
    let r = s
        .ui_post_with_cookie(
            "/api/ui/consent",
            json!({"request": id, "allow": false}),
            &cookie,
        )
        .await;
    let next: Value = r.json().await.unwrap();
    let q = query_of(next["redirect_to"].as_str().unwrap());
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "st-9");
    // More scopes than were allowed: asked again; prompt=none cannot.
    let more = [("scope", "openid email profile")];
    let r = s.authorize(&partner("code", &more), Some(&cookie)).await;
    request_of(&location(r.headers()), "/consent");
    let mut none = more.to_vec();
    none.push(("prompt", "none"));
    let r = s.authorize(&partner("code", &none), Some(&cookie)).await;
    assert_eq!(
        query_of(&location(r.headers()))["error"],
        "consent_required"
    );
    // First-party clients are never asked.
    let r = s.authorize(&code_params_web(&[]), Some(&cookie)).await;
    assert!(query_of(&location(r.headers())).contains_key("code"));
}

async fn prompt_values_and_max_age(db: Db) {
    let s = start(db).await;
    // none without a session.
    let r = s
        .authorize(&code_params_web(&[("prompt", "none")]), None)
        .await;
    assert_eq!(query_of(&location(r.headers()))["error"], "login_required");
    let (_, cookie) = s.login_flow(&code_params_web(&[])).await;
    // login: the login screen even with a session; "Continue" is refused.
    let r = s
        .authorize(&code_params_web(&[("prompt", "login")]), Some(&cookie))
        .await;
    let id = request_of(&location(r.headers()), "/login");
    let r = s
        .ui_post_with_cookie("/api/ui/continue", json!({"request": id}), &cookie)
        .await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "login_required");
    // select_account: the chooser; continuing as the current account works.
    let r = s
        .authorize(
            &code_params_web(&[("prompt", "select_account")]),
            Some(&cookie),
        )
        .await;
    let id = request_of(&location(r.headers()), "/login");
    let r = s
        .ui_post_with_cookie("/api/ui/continue", json!({"request": id}), &cookie)
        .await;
    assert_eq!(r.status(), 200);
    let next: Value = r.json().await.unwrap();
    assert!(query_of(next["redirect_to"].as_str().unwrap()).contains_key("code"));
    // create: the sign-up screen; with prompt=none that is interaction_required.
    let r = s
        .authorize(&code_params_web(&[("prompt", "create")]), Some(&cookie))
        .await;
    request_of(&location(r.headers()), "/sign-up");
    let r = s
        .authorize(
            &code_params_web(&[("x_method", "sign_up"), ("prompt", "none")]),
            Some(&cookie),
        )
        .await;
    assert_eq!(
        query_of(&location(r.headers()))["error"],
        "interaction_required"
    );
    // max_age: fine while the sign-in is recent, then the login screen, and
    // the id_token carries auth_time.
    s.clock.advance(120);
    let r = s
        .authorize(
            &code_params_web(&[("max_age", "600"), ("nonce", "n")]),
            Some(&cookie),
        )
        .await;
    let code = query_of(&location(r.headers()))["code"].clone();
    let t: Value = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await
        .json()
        .await
        .unwrap();
    let c = s
        .verify_id_token(t["id_token"].as_str().unwrap(), "web")
        .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let auth_time = c["auth_time"].as_i64().unwrap();
    assert!(
        (now + 120 - auth_time - 120).abs() < 30,
        "auth_time is the sign-in time"
    );
    let r = s
        .authorize(&code_params_web(&[("max_age", "60")]), Some(&cookie))
        .await;
    request_of(&location(r.headers()), "/login");
    let r = s
        .authorize(
            &code_params_web(&[("max_age", "60"), ("prompt", "none")]),
            Some(&cookie),
        )
        .await;
    assert_eq!(query_of(&location(r.headers()))["error"], "login_required");
    // Unknown prompt values are refused.
    let r = s
        .authorize(&code_params_web(&[("prompt", "sometimes")]), Some(&cookie))
        .await;
    assert_eq!(query_of(&location(r.headers()))["error"], "invalid_request");
}

async fn acr_values_and_the_acr_claim(db: Db) {
    let s = start(db).await;
    let (_, first) = sign_in_and_allow(&s, &partner("code", &[])).await;
    // The code from a fresh sign-in: acr 1.
    let code = query_of(&first)["code"].clone();
    let t: Value = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
            ],
            Some(("partner", PARTNER_SECRET)),
        )
        .await
        .json()
        .await
        .unwrap();
    let c = s
        .verify_id_token(t["id_token"].as_str().unwrap(), "partner")
        .await;
    assert_eq!(c["acr"], "1");
    // From the SSO session: acr 0, even when something stronger is asked.
    let (_, cookie) = s.login_flow(&code_params_web(&[])).await;
    let r = s
        .authorize(
            &partner("id_token", &[("acr_values", "urn:example:mfa")]),
            Some(&cookie),
        )
        .await;
    let f = fragment_of(&location(r.headers()));
    let c = s.verify_id_token(&f["id_token"], "partner").await;
    assert_eq!(c["acr"], "0");
    // acr_values=1 needs credentials now: the login screen.
    let r = s
        .authorize(&partner("id_token", &[("acr_values", "1")]), Some(&cookie))
        .await;
    request_of(&location(r.headers()), "/login");
}

async fn the_password_grant(db: Db) {
    let s = start(db).await;
    let pw = |client: &'static str,
              secret: &'static str,
              password: &'static str,
              scope: &'static str| {
        let s = &s;
        async move {
            s.token(
                &[
                    ("grant_type", "password"),
                    ("username", EMAIL),
                    ("password", password),
                    ("scope", scope),
                ],
                Some((client, secret)),
            )
            .await
        }
    };
    let r = pw(
        "legacy",
        LEGACY_SECRET,
        PASSWORD,
        "openid email offline_access",
    )
    .await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert!(t["refresh_token"].is_string());
    let c = s
        .verify_id_token(t["id_token"].as_str().unwrap(), "legacy")
        .await;
    assert_eq!(c["acr"], "1");
    assert_eq!(
        s.userinfo(t["access_token"].as_str().unwrap())
            .await
            .json::<Value>()
            .await
            .unwrap()["email"],
        EMAIL
    );
    // No openid: no id_token.
    let t: Value = pw("legacy", LEGACY_SECRET, PASSWORD, "email")
        .await
        .json()
        .await
        .unwrap();
    assert!(t.get("id_token").is_none());
    let r = pw("legacy", LEGACY_SECRET, "wrong password", "openid").await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let r = pw("legacy", LEGACY_SECRET, PASSWORD, "openid admin").await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_scope");
    let r = pw("web", WEB_SECRET, PASSWORD, "openid").await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
    let r = pw("legacy", "wrong-secret", PASSWORD, "openid").await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
}

async fn refresh(s: &TestServer, rt: &str) -> reqwest::Response {
    s.token(
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        Some(("web", WEB_SECRET)),
    )
    .await
}

async fn refresh_grace_then_reuse_revokes_the_family(db: Db) {
    let s = start_with(db, "[tokens]\nrefresh_token_grace_secs = 10").await;
    let (redirect, _) = s.login_flow(&code_params_web(&[("nonce", "n")])).await;
    let code = query_of(&redirect)["code"].clone();
    let t: Value = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await
        .json()
        .await
        .unwrap();
    let rt1 = t["refresh_token"].as_str().unwrap().to_owned();
    let r = refresh(&s, &rt1).await;
    assert_eq!(r.status(), 200);
    let t2: Value = r.json().await.unwrap();
    // Lost response: a retry inside the window works.
    s.clock.advance(10);
    let r = refresh(&s, &rt1).await;
    assert_eq!(r.status(), 200, "within the grace period");
    let t3: Value = r.json().await.unwrap();
    assert_eq!(
        t3["refresh_token"], t2["refresh_token"],
        "a retry gets the same successor"
    );
    // Narrowing works; widening does not.
    let r = s
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", t3["refresh_token"].as_str().unwrap()),
                ("scope", "openid"),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await;
    let t4: Value = r.json().await.unwrap();
    assert_eq!(t4["scope"], "openid");
    // After the window: reuse is theft; the whole family dies.
    s.clock.advance(1);
    let r = refresh(&s, &rt1).await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    for rt in [&t2["refresh_token"], &t4["refresh_token"]] {
        let r = refresh(&s, rt.as_str().unwrap()).await;
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    }
    assert_eq!(
        s.userinfo(t4["access_token"].as_str().unwrap())
            .await
            .status(),
        401
    );
}

async fn introspect(s: &TestServer, token: &str, who: (&str, &str)) -> reqwest::Response {
    s.http
        .post(s.url("/oauth2/introspect"))
        .basic_auth(who.0, Some(who.1))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

async fn revoke(s: &TestServer, token: &str, who: (&str, &str)) -> reqwest::Response {
    s.http
        .post(s.url("/oauth2/revoke"))
        .basic_auth(who.0, Some(who.1))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
}

async fn introspection_and_revocation(db: Db) {
    let s = start(db).await;
    let (redirect, _) = s.login_flow(&code_params_web(&[])).await;
    let code = query_of(&redirect)["code"].clone();
    let t: Value = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await
        .json()
        .await
        .unwrap();
    let at = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    let web = ("web", WEB_SECRET);
    let machine = ("machine", MACHINE_SECRET);
    // A resource server (any confidential client) introspects access tokens.
    let r = introspect(&s, at, machine).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["active"], true);
    assert_eq!(v["client_id"], "web");
    assert_eq!(v["scope"], ALL_SCOPES);
    assert_eq!(v["token_type"], "Bearer");
    assert!(v["sub"].is_string() && v["exp"].is_i64() && v["iat"].is_i64());
    // Refresh tokens only to their own client.
    let v: Value = introspect(&s, rt, web).await.json().await.unwrap();
    assert_eq!(v["active"], true);
    assert_eq!(v["client_id"], "web");
    let v: Value = introspect(&s, rt, machine).await.json().await.unwrap();
    assert_eq!(v, json!({"active": false}));
    // Unauthenticated or public callers are refused.
    let r = s
        .http
        .post(s.url("/oauth2/introspect"))
        .form(&[("token", at), ("client_id", "spa")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = introspect(&s, at, ("web", "wrong")).await;
    assert_eq!(r.status(), 401);
    // Revoke the access token: inactive, refused at userinfo; the refresh token lives.
    let r = revoke(&s, at, web).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        introspect(&s, at, machine)
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!({"active": false})
    );
    assert_eq!(s.userinfo(at).await.status(), 401);
    assert_eq!(
        introspect(&s, rt, web).await.json::<Value>().await.unwrap()["active"],
        true
    );
    // Another client may not revoke web's tokens.
    let r = revoke(&s, rt, ("partner", PARTNER_SECRET)).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
    // Revoke the refresh token: the family dies.
    let r = s
        .token(
            &[("grant_type", "refresh_token"), ("refresh_token", rt)],
            Some(web),
        )
        .await;
    let t2: Value = r.json().await.unwrap();
    let rt2 = t2["refresh_token"].as_str().unwrap();
    assert_eq!(revoke(&s, rt2, web).await.status(), 200);
    assert_eq!(
        introspect(&s, rt2, web)
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!({"active": false})
    );
    assert_eq!(
        s.userinfo(t2["access_token"].as_str().unwrap())
            .await
            .status(),
        401
    );
    let r = s
        .token(
            &[("grant_type", "refresh_token"), ("refresh_token", rt2)],
            Some(web),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // Unknown tokens: 200 (RFC 7009 §2.2) and inactive.
    assert_eq!(revoke(&s, "no-such-token", web).await.status(), 200);
    assert_eq!(
        introspect(&s, "no-such-token", machine)
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!({"active": false})
    );
    // Expired access tokens are inactive.
    let r = s
        .token(&[("grant_type", "client_credentials")], Some(machine))
        .await;
    let cc: Value = r.json().await.unwrap();
    let cc_at = cc["access_token"].as_str().unwrap();
    assert_eq!(
        introspect(&s, cc_at, web)
            .await
            .json::<Value>()
            .await
            .unwrap()["active"],
        true
    );
    s.clock.advance(3601);
    assert_eq!(
        introspect(&s, cc_at, web)
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!({"active": false})
    );
    // A missing token is invalid_request.
    let r = s
        .http
        .post(s.url("/oauth2/introspect"))
        .basic_auth("web", Some(WEB_SECRET))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
}

async fn only_clients_configured_to_introspect_may_introspect(db: Db) {
    let s = start(db).await;
    let machine = ("machine", MACHINE_SECRET);
    let cc: Value = s
        .token(&[("grant_type", "client_credentials")], Some(machine))
        .await
        .json()
        .await
        .unwrap();
    let at = cc["access_token"].as_str().unwrap();
    // A confidential client without introspection = true is refused, for
    // any token, even a dead one.
    for token in [at, "no-such-token"] {
        for who in [("partner", PARTNER_SECRET), ("legacy", LEGACY_SECRET)] {
            let r = introspect(&s, token, who).await;
            assert_eq!(r.status(), 400, "{who:?}");
            assert_eq!(r.headers()["cache-control"], "no-store");
            let e: Value = r.json().await.unwrap();
            assert_eq!(e["error"], "unauthorized_client", "{who:?}");
        }
    }
    // Clients configured for it get the answer.
    for who in [machine, ("web", WEB_SECRET)] {
        let v: Value = introspect(&s, at, who).await.json().await.unwrap();
        assert_eq!(v["active"], true, "{who:?}");
        assert_eq!(v["client_id"], "machine");
    }
}

async fn discovery_advertises_what_works(db: Db) {
    let s = start(db).await;
    let d: Value = s.get_json("/.well-known/openid-configuration").await;
    let set = |k: &str| {
        let mut v: Vec<String> = d[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let sorted = |x: &[&str]| {
        let mut v: Vec<String> = x.iter().map(|s| (*s).to_owned()).collect();
        v.sort();
        v
    };
    assert_eq!(
        set("grant_types_supported"),
        sorted(&[
            "authorization_code",
            "implicit",
            "refresh_token",
            "client_credentials",
            "password",
            "urn:ietf:params:oauth:grant-type:device_code"
        ])
    );
    assert_eq!(
        set("response_modes_supported"),
        sorted(&["query", "fragment", "form_post"])
    );
    assert_eq!(
        set("prompt_values_supported"),
        sorted(&["none", "login", "consent", "select_account", "create"])
    );
    assert_eq!(
        set("code_challenge_methods_supported"),
        sorted(&["S256", "plain"])
    );
    assert_eq!(
        set("acr_values_supported"),
        sorted(&["0", "1", "urn:portico:acr:mfa"])
    );
    assert_eq!(d["introspection_endpoint"], s.url("/oauth2/introspect"));
    assert_eq!(d["revocation_endpoint"], s.url("/oauth2/revoke"));
    assert_eq!(
        d["device_authorization_endpoint"],
        s.url("/oauth2/device_authorization")
    );
    assert_eq!(d["end_session_endpoint"], s.url("/oauth2/logout"));
    assert_eq!(
        set("introspection_endpoint_auth_methods_supported"),
        sorted(&["client_secret_basic", "client_secret_post"])
    );
    for c in [
        "given_name",
        "family_name",
        "updated_at",
        "email_verified",
        "acr",
        "amr",
        "c_hash",
    ] {
        assert!(set("claims_supported").contains(&c.to_owned()), "{c}");
    }
    // Both advertised endpoints answer (not 404/405).
    for path in ["/oauth2/introspect", "/oauth2/revoke"] {
        let r = s
            .http
            .post(s.url(path))
            .form(&[("token", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path} asks for client authentication");
    }
}

async fn the_id_token_alone_carries_the_users_claims(db: Db) {
    let s = start(db).await;
    let (cookie, _) =
        sign_in_and_allow(&s, &partner("code", &[("scope", "openid email profile")])).await;
    let r = s
        .authorize(
            &partner("id_token", &[("scope", "openid email profile")]),
            Some(&cookie),
        )
        .await;
    let f = fragment_of(&location(r.headers()));
    let c = s.verify_id_token(&f["id_token"], "partner").await;
    assert_eq!(c["email"], EMAIL);
    assert_eq!(c["given_name"], "Alice");
    assert_eq!(c["family_name"], "Liddell");
    // With an access token beside it, the claims come from userinfo instead.
    let r = s
        .authorize(
            &partner("id_token token", &[("scope", "openid email profile")]),
            Some(&cookie),
        )
        .await;
    let f = fragment_of(&location(r.headers()));
    let c = s.verify_id_token(&f["id_token"], "partner").await;
    assert!(c.get("email").is_none());
    let info: Value = s.userinfo(&f["access_token"]).await.json().await.unwrap();
    assert_eq!(info["family_name"], "Liddell");
}

/// The relay page only posts answers Portico signed (issue 15, item 14):
/// it must not become a way to make a browser post anything anywhere.
async fn a_forged_form_post_relay_is_refused(db: Db) {
    let s = start(db).await;
    let r = s
        .http
        .post(s.url("/oauth2/form-post"))
        .form(&[
            ("code", "x"),
            ("portico_relay_action", "https://evil.example/steal"),
            ("portico_relay_expires", "99999999999"),
            ("portico_relay_sig", "AAAA"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(!r.text().await.unwrap().contains("evil.example"));
}

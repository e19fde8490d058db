//! Issue 5 over HTTP: the device authorization grant (RFC 8628) from the
//! device's side (device_authorization, polling) and the user's side (the
//! device page's API), on both backends.

use crate::common::*;
use crate::on_both_backends;
use serde_json::{Value, json};

on_both_backends!(
    device_authorization_hands_out_codes_to_allowed_clients_only,
    every_polling_answer_in_order,
    refusal_gives_access_denied,
    codes_expire,
    typed_codes_are_forgiving_and_single_use,
    first_party_devices_skip_the_scope_list,
    wrong_codes_lock_the_user_and_the_address,
    sign_in_returns_to_the_device_page_only,
    the_device_page_api_needs_a_session,
);

async fn start_device(s: &TestServer, client: &str, scope: &str) -> Value {
    let r = s
        .http
        .post(s.url("/oauth2/device_authorization"))
        .form(&[("client_id", client), ("scope", scope)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.json().await.unwrap()
}

/// Poll the token endpoint as the `tv` client.
async fn poll(s: &TestServer, device_code: &str) -> (u16, Value) {
    let r = s
        .token(
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", device_code),
                ("client_id", "tv"),
            ],
            None,
        )
        .await;
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn expect_poll_error(s: &TestServer, device_code: &str, error: &str) -> Value {
    let (status, body) = poll(s, device_code).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some(error)),
        "{body}"
    );
    body
}

async fn lookup(s: &TestServer, cookie: &str, code: &str) -> reqwest::Response {
    s.ui_post_with_cookie("/api/ui/device/lookup", json!({"user_code": code}), cookie)
        .await
}

async fn decide(s: &TestServer, cookie: &str, code: &str, allow: bool) -> reqwest::Response {
    s.ui_post_with_cookie(
        "/api/ui/device/decide",
        json!({"user_code": code, "allow": allow}),
        cookie,
    )
    .await
}

async fn error_of(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    (status, body["error"].as_str().unwrap().to_owned())
}

async fn device_authorization_hands_out_codes_to_allowed_clients_only(db: Db) {
    let s = start(db).await;
    let d = start_device(&s, "tv", "openid offline_access").await;
    let user_code = d["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9);
    assert!(
        user_code.chars().enumerate().all(|(i, c)| if i == 4 {
            c == '-'
        } else {
            "BCDFGHJKLMNPQRSTVWXZ".contains(c)
        }),
        "{user_code}"
    );
    assert_eq!(d["verification_uri"], format!("{}/device", s.issuer));
    assert_eq!(
        d["verification_uri_complete"],
        format!("{}/device?user_code={user_code}", s.issuer)
    );
    assert_eq!(d["expires_in"], 600);
    assert_eq!(d["interval"], 5);
    assert!(d["device_code"].as_str().unwrap().len() >= 43);
    let other = start_device(&s, "tv", "openid").await;
    assert_ne!(other["device_code"], d["device_code"]);
    assert_ne!(other["user_code"], d["user_code"]);

    let post = |form: Vec<(&'static str, &'static str)>,
                basic: Option<(&'static str, &'static str)>| {
        let mut req = s
            .http
            .post(s.url("/oauth2/device_authorization"))
            .form(&form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        req.send()
    };
    // A client without the grant.
    let r = post(vec![("client_id", "spa"), ("scope", "openid")], None)
        .await
        .unwrap();
    assert_eq!(error_of(r).await, (400, "unauthorized_client".into()));
    // A confidential client must authenticate.
    let r = post(vec![("client_id", "console"), ("scope", "openid")], None)
        .await
        .unwrap();
    assert_eq!(error_of(r).await, (401, "invalid_client".into()));
    let r = post(vec![("scope", "openid")], Some(("console", "wrong-secret")))
        .await
        .unwrap();
    assert_eq!(error_of(r).await, (401, "invalid_client".into()));
    let r = post(vec![("scope", "openid")], Some(("console", CONSOLE_SECRET)))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Scopes the client may not have.
    let r = post(vec![("client_id", "tv"), ("scope", "openid admin")], None)
        .await
        .unwrap();
    assert_eq!(error_of(r).await, (400, "invalid_scope".into()));
    // Not a form.
    let r = s
        .http
        .post(s.url("/oauth2/device_authorization"))
        .json(&json!({"client_id": "tv"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await, (400, "invalid_request".into()));
}

async fn every_polling_answer_in_order(db: Db) {
    let s = start(db).await;
    let d = start_device(&s, "tv", "openid profile offline_access").await;
    let device_code = d["device_code"].as_str().unwrap();
    let user_code = d["user_code"].as_str().unwrap();

    expect_poll_error(&s, device_code, "authorization_pending").await;
    // Polling again at once is too fast: slow_down, and the interval grows
    // from 5 to 10 seconds.
    expect_poll_error(&s, device_code, "slow_down").await;
    s.clock.advance(6);
    let body = expect_poll_error(&s, device_code, "slow_down").await;
    assert!(
        body["error_description"].as_str().unwrap().contains("15"),
        "the interval grew again to 15: {body}"
    );
    s.clock.advance(15);
    expect_poll_error(&s, device_code, "authorization_pending").await;

    // The user signs in on their phone, types the code and allows.
    let cookie = s.sign_in().await;
    let r = lookup(&s, &cookie, user_code).await;
    assert_eq!(r.status(), 200);
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["client_name"], "Living Room TV");
    assert_eq!(info["user_code"], user_code);
    let scopes: Vec<&str> = info["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, ["openid", "profile", "offline_access"]);
    let r = decide(&s, &cookie, user_code, true).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"allowed": true}));

    s.clock.advance(15);
    let (status, t) = poll(&s, device_code).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["scope"], "openid profile offline_access");
    assert!(t["refresh_token"].is_string());
    let claims = s
        .verify_id_token(t["id_token"].as_str().unwrap(), "tv")
        .await;
    let info: Value = s
        .userinfo(t["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(claims["sub"], info["sub"]);
    assert_eq!(info["name"], "Alice Liddell");
    // The refresh token works like any other.
    let r = s
        .token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", t["refresh_token"].as_str().unwrap()),
                ("client_id", "tv"),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), 200);

    // Tokens are issued exactly once.
    s.clock.advance(15);
    expect_poll_error(&s, device_code, "invalid_grant").await;
    // An unknown device code.
    expect_poll_error(&s, "not-a-device-code", "invalid_grant").await;
    // Another client cannot poll the device's code.
    let r = s
        .token(
            &[("grant_type", DEVICE_GRANT), ("device_code", device_code)],
            Some(("console", CONSOLE_SECRET)),
        )
        .await;
    assert_eq!(error_of(r).await, (400, "invalid_grant".into()));
}

async fn refusal_gives_access_denied(db: Db) {
    let s = start(db).await;
    let d = start_device(&s, "tv", "openid").await;
    let cookie = s.sign_in().await;
    let r = decide(&s, &cookie, d["user_code"].as_str().unwrap(), false).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"allowed": false}));
    let device_code = d["device_code"].as_str().unwrap();
    expect_poll_error(&s, device_code, "access_denied").await;
    s.clock.advance(10);
    expect_poll_error(&s, device_code, "access_denied").await;
}

async fn codes_expire(db: Db) {
    let s = start(db).await;
    let d = start_device(&s, "tv", "openid").await;
    let cookie = s.sign_in().await;
    s.clock.advance(590);
    let r = lookup(&s, &cookie, d["user_code"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200, "still valid shortly before expiry");
    s.clock.advance(10);
    let device_code = d["device_code"].as_str().unwrap();
    expect_poll_error(&s, device_code, "expired_token").await;
    let r = lookup(&s, &cookie, d["user_code"].as_str().unwrap()).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "expired_code");
    assert_eq!(body["field_errors"][0]["field"], "user_code");
    let r = decide(&s, &cookie, d["user_code"].as_str().unwrap(), true).await;
    assert_eq!(error_of(r).await, (400, "expired_code".into()));
    expect_poll_error(&s, device_code, "expired_token").await;
}

async fn typed_codes_are_forgiving_and_single_use(db: Db) {
    let s = start(db).await;
    let d = start_device(&s, "tv", "openid").await;
    let code = d["user_code"].as_str().unwrap();
    let cookie = s.sign_in().await;
    let bare = code.replace('-', "").to_lowercase();
    let spaced = format!(" {} {} ", &bare[..4], &bare[4..]);
    for typed in [bare.as_str(), spaced.as_str(), &code.to_lowercase()] {
        let r = lookup(&s, &cookie, typed).await;
        assert_eq!(r.status(), 200, "{typed}");
        assert_eq!(r.json::<Value>().await.unwrap()["user_code"], code);
    }
    let r = lookup(&s, &cookie, "BBBB-BBBB").await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_code");
    assert!(
        body["message"].as_str().unwrap().contains("not right"),
        "{body}"
    );
    assert_eq!(
        decide(&s, &cookie, &spaced, true).await.status(),
        200,
        "the decision accepts the same forgiving spelling"
    );
    // Single use: the code cannot be looked up or decided again.
    let r = lookup(&s, &cookie, code).await;
    assert_eq!(error_of(r).await, (400, "used_code".into()));
    let r = decide(&s, &cookie, code, false).await;
    assert_eq!(error_of(r).await, (400, "used_code".into()));
    let (status, _) = poll(&s, d["device_code"].as_str().unwrap()).await;
    assert_eq!(status, 200, "the first decision (allow) stands");
}

async fn first_party_devices_skip_the_scope_list(db: Db) {
    let s = start(db).await;
    let r = s
        .http
        .post(s.url("/oauth2/device_authorization"))
        .basic_auth("console", Some(CONSOLE_SECRET))
        .form(&[("scope", "openid profile")])
        .send()
        .await
        .unwrap();
    let d: Value = r.json().await.unwrap();
    let cookie = s.sign_in().await;
    let r = lookup(&s, &cookie, d["user_code"].as_str().unwrap()).await;
    let info: Value = r.json().await.unwrap();
    assert_eq!(info["client_name"], "Game Console");
    assert_eq!(info["scopes"], json!([]));
    // The confirmation is still needed: nothing is issued before it.
    let r = s
        .token(
            &[
                ("grant_type", DEVICE_GRANT),
                ("device_code", d["device_code"].as_str().unwrap()),
            ],
            Some(("console", CONSOLE_SECRET)),
        )
        .await;
    assert_eq!(error_of(r).await, (400, "authorization_pending".into()));
}

async fn wrong_codes_lock_the_user_and_the_address(db: Db) {
    let s = start(db).await;
    s.clock.freeze(); // the waits are compared to the second
    let d = start_device(&s, "tv", "openid").await;
    let real = d["user_code"].as_str().unwrap();
    let cookie = s.sign_in().await;
    // Looking up a real code is no guess: it never counts.
    for _ in 0..12 {
        assert_eq!(lookup(&s, &cookie, real).await.status(), 200);
    }
    for i in 1..10 {
        let r = lookup(&s, &cookie, "BBBB-BBBB").await;
        assert_eq!(
            error_of(r).await,
            (400, "invalid_code".into()),
            "wrong code {i}"
        );
    }
    let r = lookup(&s, &cookie, "BBBB-BBBB").await;
    assert_eq!(r.status(), 429, "the tenth wrong code locks");
    assert_eq!(r.headers()["retry-after"], "30");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "too_many_attempts");
    assert_eq!(
        body["message"],
        "Too many codes were tried. Wait 1 minute and try again."
    );
    let r = lookup(&s, &cookie, real).await;
    assert_eq!(r.status(), 429, "even the right code is refused now");
    let r = decide(&s, &cookie, real, true).await;
    assert_eq!(r.status(), 429, "deciding needs the code too");
    let other_browser = s.sign_in().await;
    let r = lookup(&s, &other_browser, real).await;
    assert_eq!(r.status(), 429, "the lock is the user's, not the browser's");

    // Other users from the same address: 30 wrong codes per address.
    let mut tried = 10;
    let mut refused_at = None;
    'outer: for n in 0..4 {
        // Accounts are made on the way into an app (a pending request).
        let request = s.sign_up_request().await;
        let r = s
            .ui_post(
                "/api/ui/sign-up",
                json!({"request": request, "name": "Guesser", "email": format!("g{n}@example.com"), "password": "a long enough password"}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let c = session_cookie(r.headers()).unwrap();
        for _ in 0..9 {
            tried += 1;
            let r = lookup(&s, &c, "BBBB-BBBB").await;
            if r.status() == 429 {
                refused_at = Some(tried);
                break 'outer;
            }
        }
    }
    assert_eq!(refused_at, Some(30), "the address allows 29 wrong codes");

    // The locks pass: the right code works again.
    s.clock.advance(30);
    let r = lookup(&s, &cookie, real).await;
    assert_eq!(r.status(), 200);
}

async fn sign_in_returns_to_the_device_page_only(db: Db) {
    let s = start(db).await;
    let next = |return_to: &'static str| {
        let s = &s;
        async move {
            let r = s
                .ui_post(
                    "/api/ui/login",
                    json!({"email": EMAIL, "password": PASSWORD, "return_to": return_to}),
                )
                .await;
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()["redirect_to"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(
        next("/device?user_code=BCDF-GHJK").await,
        "/device?user_code=BCDF-GHJK"
    );
    for evil in [
        "https://evil.example/device",
        "//evil.example/device",
        "/device?x=//evil",
    ] {
        assert_eq!(next(evil).await, "/", "{evil}");
    }
}

async fn the_device_page_api_needs_a_session(db: Db) {
    let s = start(db).await;
    let d = start_device(&s, "tv", "openid").await;
    let r = s
        .ui_post(
            "/api/ui/device/lookup",
            json!({"user_code": d["user_code"]}),
        )
        .await;
    assert_eq!(error_of(r).await, (401, "login_required".into()));
    // And the CSRF header, like every UI API call.
    let cookie = s.sign_in().await;
    let r = s
        .http
        .post(s.url("/api/ui/device/decide"))
        .header("cookie", &cookie)
        .json(&json!({"user_code": d["user_code"], "allow": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    expect_poll_error(
        &s,
        d["device_code"].as_str().unwrap(),
        "authorization_pending",
    )
    .await;
}

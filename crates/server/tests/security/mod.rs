//! Issue 7 over HTTP: brute-force lockouts on the login screen and the
//! password grant, without user enumeration, on both backends.

use crate::common::*;
use crate::on_both_backends;
use serde_json::{Value, json};

on_both_backends!(
    repeated_wrong_passwords_lock_the_account_with_the_wait,
    unknown_and_known_accounts_get_identical_answers,
    the_password_grant_locks_too,
    wrong_client_secrets_lock_the_client_at_that_address,
    the_audit_log_records_what_happened_and_the_cli_reads_it,
    a_burst_of_guesses_gets_no_more_checks_than_the_policy_allows,
    behind_a_trusted_proxy_one_client_cannot_lock_out_the_others,
    forwarding_headers_from_untrusted_peers_are_ignored,
    anonymous_authorize_requests_are_swept_once_expired,
    overlong_echoed_parameters_are_refused,
    provisioning_an_email_never_hands_over_a_strangers_account,
    sign_up_needs_a_live_request,
    sign_up_is_throttled_per_address_taken_or_free,
);

async fn login(s: &TestServer, email: &str, password: &str) -> (u16, Option<String>, Value) {
    let r = s
        .ui_post(
            "/api/ui/login",
            json!({"email": email, "password": password}),
        )
        .await;
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry, r.json().await.unwrap())
}

async fn repeated_wrong_passwords_lock_the_account_with_the_wait(db: Db) {
    let s = start(db).await;
    s.clock.freeze(); // the waits are compared to the second
    for _ in 0..4 {
        assert_eq!(login(&s, EMAIL, "wrong password").await.0, 401);
    }
    let (status, retry, body) = login(&s, EMAIL, "wrong password").await;
    assert_eq!(status, 429);
    assert_eq!(retry.as_deref(), Some("30"));
    assert_eq!(body["error"], "too_many_attempts");
    assert_eq!(
        body["message"],
        "Too many failed sign-ins. Wait 1 minute and try again."
    );
    // Locked: even the right password is not checked.
    assert_eq!(login(&s, EMAIL, PASSWORD).await.0, 429);
    // Another account from the same address is not affected.
    let request = s.sign_up_request().await;
    let r = s
        .ui_post(
            "/api/ui/sign-up",
            json!({"request": request, "name": "Bob", "email": "bob@example.com", "password": "bob's long password"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        login(&s, "bob@example.com", "bob's long password").await.0,
        200
    );
    // The lock ends; the next failure doubles it.
    s.clock.advance(30);
    let (status, retry, _) = login(&s, EMAIL, "wrong password").await;
    assert_eq!((status, retry.as_deref()), (429, Some("60")));
    s.clock.advance(60);
    // Success clears the account's counter: four more tries are free.
    assert_eq!(login(&s, EMAIL, PASSWORD).await.0, 200);
    for _ in 0..4 {
        assert_eq!(login(&s, EMAIL, "wrong password").await.0, 401);
    }
}

async fn unknown_and_known_accounts_get_identical_answers(db: Db) {
    let s = start(db).await;
    s.clock.freeze(); // the waits are compared to the second
    let known = login(&s, EMAIL, "wrong password").await;
    let unknown = login(&s, "nobody@example.com", "wrong password").await;
    assert_eq!(known, unknown);
    for _ in 0..4 {
        login(&s, EMAIL, "wrong password").await;
        login(&s, "nobody@example.com", "wrong password").await;
    }
    // Both are locked alike: a lock does not reveal an account.
    let known = login(&s, EMAIL, "wrong password").await;
    let unknown = login(&s, "nobody@example.com", "wrong password").await;
    assert_eq!(known.0, 429);
    assert_eq!(known, unknown);
}

async fn the_password_grant_locks_too(db: Db) {
    let s = start(db).await;
    s.clock.freeze(); // the waits are compared to the second
    let grant = |password: &'static str| {
        let s = &s;
        async move {
            let r = s
                .token(
                    &[
                        ("grant_type", "password"),
                        ("username", EMAIL),
                        ("password", password),
                        ("scope", "openid"),
                    ],
                    Some(("legacy", LEGACY_SECRET)),
                )
                .await;
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        }
    };
    for _ in 0..4 {
        let (status, e) = grant("wrong password").await;
        assert_eq!(status, 400);
        assert_eq!(
            e["error_description"],
            "the username or password is not right"
        );
    }
    let (status, e) = grant("wrong password").await;
    assert_eq!(status, 400);
    assert_eq!(e["error"], "invalid_grant");
    let r = s
        .token(
            &[
                ("grant_type", "password"),
                ("username", EMAIL),
                ("password", PASSWORD),
                ("scope", "openid"),
            ],
            Some(("legacy", LEGACY_SECRET)),
        )
        .await;
    assert_eq!(r.headers()["retry-after"], "30", "the wait, for machines");
    assert_eq!(
        e["error_description"],
        "too many failed attempts; try again in 30 seconds"
    );
    // The login screen shares the account's counter.
    assert_eq!(login(&s, EMAIL, PASSWORD).await.0, 429);
    s.clock.advance(30);
    assert_eq!(grant(PASSWORD).await.0, 200);
}

async fn wrong_client_secrets_lock_the_client_at_that_address(db: Db) {
    let s = start(db).await;
    s.clock.freeze(); // the waits are compared to the second
    let cc = |secret: &'static str| {
        let s = &s;
        async move {
            s.token(
                &[("grant_type", "client_credentials")],
                Some(("machine", secret)),
            )
            .await
        }
    };
    assert_eq!(cc(MACHINE_SECRET).await.status(), 200);
    for i in 1..10 {
        let r = cc("wrong secret").await;
        assert_eq!(r.status(), 401, "attempt {i}");
        assert!(r.headers().get("retry-after").is_none());
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error_description"], "client authentication failed");
    }
    let r = cc("wrong secret").await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["retry-after"], "30");
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "invalid_client");
    assert_eq!(
        e["error_description"],
        "too many failed client authentications; try again in 30 seconds"
    );
    // Locked: the right secret waits too, on every endpoint that
    // authenticates clients.
    assert_eq!(cc(MACHINE_SECRET).await.status(), 401);
    let r = s
        .http
        .post(s.url("/oauth2/introspect"))
        .basic_auth("machine", Some(MACHINE_SECRET))
        .form(&[("token", "anything")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Unknown client ids count the same way (no probing for ids).
    for _ in 0..10 {
        s.token(
            &[("grant_type", "client_credentials")],
            Some(("no-such-client", "x")),
        )
        .await;
    }
    let r = s
        .token(
            &[("grant_type", "client_credentials")],
            Some(("no-such-client", "x")),
        )
        .await;
    assert_eq!(r.headers()["retry-after"], "30");
    s.clock.advance(30);
    assert_eq!(cc(MACHINE_SECRET).await.status(), 200);
}

async fn the_audit_log_records_what_happened_and_the_cli_reads_it(db: Db) {
    use portico_core::services::audit::Filter;
    let s = start(db).await;
    let store = s.running.state.provider.store.clone();
    let alice = store.user_by_email(EMAIL).await.unwrap().unwrap().id;
    login(&s, EMAIL, "wrong password").await;
    for _ in 0..5 {
        login(&s, "nobody@example.com", "some password").await;
    }
    let params = [
        ("client_id", "web"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid offline_access"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    let (to_app, _) = s.login_flow(&params).await;
    let code = query_of(&to_app)["code"].clone();
    let t: Value = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await
        .json()
        .await
        .unwrap();
    let r = s
        .http
        .post(s.url("/oauth2/revoke"))
        .basic_auth("web", Some(WEB_SECRET))
        .form(&[("token", t["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    s.token(
        &[("grant_type", "client_credentials")],
        Some(("web", "wrong")),
    )
    .await;

    let events = |f: Filter| {
        let store = store.clone();
        async move {
            store
                .audit_log(&Filter { limit: 100, ..f })
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.event)
                .collect::<Vec<String>>()
        }
    };
    assert_eq!(
        events(Filter {
            user_id: Some(alice.clone()),
            ..Filter::default()
        })
        .await,
        [
            "tokens.revoked",
            "tokens.issued",
            "login.succeeded",
            "login.failed"
        ],
        "newest first"
    );
    assert_eq!(
        events(Filter {
            client_id: Some("web".into()),
            ..Filter::default()
        })
        .await,
        [
            "client_auth.failed",
            "tokens.revoked",
            "tokens.issued",
            "client.created"
        ]
    );
    let all = store
        .audit_log(&Filter {
            limit: 100,
            ..Filter::default()
        })
        .await
        .unwrap();
    let lockout = all.iter().find(|r| r.event == "lockout").unwrap();
    assert_eq!(lockout.user_id, None, "unknown accounts have no id");
    assert_eq!(lockout.ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(lockout.detail, "sign-in locked for 30 s");
    let unknown = all
        .iter()
        .filter(|r| r.event == "login.failed" && r.user_id.is_none())
        .count();
    assert_eq!(unknown, 5);
    for r in &all {
        assert!(!r.detail.contains("nobody@example.com"), "{r:?}");
        assert!(!r.detail.contains(&code), "{r:?}");
    }

    // The CLI reads the same log, by client and by time.
    let cli = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
            .env_remove("PORTICO_CONFIG")
            .env("RUST_LOG", "error")
            .args(["--database-url", &s.database_url, "audit"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let text = cli(&["--client", "web"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].contains("\tclient_auth.failed\tclient=web\tip=127.0.0.1"),
        "{text}"
    );
    let json = cli(&["--user", &alice, "--json", "--limit", "1"]);
    let last: Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(last["event"], "tokens.revoked");
    assert_eq!(last["user_id"], alice.as_str());
    // Random ids may start with '-': they are still values, not flags.
    assert_eq!(cli(&["--user", "-no-such-user"]), "");
    let now = portico_core::infra::clock::Clock::now(s.clock.as_ref());
    assert_eq!(cli(&["--since", &(now + 60).to_string()]), "");
    assert_eq!(
        cli(&["--until", "2000-01-01"]),
        "",
        "nothing before the server existed"
    );
}

/// Issue 15, item 1: 200 wrong guesses at once, the right password after
/// them. Before the fix every guess was checked (the lock was read before
/// argon2 and counted after) and the right one got a session.
async fn a_burst_of_guesses_gets_no_more_checks_than_the_policy_allows(db: Db) {
    use portico_core::services::audit::Filter;
    let s = std::sync::Arc::new(start(db).await);
    let store = s.running.state.provider.store.clone();
    let alice = store.user_by_email(EMAIL).await.unwrap().unwrap().id;
    let (first_tx, mut first_rx) = tokio::sync::mpsc::channel::<()>(1);
    let guesses: Vec<_> = (0..200)
        .map(|i| {
            let (s, first) = (s.clone(), first_tx.clone());
            tokio::spawn(async move {
                let r = login(&s, EMAIL, &format!("wrong guess {i}")).await.0;
                let _ = first.try_send(());
                r
            })
        })
        .collect();
    // The right password goes once the burst is on the wire (the first
    // answer is back).
    first_rx.recv().await.unwrap();
    let (right, retry, _) = login(&s, EMAIL, PASSWORD).await;
    let mut answers = std::collections::BTreeMap::<u16, usize>::new();
    for g in guesses {
        *answers.entry(g.await.unwrap()).or_default() += 1;
    }
    assert_eq!(right, 429, "the right password came after the lock");
    assert!(retry.is_some());
    let verified = store
        .audit_log(&Filter {
            user_id: Some(alice),
            limit: 1000,
            ..Filter::default()
        })
        .await
        .unwrap()
        .iter()
        .filter(|r| r.detail == "wrong password")
        .count();
    let allowed = usize::try_from(portico_core::services::lockout::ACCOUNT.free).unwrap();
    assert!(
        verified <= allowed,
        "{verified} guesses were checked; the policy allows {allowed} ({answers:?})"
    );
    assert_eq!(answers.get(&401).copied().unwrap_or(0) + 1, verified.max(1));
    assert_eq!(answers.values().sum::<usize>(), 200);
    // The refused ones are not one audit row each.
    portico_core::services::audit::Refusals::flush(&s.running.state.provider)
        .await
        .unwrap();
    let rows = store
        .audit_log(&Filter {
            limit: 1000,
            ..Filter::default()
        })
        .await
        .unwrap();
    let failed_rows = rows.iter().filter(|r| r.event == "login.failed").count();
    assert!(
        failed_rows <= allowed + 1,
        "{failed_rows} rows for one burst"
    );
    assert!(
        rows.iter()
            .any(|r| r.detail.ends_with("attempts refused while locked out")),
        "{rows:?}"
    );
}

/// A sign-in as it arrives through a proxy that appends `X-Forwarded-For`.
async fn login_via(s: &TestServer, forwarded_for: &str, email: &str, password: &str) -> u16 {
    s.http
        .post(s.url("/api/ui/login"))
        .header("x-portico-csrf", "1")
        .header("x-forwarded-for", forwarded_for)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn client_credentials_via(
    s: &TestServer,
    forwarded_for: &str,
    id: &str,
    secret: &str,
) -> u16 {
    s.http
        .post(s.url("/oauth2/token"))
        .header("x-forwarded-for", forwarded_for)
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Issue 15, item 2. Before `trusted_proxies`, everybody behind a proxy
/// was one address: one client's 50 wrong passwords locked all of them out.
async fn behind_a_trusted_proxy_one_client_cannot_lock_out_the_others(db: Db) {
    let s = start_with(db, "[server]\ntrusted_proxies = [\"127.0.0.0/8\"]\n").await;
    // The attacker sprays 50 accounts from 203.0.113.9 (the first hop is
    // what the attacker wrote; the proxy appended the real address).
    for n in 0..50 {
        let st = login_via(
            &s,
            "198.51.100.77, 203.0.113.9",
            &format!("u{n}@example.com"),
            "wrong",
        )
        .await;
        assert!(st == 401 || st == 429, "{st}");
    }
    assert_eq!(
        login_via(&s, "203.0.113.9", "fresh@example.com", "wrong").await,
        429,
        "the attacker's address is locked"
    );
    // Another user behind the same proxy signs in.
    assert_eq!(login_via(&s, "203.0.113.10", EMAIL, PASSWORD).await, 200);
    // 50 bad client secrets from the attacker stop neither that client
    // from elsewhere nor another client from the attacker's address.
    for _ in 0..50 {
        client_credentials_via(&s, "203.0.113.9", "machine", "wrong secret").await;
    }
    assert_eq!(
        client_credentials_via(&s, "203.0.113.9", "machine", MACHINE_SECRET).await,
        401
    );
    assert_eq!(
        client_credentials_via(&s, "203.0.113.10", "machine", MACHINE_SECRET).await,
        200
    );
    // (web may not use client_credentials: 400 means it authenticated.)
    assert_eq!(
        client_credentials_via(&s, "203.0.113.9", "web", WEB_SECRET).await,
        400
    );
}

/// Forwarding headers are only believed from a trusted proxy: otherwise
/// a client would dodge its address lock by writing a new one each time.
async fn forwarding_headers_from_untrusted_peers_are_ignored(db: Db) {
    for extra in ["", "[server]\ntrusted_proxies = [\"10.0.0.0/8\"]\n"] {
        let s = start_with(db, extra).await;
        for n in 0..50 {
            login_via(
                &s,
                &format!("203.0.113.{n}"),
                &format!("u{n}@example.com"),
                "wrong",
            )
            .await;
        }
        assert_eq!(
            login_via(&s, "203.0.113.200", "fresh@example.com", "wrong").await,
            429,
            "{extra:?}: the peer address is what counts"
        );
    }
}

fn code_request<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("client_id", "web"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "st"),
    ];
    v.extend_from_slice(extra);
    v
}

/// Issue 15, item 3: before the sweeper, every anonymous authorize request
/// left a row behind for good.
async fn anonymous_authorize_requests_are_swept_once_expired(db: Db) {
    let s = start(db).await;
    let p = s.running.state.provider.clone();
    for _ in 0..300 {
        let r = s.authorize(&code_request(&[]), None).await;
        assert_eq!(r.status(), 302, "to the sign-in screen");
    }
    let live = portico_core::services::sweep::sweep(&p).await.unwrap();
    assert_eq!(live.auth_requests, 0, "nothing has expired yet");
    s.clock.advance(p.config.auth_request_ttl + 1);
    let swept = portico_core::services::sweep::sweep(&p).await.unwrap();
    assert_eq!(swept.auth_requests, 300);
    assert_eq!(
        portico_core::services::sweep::sweep(&p)
            .await
            .unwrap()
            .total(),
        0
    );
}

async fn overlong_echoed_parameters_are_refused(db: Db) {
    let s = start(db).await;
    // A state too long to echo: the browser sees the error page.
    let long_state = "s".repeat(1025);
    let r = s
        .authorize(
            &[
                ("client_id", "web"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("scope", "openid"),
                ("state", &long_state),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    // A nonce too long: invalid_request back to the client, with its state.
    let long_nonce = "n".repeat(513);
    let r = s
        .authorize(&code_request(&[("nonce", &long_nonce)]), None)
        .await;
    let to = location(r.headers());
    let q = query_of(&to);
    assert_eq!(q["error"], "invalid_request");
    assert_eq!(
        q["error_description"],
        "nonce is longer than 512 characters"
    );
    assert_eq!(q["state"], "st");
}

/// Issue 15, item 4: a stranger signs up with an address before the
/// operator provisions it. Before the fix the provisioned person got the
/// stranger's account: same sub, the stranger's live session and grants.
async fn provisioning_an_email_never_hands_over_a_strangers_account(db: Db) {
    let (url, _guard) = fresh_database(db).await;
    let issuer = "http://portico.test";
    let a = start_instance_with(&url, issuer, "").await;
    let store = a.running.state.provider.store.clone();
    let alice = store.user_by_email(EMAIL).await.unwrap().unwrap().id;
    let request = a.sign_up_request().await;
    let r = a
        .ui_post(
            "/api/ui/sign-up",
            json!({"request": request, "name": "Mallory", "email": "boss@example.com", "password": "mallory's password"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let stranger_cookie = session_cookie(r.headers()).unwrap();
    let stranger = store
        .user_by_email("boss@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(stranger.self_registered);
    let signed_in = |s: &TestServer, cookie: String| {
        let http = s.http.clone();
        let url = s.url("/api/ui/session");
        async move {
            let v: Value = http
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["signed_in"] == true
        }
    };
    assert!(signed_in(&a, stranger_cookie.clone()).await);

    // The operator provisions the address; a second instance applies it.
    let provisioned = "[[users]]\nemail = \"Boss@example.com\"\nname = \"The Boss\"\npassword = \"the boss's own password\"\n";
    let b = start_instance_with(&url, issuer, provisioned).await;
    let boss = store
        .user_by_email("boss@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(boss.id, stranger.id, "a fresh account, a new sub");
    assert!(!boss.self_registered);
    assert!(
        !signed_in(&b, stranger_cookie).await,
        "the stranger's session is over"
    );
    assert_eq!(
        login(&b, "boss@example.com", "mallory's password").await.0,
        401
    );
    assert_eq!(
        login(&b, "boss@example.com", "the boss's own password")
            .await
            .0,
        200
    );
    let events: Vec<String> = store
        .audit_log(&portico_core::services::audit::Filter {
            user_id: Some(stranger.id.clone()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .collect();
    assert!(
        events.contains(&"account.replaced".to_owned()),
        "{events:?}"
    );
    // A provisioned account is never replaced, however often it is applied.
    assert_eq!(store.user_by_email(EMAIL).await.unwrap().unwrap().id, alice);
    let c = start_instance_with(&url, issuer, provisioned).await;
    assert_eq!(
        c.running
            .state
            .provider
            .store
            .user_by_email("boss@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        boss.id
    );
}

async fn sign_up_as(s: &TestServer, request: Option<&str>, email: &str) -> (u16, Value) {
    let mut body = json!({"name": "Eve", "email": email, "password": "a long enough password"});
    if let Some(r) = request {
        body["request"] = json!(r);
    }
    let r = s.ui_post("/api/ui/sign-up", body).await;
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Issue 15, item 6: before, a sign-up without a request was checked
/// against the default entrypoint's rules and created the account.
async fn sign_up_needs_a_live_request(db: Db) {
    let s = start(db).await;
    let (status, e) = sign_up_as(&s, None, "eve@example.com").await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("sign_up_needs_request"))
    );
    let (status, e) = sign_up_as(&s, Some("no-such-request"), "eve@example.com").await;
    assert_eq!(
        (status, e["error"].as_str()),
        (400, Some("sign_up_needs_request"))
    );
    // An expired request is no request.
    let request = s.sign_up_request().await;
    s.clock
        .advance(s.running.state.provider.config.auth_request_ttl + 1);
    let (status, _) = sign_up_as(&s, Some(&request), "eve@example.com").await;
    assert_eq!(status, 400);
    let store = &s.running.state.provider.store;
    assert!(
        store
            .user_by_email("eve@example.com")
            .await
            .unwrap()
            .is_none()
    );
    // A live one works.
    let request = s.sign_up_request().await;
    assert_eq!(
        sign_up_as(&s, Some(&request), "eve@example.com").await.0,
        200
    );
}

/// Issue 15, item 5: before, sign-up answered 409 for a taken address as
/// fast and as often as anyone liked.
async fn sign_up_is_throttled_per_address_taken_or_free(db: Db) {
    let s = start(db).await;
    s.clock.freeze();
    let free = usize::try_from(portico_core::services::lockout::SIGN_UP.free).unwrap();
    for n in 0..free {
        // Mostly taken addresses, as an enumerating attacker sends them.
        let email = if n % 5 == 0 {
            format!("new{n}@example.com")
        } else {
            EMAIL.to_owned()
        };
        let request = s.sign_up_request().await;
        let (status, _) = sign_up_as(&s, Some(&request), &email).await;
        assert!(status == 200 || status == 409, "attempt {n}: {status}");
    }
    let request = s.sign_up_request().await;
    let (status, e) = sign_up_as(&s, Some(&request), "another@example.com").await;
    assert_eq!(
        (status, e["error"].as_str()),
        (429, Some("too_many_attempts"))
    );
    // Another address is not affected.
    let elsewhere = start_with(db, "[server]\ntrusted_proxies = [\"127.0.0.1\"]\n").await;
    let request = elsewhere.sign_up_request().await;
    let r = elsewhere
        .http
        .post(elsewhere.url("/api/ui/sign-up"))
        .header("x-portico-csrf", "1")
        .header("x-forwarded-for", "203.0.113.50")
        .json(&json!({"request": request, "name": "Zoe", "email": "zoe@example.com", "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

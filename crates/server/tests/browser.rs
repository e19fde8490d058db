//! End-to-end in headless Chromium (Debian's chromium + chromedriver): a
//! client sends the browser to /oauth2/authorize, the Leptos login renders,
//! the test types the credentials and lands on the redirect_uri with a code.
//! Needs the built UI (`trunk build --release`, done by the test command).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/admin.rs"]
mod cockpit;
mod common;
#[path = "browser/mfa.rs"]
mod second_factors;

use common::smtp::{Received, SmtpSink};
use common::*;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};

struct Browser {
    client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    async fn start() -> Self {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        assert!(
            std::path::Path::new(&chromedriver).exists(),
            "{chromedriver} is missing: run the README test command, which installs it"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--no-first-run", "--window-size=1024,900",
                    format!("--user-data-dir={}", profile.path().display()),
                ]
            }
        });
        let caps: serde_json::Map<String, Value> = serde_json::from_value(caps).unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let mut last = None;
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Self {
                        client,
                        driver,
                        _profile: profile,
                    };
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start: {last:?}");
    }

    async fn stop(mut self) {
        let _ = self.client.close().await;
        let _ = self.driver.kill().await;
    }
}

/// Save what the browser shows into test-output/.
async fn screenshot(c: &Client, name: &str) {
    std::fs::write(output_dir().join(name), c.screenshot().await.unwrap()).unwrap();
}

fn output_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../test-output");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A tiny stand-in for the client's redirect_uri: any request gets a page.
async fn callback_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async {
        axum::response::Html("<!doctype html><title>client</title><p>client callback</p>")
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/callback")
}

async fn wait_for_url(c: &Client, prefix: &str) -> String {
    for _ in 0..100 {
        let u = c.current_url().await.unwrap().to_string();
        if u.starts_with(prefix) {
            return u;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the browser never reached {prefix}; it is at {}",
        c.current_url().await.unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_signs_in_through_the_leptos_login_and_the_client_gets_a_code() {
    let cb = callback_server().await;
    let s = start_with(
        Db::Sqlite,
        &format!(
        "[[clients]]\nid = \"browser-app\"\nname = \"Browser App\"\nredirect_uris = [\"{cb}\"]\nfirst_party = true\n"
    ))
    .await;
    let b = Browser::start().await;
    let c = &b.client;
    let authorize = s.authorize_url(&[
        ("client_id", "browser-app"),
        ("redirect_uri", &cb),
        ("response_type", "code"),
        ("scope", "openid email shop"),
        ("state", "browser-state"),
        ("nonce", "browser-nonce"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    c.goto(&authorize).await.unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;

    // The Leptos screen renders with real labels and a plainly named button.
    let email = c
        .wait()
        .for_element(Locator::Css("input#email"))
        .await
        .unwrap();
    let label = c
        .find(Locator::Css("label[for=email]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(label, "Email");
    let label = c
        .find(Locator::Css("label[for=password]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(label, "Password");
    let button = c.find(Locator::Css("button[type=submit]")).await.unwrap();
    assert_eq!(button.text().await.unwrap(), "Sign in");
    // The entrypoint from the scope names the screen, the client is named.
    c.wait()
        .for_element(Locator::XPath(
            "//p[@class='brand']/span[normalize-space()='The Shop']",
        ))
        .await
        .unwrap();
    let subtitle = c
        .wait()
        .for_element(Locator::Css(".subtitle"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(subtitle.contains("Browser App"), "{subtitle}");
    let png = c.screenshot().await.unwrap();
    let shot = output_dir().join("login-page.png");
    std::fs::write(&shot, png).unwrap();
    println!("login page screenshot: {}", shot.display());

    // Wrong password: a clear banner, and we stay on the page.
    email.send_keys(EMAIL).await.unwrap();
    let password = c.find(Locator::Css("input#password")).await.unwrap();
    password.send_keys("not the password").await.unwrap();
    button.click().await.unwrap();
    let banner = c
        .wait()
        .for_element(Locator::Css("[role=alert]"))
        .await
        .unwrap();
    assert!(
        banner
            .text()
            .await
            .unwrap()
            .contains("email or password is not right")
    );
    screenshot(c, "login-page-wrong-password.png").await;

    // Right password, submitted with the keyboard (Enter in the field).
    password.clear().await.unwrap();
    password
        .send_keys(&format!("{PASSWORD}\u{E007}"))
        .await
        .unwrap();
    let landed = wait_for_url(c, &cb).await;
    let q = query_of(&landed);
    assert_eq!(q["state"], "browser-state");
    assert_eq!(q["iss"], s.base);

    // The client exchanges the code and verifies the id_token.
    let r = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &q["code"]),
                ("redirect_uri", &cb),
                ("client_id", "browser-app"),
                ("code_verifier", VERIFIER),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    let claims = s
        .verify_id_token(t["id_token"].as_str().unwrap(), "browser-app")
        .await;
    assert_eq!(claims["nonce"], "browser-nonce");
    assert_eq!(claims["aud"], "browser-app");
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_client_gets_the_error_screen_not_a_redirect() {
    let s = start(Db::Sqlite).await;
    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&s.authorize_url(&[
        ("client_id", "nobody"),
        ("redirect_uri", "http://evil.example/cb"),
        ("response_type", "code"),
    ]))
    .await
    .unwrap();
    let alert = c
        .wait()
        .for_element(Locator::Css("[role=alert] code"))
        .await
        .unwrap();
    assert_eq!(alert.text().await.unwrap(), "invalid_client");
    assert!(
        c.current_url().await.unwrap().as_str().starts_with(&s.base),
        "stayed on Portico"
    );
    screenshot(c, "authorize-error.png").await;
    b.stop().await;
}

/// A third-party client: consent applies. Code and implicit allowed.
async fn partner_server(cb: &str) -> TestServer {
    start_with(
        Db::Sqlite,
        &format!(
            "[[clients]]\nid = \"partner-app\"\nname = \"Partner App\"\nsecret = \"{PARTNER_SECRET}\"\nredirect_uris = [\"{cb}\"]\ngrant_types = [\"authorization_code\", \"implicit\"]\nresponse_types = [\"code\", \"id_token token\"]\n"
        ),
    )
    .await
}

fn partner_authorize(s: &TestServer, cb: &str, response_type: &str) -> String {
    s.authorize_url(&[
        ("client_id", "partner-app"),
        ("redirect_uri", cb),
        ("response_type", response_type),
        ("scope", "openid email"),
        ("state", "p-state"),
        ("nonce", "p-nonce"),
    ])
}

/// Sign in on the Leptos login (keyboard: Enter submits) and wait for the
/// consent screen.
async fn sign_in_to_consent(c: &Client, s: &TestServer) {
    wait_for_url(c, &s.url("/login?request=")).await;
    type_credentials(c).await;
    wait_for_url(c, &s.url("/consent?request=")).await;
    c.wait()
        .for_element(Locator::Css(".scopes li"))
        .await
        .unwrap();
}

async fn button_named(c: &Client, name: &str) -> fantoccini::elements::Element {
    c.wait()
        .for_element(Locator::XPath(&format!(
            "//button[normalize-space()=\"{name}\"]"
        )))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_allowed_is_remembered_and_implicit_tokens_arrive_in_the_fragment() {
    let cb = callback_server().await;
    let s = partner_server(&cb).await;
    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&partner_authorize(&s, &cb, "code")).await.unwrap();
    sign_in_to_consent(c, &s).await;
    // The screen names the client and lists the scopes in plain words.
    let intro = c
        .find(Locator::Css("#consent-intro"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(intro, "Partner App would like to:");
    let mut items = Vec::new();
    for li in c.find_all(Locator::Css(".scopes li")).await.unwrap() {
        items.push(li.text().await.unwrap());
    }
    assert_eq!(
        items,
        [
            "Know who you are when you sign in",
            "See your email address"
        ]
    );
    button_named(c, "Don't allow").await;
    screenshot(c, "consent.png").await;
    // "Allow", by keyboard.
    button_named(c, "Allow")
        .await
        .send_keys("\u{E007}")
        .await
        .unwrap();
    let landed = wait_for_url(c, &cb).await;
    let q = query_of(&landed);
    assert!(q.contains_key("code"), "{landed}");
    assert_eq!(q["state"], "p-state");

    // Remembered: the next request goes straight back with a code.
    c.goto(&partner_authorize(&s, &cb, "code")).await.unwrap();
    let landed = wait_for_url(c, &cb).await;
    assert!(
        query_of(&landed).contains_key("code"),
        "no consent screen the second time: {landed}"
    );

    // Implicit: tokens in the fragment, nothing in the query.
    c.goto(&partner_authorize(&s, &cb, "id_token token"))
        .await
        .unwrap();
    let landed = wait_for_url(c, &cb).await;
    assert!(!landed.contains('?'), "{landed}");
    let fragment = url::Url::parse(&landed)
        .unwrap()
        .fragment()
        .unwrap_or("")
        .to_owned();
    let f: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(fragment.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(f["state"], "p-state");
    assert_eq!(f["token_type"], "Bearer");
    let claims = s.verify_id_token(&f["id_token"], "partner-app").await;
    assert_eq!(claims["nonce"], "p-nonce");
    let info: Value = s.userinfo(&f["access_token"]).await.json().await.unwrap();
    assert_eq!(info["email"], EMAIL);
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dont_allow_sends_access_denied_to_the_client() {
    let cb = callback_server().await;
    let s = partner_server(&cb).await;
    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&partner_authorize(&s, &cb, "code")).await.unwrap();
    sign_in_to_consent(c, &s).await;
    button_named(c, "Don't allow").await.click().await.unwrap();
    let landed = wait_for_url(c, &cb).await;
    let q = query_of(&landed);
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["state"], "p-state");
    assert!(!q.contains_key("code"));
    // Nothing was remembered: the next request asks again.
    c.goto(&partner_authorize(&s, &cb, "code")).await.unwrap();
    wait_for_url(c, &s.url("/consent?request=")).await;
    b.stop().await;
}

/// Type the test user's credentials on the login form; Enter submits.
async fn type_credentials(c: &Client) {
    c.wait()
        .for_element(Locator::Css("input#email"))
        .await
        .unwrap()
        .send_keys(EMAIL)
        .await
        .unwrap();
    c.find(Locator::Css("input#password"))
        .await
        .unwrap()
        .send_keys(&format!("{PASSWORD}\u{E007}"))
        .await
        .unwrap();
}

/// A device (the `tv` client) polling the token endpoint the way RFC 8628
/// §3.5 says: every `interval`, 5 seconds more after each slow_down, until
/// it gets anything but authorization_pending.
fn spawn_device(
    s: &TestServer,
    device_code: String,
    interval: u64,
) -> tokio::task::JoinHandle<Value> {
    let http = s.http.clone();
    let url = s.url("/oauth2/token");
    tokio::spawn(async move {
        let mut wait = Duration::from_secs(interval);
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            tokio::time::sleep(wait).await;
            let body: Value = http
                .post(&url)
                .form(&[
                    ("grant_type", DEVICE_GRANT),
                    ("device_code", device_code.as_str()),
                    ("client_id", "tv"),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            match body["error"].as_str() {
                Some("authorization_pending") => {}
                Some("slow_down") => wait += Duration::from_secs(5),
                _ => return body,
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the user never finished"
            );
        }
    })
}

/// The device asks for codes (a one-second interval keeps the test short).
async fn device_server_and_codes() -> (TestServer, Value) {
    let s = start_with(Db::Sqlite, "[tokens]\ndevice_poll_interval_secs = 1\n").await;
    let d: Value = s
        .http
        .post(s.url("/oauth2/device_authorization"))
        .form(&[
            ("client_id", "tv"),
            ("scope", "openid profile offline_access"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["interval"], 1);
    (s, d)
}

/// Signed out on the device page: the login screen comes first; sign in by
/// keyboard and come back to the device page.
async fn sign_in_for_the_device_page(c: &Client, s: &TestServer) {
    wait_for_url(c, &s.url("/login?return_to=")).await;
    type_credentials(c).await;
    wait_for_url(c, &s.url("/device")).await;
}

async fn heading(c: &Client, text: &str) {
    c.wait()
        .for_element(Locator::XPath(&format!(
            "//h1[normalize-space()=\"{text}\"]"
        )))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_is_connected_through_the_device_page() {
    let (s, d) = device_server_and_codes().await;
    let device = spawn_device(&s, d["device_code"].as_str().unwrap().to_owned(), 1);
    let b = Browser::start().await;
    let c = &b.client;
    // The person opens verification_uri on their phone.
    c.goto(d["verification_uri"].as_str().unwrap())
        .await
        .unwrap();
    sign_in_for_the_device_page(c, &s).await;
    heading(c, "Connect a device").await;
    let label = c
        .find(Locator::Css("label[for=user_code]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(label, "Code");
    let input = c.find(Locator::Css("input#user_code")).await.unwrap();
    assert_eq!(input.prop("value").await.unwrap().as_deref(), Some(""));
    button_named(c, "Continue").await;
    screenshot(c, "device-page.png").await;

    // A wrong code: a clear message under the field.
    input.send_keys("BBBB-BBBB\u{E007}").await.unwrap();
    let problem = c
        .wait()
        .for_element(Locator::Css("#user_code-error"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(problem.contains("not right"), "{problem}");
    assert_eq!(
        input.attr("aria-invalid").await.unwrap().as_deref(),
        Some("true")
    );

    // The right code, typed by hand in lower case, Enter to continue.
    input.clear().await.unwrap();
    let typed = d["user_code"].as_str().unwrap().to_lowercase();
    input.send_keys(&format!("{typed}\u{E007}")).await.unwrap();
    heading(c, "Is this your device?").await;
    let page = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Living Room TV"), "{page}");
    assert!(
        page.contains(d["user_code"].as_str().unwrap()),
        "the code to compare with the device: {page}"
    );
    assert!(
        page.contains("Only continue if you started this yourself"),
        "{page}"
    );
    let mut items = Vec::new();
    for li in c.find_all(Locator::Css(".scopes li")).await.unwrap() {
        items.push(li.text().await.unwrap());
    }
    assert_eq!(items.len(), 3, "{items:?}");
    button_named(c, "Don't allow").await;
    screenshot(c, "device-confirm.png").await;
    button_named(c, "Allow")
        .await
        .send_keys("\u{E007}")
        .await
        .unwrap();
    heading(c, "Your device is connected").await;

    // The device's next poll gets its tokens.
    let t = device.await.unwrap();
    assert_eq!(t["token_type"], "Bearer", "{t}");
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
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["name"], "Alice Liddell");
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dont_allow_on_the_device_page_denies_the_device() {
    let (s, d) = device_server_and_codes().await;
    let device = spawn_device(&s, d["device_code"].as_str().unwrap().to_owned(), 1);
    let b = Browser::start().await;
    let c = &b.client;
    // verification_uri_complete: the code is filled in, but still confirmed.
    c.goto(d["verification_uri_complete"].as_str().unwrap())
        .await
        .unwrap();
    sign_in_for_the_device_page(c, &s).await;
    let input = c
        .wait()
        .for_element(Locator::Css("input#user_code"))
        .await
        .unwrap();
    assert_eq!(
        input.prop("value").await.unwrap().as_deref(),
        d["user_code"].as_str()
    );
    button_named(c, "Continue").await.click().await.unwrap();
    heading(c, "Is this your device?").await;
    button_named(c, "Don't allow").await.click().await.unwrap();
    heading(c, "The device was not allowed").await;
    let t = device.await.unwrap();
    assert_eq!(t["error"], "access_denied", "{t}");
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_asks_then_signs_out_and_returns_to_the_app() {
    let cb = callback_server().await;
    let bye = cb.replace("/callback", "/signed-out");
    let s = start_with(
        Db::Sqlite,
        &format!(
            "[[clients]]\nid = \"browser-app\"\nname = \"Browser App\"\nredirect_uris = [\"{cb}\"]\npost_logout_redirect_uris = [\"{bye}\"]\nfirst_party = true\n"
        ),
    )
    .await;
    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&s.authorize_url(&[
        ("client_id", "browser-app"),
        ("redirect_uri", &cb),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]))
    .await
    .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    type_credentials(c).await;
    wait_for_url(c, &cb).await;

    // The app sends the browser to log out, without an id_token_hint.
    let mut logout = url::Url::parse(&s.url("/oauth2/logout")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("client_id", "browser-app")
        .append_pair("post_logout_redirect_uri", &bye)
        .append_pair("state", "bye-state");
    c.goto(logout.as_str()).await.unwrap();
    wait_for_url(c, &s.url("/logout?")).await;
    c.wait()
        .for_element(Locator::XPath("//h1[normalize-space()='Sign out?']"))
        .await
        .unwrap();
    let page = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Browser App asks you to sign out"), "{page}");
    assert!(page.contains(EMAIL), "{page}");
    screenshot(c, "logout.png").await;
    button_named(c, "Sign out")
        .await
        .send_keys("\u{E007}")
        .await
        .unwrap();
    let landed = wait_for_url(c, &bye).await;
    assert_eq!(query_of(&landed)["state"], "bye-state");
    // Signed out: the app's next request needs the login form.
    c.goto(&s.authorize_url(&[
        ("client_id", "browser-app"),
        ("redirect_uri", &cb),
        ("response_type", "code"),
        ("scope", "openid"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]))
    .await
    .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    b.stop().await;
}

/// A first-party client on a server whose callback is `cb`.
async fn app_server(cb: &str) -> TestServer {
    start_with(
        Db::Sqlite,
        &format!(
            "[[clients]]\nid = \"browser-app\"\nname = \"Browser App\"\nredirect_uris = [\"{cb}\"]\nfirst_party = true\n"
        ),
    )
    .await
}

fn app_authorize(s: &TestServer, cb: &str, scope: &str, extra: &[(&str, &str)]) -> String {
    let mut p = vec![
        ("client_id", "browser-app"),
        ("redirect_uri", cb),
        ("response_type", "code"),
        ("scope", scope),
        ("state", "b-state"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    p.extend_from_slice(extra);
    s.authorize_url(&p)
}

/// A computed style property of the first element matching `selector`.
async fn css(c: &Client, selector: &str, property: &str) -> String {
    c.execute(
        "return getComputedStyle(document.querySelector(arguments[0])).getPropertyValue(arguments[1]).trim();",
        vec![json!(selector), json!(property)],
    )
    .await
    .unwrap()
    .as_str()
    .unwrap()
    .to_owned()
}

async fn text_of(c: &Client, selector: &str) -> String {
    c.wait()
        .for_element(Locator::Css(selector))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_entrypoints_from_the_config_render_their_own_brand() {
    let cb = callback_server().await;
    let s = app_server(&cb).await;
    let b = Browser::start().await;
    let c = &b.client;

    // Acme: light teal, Georgia, square corners, its logo and its words.
    c.goto(&app_authorize(&s, &cb, "openid acme", &[]))
        .await
        .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    heading(c, "Welcome back to Acme").await;
    assert_eq!(
        text_of(c, ".tagline").await,
        "Your trips and gear lists are waiting."
    );
    assert_eq!(
        css(c, "button[type=submit]", "background-color").await,
        "rgb(15, 118, 110)"
    );
    assert_eq!(
        css(c, "html", "background-color").await,
        "rgb(204, 251, 241)"
    );
    assert_eq!(css(c, "h1", "color").await, "rgb(19, 78, 74)");
    assert!(css(c, "body", "font-family").await.starts_with("Georgia"));
    assert_eq!(css(c, ".card", "border-top-left-radius").await, "2px");
    let logo = c
        .wait()
        .for_element(Locator::Css("img.logo"))
        .await
        .unwrap();
    assert_eq!(
        logo.attr("alt").await.unwrap().as_deref(),
        Some("Acme Outdoor logo")
    );
    let loaded = c
        .execute(
            "return document.querySelector('img.logo').naturalWidth > 0;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(loaded, json!(true), "the logo is served and decodes");
    screenshot(c, "theme-acme-login.png").await;

    // Its sign-up asks for a phone, an optional birthdate and the terms.
    c.find(Locator::LinkText("Create an account"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for_url(c, &s.url("/sign-up?request=")).await;
    c.wait()
        .for_element(Locator::Css("input#phone_number"))
        .await
        .unwrap();
    assert_eq!(
        text_of(c, "label[for=birthdate]").await,
        "Date of birth (optional)"
    );
    assert_eq!(
        text_of(c, "label[for=accept_terms]").await,
        "I accept the terms of service"
    );
    assert_eq!(text_of(c, "button[type=submit]").await, "Join Acme");
    c.set_window_size(1024, 1100).await.unwrap();
    screenshot(c, "theme-acme-sign-up.png").await;
    c.set_window_size(1024, 900).await.unwrap();

    // Night Club, from the same build: dark, round, and its logo is
    // missing, so its name stands in for it.
    c.goto(&app_authorize(&s, &cb, "openid club", &[]))
        .await
        .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    c.wait()
        .for_element(Locator::XPath(
            "//p[@class='brand']/span[normalize-space()='Night Club']",
        ))
        .await
        .unwrap();
    assert_eq!(
        css(c, "button[type=submit]", "background-color").await,
        "rgb(251, 191, 36)"
    );
    assert_eq!(
        css(c, "button[type=submit]", "color").await,
        "rgb(28, 25, 23)"
    );
    assert_eq!(css(c, ".card", "background-color").await, "rgb(28, 25, 23)");
    assert_eq!(css(c, "h1", "color").await, "rgb(245, 245, 244)");
    assert_eq!(css(c, ".card", "border-top-left-radius").await, "20px");
    assert!(
        c.find(Locator::Css("img.logo")).await.is_err(),
        "no broken image"
    );
    screenshot(c, "theme-club-login.png").await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_locales_es_gives_the_spanish_ui() {
    let cb = callback_server().await;
    let s = app_server(&cb).await;
    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&app_authorize(&s, &cb, "openid", &[("ui_locales", "es")]))
        .await
        .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    heading(c, "Iniciar sesión").await;
    assert_eq!(text_of(c, "label[for=email]").await, "Correo electrónico");
    assert_eq!(text_of(c, "label[for=password]").await, "Contraseña");
    assert_eq!(text_of(c, "button[type=submit]").await, "Iniciar sesión");
    let lang = c
        .execute("return document.documentElement.lang;", vec![])
        .await
        .unwrap();
    assert_eq!(lang, json!("es"));
    // The server's errors are shown in Spanish too.
    c.find(Locator::Css("input#email"))
        .await
        .unwrap()
        .send_keys(EMAIL)
        .await
        .unwrap();
    c.find(Locator::Css("input#password"))
        .await
        .unwrap()
        .send_keys("no es la clave\u{E007}")
        .await
        .unwrap();
    let alert = text_of(c, "[role=alert]").await;
    assert_eq!(
        alert,
        "El correo electrónico o la contraseña no son correctos."
    );
    screenshot(c, "login-es.png").await;
    c.find(Locator::LinkText("Crear una cuenta"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    heading(c, "Crea tu cuenta").await;
    assert_eq!(text_of(c, "button[type=submit]").await, "Crear cuenta");
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reauthorize_with_an_sso_session_still_shows_the_login_form() {
    let cb = callback_server().await;
    let s = app_server(&cb).await;
    let b = Browser::start().await;
    let c = &b.client;
    // Sign in once: the browser now has an SSO session.
    c.goto(&app_authorize(&s, &cb, "openid", &[]))
        .await
        .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    type_credentials(c).await;
    wait_for_url(c, &cb).await;
    // Without reauthorize the session answers at once...
    c.goto(&app_authorize(&s, &cb, "openid", &[]))
        .await
        .unwrap();
    assert!(query_of(&wait_for_url(c, &cb).await).contains_key("code"));
    // ...with it, the login form is shown and must be filled again.
    c.goto(&app_authorize(
        &s,
        &cb,
        "openid",
        &[("x_method", "reauthorize")],
    ))
    .await
    .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    heading(c, "Sign in").await;
    screenshot(c, "reauthorize-login.png").await;
    type_credentials(c).await;
    let back = wait_for_url(c, &cb).await;
    assert!(query_of(&back).contains_key("code"), "{back}");
    b.stop().await;
}

/// A stand-in for a client's redirect_uri that keeps the body of every POST
/// (response_mode=form_post) and answers with a page.
async fn recording_callback_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = seen.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(move |body: String| {
        let keep = keep.clone();
        async move {
            keep.lock().unwrap().push(body);
            axum::response::Html("<!doctype html><title>client</title><p>client callback</p>")
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/callback"), seen)
}

/// Issue 15, item 14: after typing the password, the code travels to the
/// client in a form post. The UI's own CSP (`form-action 'self'`) blocked
/// the cross-origin post it used to build itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_post_after_an_interactive_sign_in_reaches_the_client() {
    let (cb, seen) = recording_callback_server().await;
    let s = app_server(&cb).await;
    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&app_authorize(
        &s,
        &cb,
        "openid",
        &[("response_mode", "form_post"), ("nonce", "fp-nonce")],
    ))
    .await
    .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    type_credentials(c).await;
    wait_for_url(c, &cb).await;
    let mut body = None;
    for _ in 0..100 {
        if let Some(b) = seen.lock().unwrap().first().cloned() {
            body = Some(b);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let body = body.expect("the client received a POST");
    let fields: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(fields["state"], "b-state");
    assert!(!fields["code"].is_empty(), "{fields:?}");
    assert_eq!(fields["iss"], s.issuer);
    // The code is good at the token endpoint.
    let t = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &fields["code"]),
                ("redirect_uri", &cb),
                ("client_id", "browser-app"),
                ("code_verifier", VERIFIER),
            ],
            None,
        )
        .await;
    assert_eq!(t.status(), 200);
    b.stop().await;
}

// Issue 17: mail, through a real SMTP server on 127.0.0.1 (the sink in
// `common::smtp`), seen from the browser.

/// How long a mail may take to reach the sink.
const MAIL_WAIT: Duration = Duration::from_secs(15);

/// An entrypoint that holds a new account's request until its address is
/// verified.
const STRICT: &str = "[[entrypoints]]\nid = \"strict\"\ndisplay_name = \"Strict Shop\"\nemail_verification = \"required\"\n";

/// [`app_server`] that mails through `sink`, with `extra` config.
async fn mailing_app_server(cb: &str, sink: &SmtpSink, extra: &str) -> TestServer {
    start_with(
        Db::Sqlite,
        &format!(
            "[[clients]]\nid = \"browser-app\"\nname = \"Browser App\"\nredirect_uris = [\"{cb}\"]\nfirst_party = true\n{}{extra}",
            sink.config()
        ),
    )
    .await
}

/// The input a person would find by its visible label.
async fn field(c: &Client, label: &str) -> fantoccini::elements::Element {
    c.wait()
        .for_element(Locator::XPath(&format!(
            "//input[@id=//label[normalize-space()=\"{label}\"]/@for]"
        )))
        .await
        .unwrap()
}

/// Wait for a link by its text and follow it.
async fn follow_link(c: &Client, text: &str) {
    c.wait()
        .for_element(Locator::LinkText(text))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Wait for a status line (role=status) that says `words`.
async fn status_saying(c: &Client, words: &str) {
    c.wait()
        .for_element(Locator::XPath(&format!(
            "//*[@role='status' and contains(normalize-space(), \"{words}\")]"
        )))
        .await
        .unwrap();
}

/// The app's side of landing on its callback: the code (with the PKCE
/// verifier) exchanged, the id_token checked. Returns the token response
/// and the id_token's claims.
async fn exchange_code(s: &TestServer, cb: &str, landed: &str) -> (Value, Value) {
    let q = query_of(landed);
    assert_eq!(
        q.get("state").map(String::as_str),
        Some("b-state"),
        "{landed}"
    );
    let code = q
        .get("code")
        .unwrap_or_else(|| panic!("no code for the app: {landed}"));
    let r = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", cb),
                ("client_id", "browser-app"),
                ("code_verifier", VERIFIER),
            ],
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    let claims = s
        .verify_id_token(t["id_token"].as_str().unwrap(), "browser-app")
        .await;
    (t, claims)
}

/// [`exchange_code`], then the userinfo the access token reads.
async fn the_app_exchanges_its_code(s: &TestServer, cb: &str, landed: &str) -> Value {
    let (t, _) = exchange_code(s, cb, landed).await;
    s.userinfo(t["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap()
}

/// The 6-digit code of a verification mail (a line of its own).
fn code_in(m: &Received) -> String {
    m.text()
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 6 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {}", m.text()))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgot_password_mail_new_password_then_sign_in() {
    let cb = callback_server().await;
    let sink = SmtpSink::start().await;
    let s = mailing_app_server(&cb, &sink, "").await;
    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&app_authorize(&s, &cb, "openid email", &[]))
        .await
        .unwrap();
    let login = wait_for_url(c, &s.url("/login?request=")).await;

    // Mail is on, so the sign-in form offers the way out.
    follow_link(c, "Forgot password?").await;
    wait_for_url(c, &s.url("/forgot-password?request=")).await;
    heading(c, "Reset your password").await;
    field(c, "Email").await.send_keys(EMAIL).await.unwrap();
    screenshot(c, "forgot-password.png").await;
    button_named(c, "Send reset link")
        .await
        .click()
        .await
        .unwrap();
    // The same words for every address: nothing says whether it has an account.
    status_saying(c, "If an account uses that address").await;
    screenshot(c, "forgot-password-sent.png").await;

    let mails = sink.wait_for(1, MAIL_WAIT).await;
    assert_eq!(mails[0].rcpt_to, [EMAIL]);
    let link = mails[0].link(&format!("{}/reset-password?token=", s.issuer));

    // The link from the mail, in the same browser.
    c.goto(&link).await.unwrap();
    heading(c, "Set a new password").await;
    field(c, "New password")
        .await
        .send_keys("a brand new password")
        .await
        .unwrap();
    screenshot(c, "reset-password.png").await;
    button_named(c, "Set new password")
        .await
        .click()
        .await
        .unwrap();
    // Back on the sign-in page of the very request the reset started from.
    let back = wait_for_url(c, &s.url("/login?request=")).await;
    assert_eq!(
        query_of(&back)["request"],
        query_of(&login)["request"],
        "the request carried through the mail"
    );
    heading(c, "Sign in").await;

    // The old password is refused now.
    let old = s
        .ui_post(
            "/api/ui/login",
            json!({ "email": EMAIL, "password": PASSWORD }),
        )
        .await;
    assert_eq!(old.status(), 401);

    // The new one signs in, and the app gets its code.
    field(c, "Email").await.send_keys(EMAIL).await.unwrap();
    field(c, "Password")
        .await
        .send_keys("a brand new password\u{E007}")
        .await
        .unwrap();
    let landed = wait_for_url(c, &cb).await;
    let info = the_app_exchanges_its_code(&s, &cb, &landed).await;
    assert_eq!(info["email"], EMAIL);

    // And the owner is told the password changed.
    let mails = sink.wait_for(2, MAIL_WAIT).await;
    assert_eq!(mails[1].rcpt_to, [EMAIL]);
    assert!(
        mails[1].text().contains("was just changed"),
        "{}",
        mails[1].text()
    );
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_up_with_required_verification_then_code_then_the_app_gets_its_code() {
    let cb = callback_server().await;
    let sink = SmtpSink::start().await;
    let s = mailing_app_server(&cb, &sink, STRICT).await;
    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&app_authorize(
        &s,
        &cb,
        "openid email strict",
        &[("x_method", "sign_up")],
    ))
    .await
    .unwrap();
    wait_for_url(c, &s.url("/sign-up?request=")).await;
    heading(c, "Create your account").await;
    field(c, "Name")
        .await
        .send_keys("Bob Builder")
        .await
        .unwrap();
    field(c, "Email")
        .await
        .send_keys("bob@example.com")
        .await
        .unwrap();
    field(c, "Password")
        .await
        .send_keys("long enough pw")
        .await
        .unwrap();
    button_named(c, "Create account")
        .await
        .click()
        .await
        .unwrap();

    // The new account has no session and no way on to the app yet.
    wait_for_url(c, &s.url("/verify-email?request=")).await;
    heading(c, "Check your email").await;
    let page = text_of(c, "main").await;
    assert!(page.contains("bob@example.com"), "{page}");
    let mails = sink.wait_for(1, MAIL_WAIT).await;
    assert_eq!(mails[0].rcpt_to, ["bob@example.com"]);
    let first = code_in(&mails[0]);
    screenshot(c, "verify-email.png").await;

    // A wrong code: said plainly, and we stay.
    let wrong = if first == "000000" {
        "111111"
    } else {
        "000000"
    };
    field(c, "Verification code")
        .await
        .send_keys(wrong)
        .await
        .unwrap();
    button_named(c, "Verify").await.click().await.unwrap();
    let alert = text_of(c, "[role=alert]").await;
    assert!(alert.contains("That code is not right"), "{alert}");
    assert!(
        c.current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(&s.url("/verify-email?request=")),
        "still waiting for the code"
    );

    // Required means required: the right password is not enough, the
    // request comes back to "Check your email" with a fresh code.
    follow_link(c, "Back to sign in").await;
    wait_for_url(c, &s.url("/login?request=")).await;
    field(c, "Email")
        .await
        .send_keys("bob@example.com")
        .await
        .unwrap();
    field(c, "Password")
        .await
        .send_keys("long enough pw\u{E007}")
        .await
        .unwrap();
    wait_for_url(c, &s.url("/verify-email?request=")).await;
    heading(c, "Check your email").await;
    let mails = sink.wait_for(2, MAIL_WAIT).await;
    assert_eq!(mails[1].rcpt_to, ["bob@example.com"]);
    let latest = code_in(&mails[1]);

    field(c, "Verification code")
        .await
        .send_keys(&latest)
        .await
        .unwrap();
    button_named(c, "Verify").await.click().await.unwrap();
    let landed = wait_for_url(c, &cb).await;
    let info = the_app_exchanges_its_code(&s, &cb, &landed).await;
    assert_eq!(info["email"], "bob@example.com");
    assert_eq!(info["email_verified"], true);
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mails_speak_spanish_with_ui_locales_es() {
    let cb = callback_server().await;
    let sink = SmtpSink::start().await;
    let s = mailing_app_server(&cb, &sink, "").await;
    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&app_authorize(&s, &cb, "openid", &[("ui_locales", "es")]))
        .await
        .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    follow_link(c, "¿Olvidaste tu contraseña?").await;
    wait_for_url(c, &s.url("/forgot-password?request=")).await;
    heading(c, "Restablece tu contraseña").await;
    field(c, "Correo electrónico")
        .await
        .send_keys(EMAIL)
        .await
        .unwrap();
    button_named(c, "Enviar enlace")
        .await
        .click()
        .await
        .unwrap();
    status_saying(c, "le hemos enviado un enlace").await;
    screenshot(c, "forgot-password-es.png").await;

    // The browser asks for English; the request's ui_locales wins, for
    // the mail as for the screens.
    let lang = c
        .execute("return navigator.language;", vec![])
        .await
        .unwrap();
    assert!(lang.as_str().unwrap().starts_with("en"), "{lang}");
    let mails = sink.wait_for(1, MAIL_WAIT).await;
    let m = &mails[0];
    assert_eq!(m.rcpt_to, [EMAIL]);
    let subject = m.subject();
    assert!(subject.starts_with("Restablece tu contraseña"), "{subject}");
    let text = m.text();
    assert!(text.contains("Elegir una contraseña nueva"), "{text}");
    assert!(!text.contains("Reset your password"), "{text}");
    // The mail's link opens the page in the mail's language, with the
    // request's look.
    let link = m.link(&format!("{}/reset-password?token=", s.issuer));
    assert!(link.contains("ui_locales=es"), "{link}");
    c.goto(&link).await.unwrap();
    heading(c, "Elige una contraseña nueva").await;
    b.stop().await;
}

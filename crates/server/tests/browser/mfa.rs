//! Issue 18 in Chromium: passkeys with the browser's virtual authenticator
//! (the WebDriver WebAuthn extension: resident keys and user verification
//! on), an authenticator app set up by reading the "Setup key", recovery
//! codes, and an entrypoint that requires a second factor. The server runs
//! on `localhost` (browsers refuse IP addresses as relying-party ids).

use super::*;
use fantoccini::wd::WebDriverCompatibleCommand;
use portico_core::services::totp::{DIGITS, code_at_step, step_of};

/// A command of the WebDriver WebAuthn extension
/// (`/session/{id}/webauthn/...`), which fantoccini does not name.
#[derive(Debug)]
struct WebAuthn {
    path: String,
    body: Option<Value>,
}

impl WebDriverCompatibleCommand for WebAuthn {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/webauthn/{}",
            session_id.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        match &self.body {
            Some(b) => (axum::http::Method::POST, Some(b.to_string())),
            None => (axum::http::Method::GET, None),
        }
    }
}

/// A platform authenticator that keeps resident keys and verifies the
/// user (as a phone or laptop with a fingerprint would). Returns its id.
async fn virtual_authenticator(c: &Client) -> String {
    let id = c
        .issue_cmd(WebAuthn {
            path: "authenticator".into(),
            body: Some(json!({
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": true,
                "hasUserVerification": true,
                "isUserVerified": true,
                "automaticPresenceSimulation": true,
            })),
        })
        .await
        .unwrap();
    id.as_str().unwrap().to_owned()
}

/// Whether the authenticator verifies the user (a fingerprint that
/// matches, or not).
async fn user_verified(c: &Client, id: &str, yes: bool) {
    c.issue_cmd(WebAuthn {
        path: format!("authenticator/{id}/uv"),
        body: Some(json!({ "isUserVerified": yes })),
    })
    .await
    .unwrap();
}

/// The credentials the virtual authenticator holds.
async fn authenticator_credentials(c: &Client, id: &str) -> Vec<Value> {
    let v = c
        .issue_cmd(WebAuthn {
            path: format!("authenticator/{id}/credentials"),
            body: None,
        })
        .await
        .unwrap();
    v.as_array().unwrap().clone()
}

async fn localhost_app(cb: &str, extra: &str) -> TestServer {
    start_on_localhost(
        Db::Sqlite,
        &format!(
            "[[clients]]\nid = \"browser-app\"\nname = \"Browser App\"\nredirect_uris = [\"{cb}\"]\nfirst_party = true\n{extra}"
        ),
    )
    .await
}

/// The app's side: the code exchanged, the id_token's claims.
async fn id_token_claims(s: &TestServer, cb: &str, landed: &str) -> Value {
    exchange_code(s, cb, landed).await.1
}

fn amr(claims: &Value) -> Vec<String> {
    claims["amr"]
        .as_array()
        .unwrap_or_else(|| panic!("no amr in {claims}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// Sign in with the password through the app, landing on its callback.
async fn password_sign_in(c: &Client, s: &TestServer, cb: &str) -> String {
    c.goto(&app_authorize(s, cb, "openid email", &[]))
        .await
        .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    type_credentials(c).await;
    wait_for_url(c, cb).await
}

/// Sign out the blunt way: WebDriver deletes the cookies of the page's own
/// site, so go to Portico's first (a page without a sign-in form, whose
/// passkey autofill would sign in again).
async fn forget_cookies(c: &Client, s: &TestServer) {
    c.goto(&s.url("/healthz")).await.unwrap();
    c.delete_all_cookies().await.unwrap();
}

/// Click the element `xpath` names once it is there; the page may render
/// it again meanwhile (a list refreshed from the server), so a stale
/// element is looked up again.
async fn click_xpath(c: &Client, xpath: &str) {
    for _ in 0..50 {
        let e = c.wait().for_element(Locator::XPath(xpath)).await.unwrap();
        match e.click().await {
            Ok(()) => return,
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("could not click {xpath}");
}

/// Open the account security page (signed in, recently).
async fn security_page(c: &Client, s: &TestServer) {
    c.goto(&s.url("/account/security")).await.unwrap();
    heading(c, "Security").await;
}

async fn read_value(e: &fantoccini::elements::Element) -> String {
    e.prop("value").await.unwrap().unwrap_or_default()
}

fn app_code(s: &TestServer, key: &[u8]) -> String {
    code_at_step(key, DIGITS, step_of(s.running.state.provider.now()))
}

/// The recovery codes the panel shows.
async fn shown_recovery_codes(c: &Client) -> Vec<String> {
    c.wait()
        .for_element(Locator::Css("ul.recovery-codes li code"))
        .await
        .unwrap();
    let mut out = Vec::new();
    for e in c
        .find_all(Locator::Css("ul.recovery-codes li code"))
        .await
        .unwrap()
    {
        out.push(e.text().await.unwrap());
    }
    out
}

/// "Set up authenticator app": read the "Setup key", type the app's code,
/// "Turn on". Returns the key and the recovery codes shown.
async fn set_up_app(c: &Client, s: &TestServer, shot: Option<&str>) -> (Vec<u8>, Vec<String>) {
    button_named(c, "Set up authenticator app")
        .await
        .click()
        .await
        .unwrap();
    let key = setup_key_bytes(&read_value(&field(c, "Setup key").await).await);
    assert_eq!(key.len(), 20, "a 160-bit key");
    c.wait().for_element(Locator::Css("img.qr")).await.unwrap();
    if let Some(name) = shot {
        screenshot(c, name).await;
    }
    field(c, "Code from your app")
        .await
        .send_keys(&app_code(s, &key))
        .await
        .unwrap();
    button_named(c, "Turn on").await.click().await.unwrap();
    let codes = shown_recovery_codes(c).await;
    assert_eq!(codes.len(), 10);
    (key, codes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_passkey_is_added_signs_in_on_its_own_and_is_removed() {
    let cb = callback_server().await;
    let s = localhost_app(&cb, "").await;
    let b = Browser::start().await;
    let c = &b.client;
    let authenticator = virtual_authenticator(c).await;

    c.goto(&app_authorize(&s, &cb, "openid email", &[]))
        .await
        .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    button_named(c, "Sign in with a passkey").await;
    screenshot(c, "login-passkey.png").await;
    type_credentials(c).await;
    let landed = wait_for_url(c, &cb).await;
    assert_eq!(amr(&id_token_claims(&s, &cb, &landed).await), ["pwd"]);
    security_page(c, &s).await;
    button_named(c, "Add a passkey")
        .await
        .click()
        .await
        .unwrap();
    // The first second factor: recovery codes, shown once.
    assert_eq!(shown_recovery_codes(c).await.len(), 10);
    button_named(c, "I have saved them")
        .await
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath(
            "//li[contains(@class,'factor')][contains(., 'Passkey 1')]",
        ))
        .await
        .unwrap();
    screenshot(c, "security-passkey.png").await;
    let held = authenticator_credentials(c, &authenticator).await;
    assert_eq!(held.len(), 1);
    assert_eq!(
        held[0]["isResidentCredential"], true,
        "a discoverable passkey"
    );
    assert_eq!(held[0]["rpId"], "localhost");

    // Signed out, the passkey alone signs in: no email, no password. The
    // browser may offer it in the email field's autofill (conditional UI,
    // which Chromium's virtual authenticator answers at once) before the
    // button is pressed; either way is the passkey alone.
    forget_cookies(c, &s).await;
    c.goto(&app_authorize(&s, &cb, "openid email", &[]))
        .await
        .unwrap();
    let mut clicked = false;
    for i in 0..100 {
        let at = c.current_url().await.unwrap().to_string();
        if at.starts_with(&cb) {
            break;
        }
        if i >= 20 && !clicked {
            // Two seconds without autofill: the button.
            if let Ok(b) = c
                .find(Locator::XPath(
                    "//button[normalize-space()='Sign in with a passkey']",
                ))
                .await
            {
                clicked = b.click().await.is_ok();
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let landed = wait_for_url(c, &cb).await;
    let claims = id_token_claims(&s, &cb, &landed).await;
    assert_eq!(amr(&claims), ["swk", "user", "mfa"]);
    assert_eq!(claims["acr"], "urn:portico:acr:mfa");

    // The button: while the authenticator cannot verify the user the
    // autofill offer goes nowhere; then it can, and the button signs in.
    forget_cookies(c, &s).await;
    user_verified(c, &authenticator, false).await;
    c.goto(&app_authorize(&s, &cb, "openid email", &[]))
        .await
        .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    let button = button_named(c, "Sign in with a passkey").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        c.current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(&s.url("/login"))
    );
    user_verified(c, &authenticator, true).await;
    button.click().await.unwrap();
    let landed = wait_for_url(c, &cb).await;
    let claims = id_token_claims(&s, &cb, &landed).await;
    assert_eq!(amr(&claims), ["swk", "user", "mfa"]);

    // Remove it: the page lists no passkey, and it no longer signs in.
    security_page(c, &s).await;
    let row = c
        .wait()
        .for_element(Locator::XPath(
            "//li[contains(@class,'factor')][contains(., 'Passkey 1')]",
        ))
        .await
        .unwrap();
    row.find(Locator::XPath(".//button[normalize-space()='Remove']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::XPath("//*[normalize-space()='No passkeys yet.']"))
        .await
        .unwrap();
    forget_cookies(c, &s).await;
    c.goto(&app_authorize(&s, &cb, "openid email", &[]))
        .await
        .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    click_xpath(c, "//button[normalize-space()='Sign in with a passkey']").await;
    c.wait()
        .for_element(Locator::Css("[role='alert']"))
        .await
        .unwrap();
    assert!(
        c.current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(&s.url("/login"))
    );
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authenticator_app_then_a_recovery_code_guard_the_sign_in() {
    let cb = callback_server().await;
    let s = localhost_app(&cb, "").await;
    s.clock.freeze();
    let b = Browser::start().await;
    let c = &b.client;

    password_sign_in(c, &s, &cb).await;
    security_page(c, &s).await;
    let (key, codes) = set_up_app(c, &s, Some("security-app-setup.png")).await;
    screenshot(c, "security-recovery-codes.png").await;
    button_named(c, "I have saved them")
        .await
        .click()
        .await
        .unwrap();

    // Next sign-in: the password, then the code from the app (the next
    // step's: the one used to turn it on works once).
    s.clock.advance(30);
    forget_cookies(c, &s).await;
    c.goto(&app_authorize(&s, &cb, "openid email", &[]))
        .await
        .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    type_credentials(c).await;
    wait_for_url(c, &s.url("/login/code?")).await;
    let input = field(c, "Authentication code").await;
    screenshot(c, "second-factor.png").await;
    input.send_keys(&app_code(&s, &key)).await.unwrap();
    button_named(c, "Verify").await.click().await.unwrap();
    let landed = wait_for_url(c, &cb).await;
    let claims = id_token_claims(&s, &cb, &landed).await;
    assert_eq!(amr(&claims), ["pwd", "otp", "mfa"]);
    assert_eq!(claims["acr"], "urn:portico:acr:mfa");

    // And with a recovery code instead.
    forget_cookies(c, &s).await;
    c.goto(&app_authorize(&s, &cb, "openid email", &[]))
        .await
        .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    type_credentials(c).await;
    wait_for_url(c, &s.url("/login/code?")).await;
    follow_link(c, "Use a recovery code").await;
    field(c, "Recovery code")
        .await
        .send_keys(&codes[0])
        .await
        .unwrap();
    button_named(c, "Verify").await.click().await.unwrap();
    let landed = wait_for_url(c, &cb).await;
    assert!(amr(&id_token_claims(&s, &cb, &landed).await).contains(&"mfa".to_owned()));
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entrypoint_that_requires_a_second_factor_makes_the_user_enrol() {
    let cb = callback_server().await;
    let s = localhost_app(
        &cb,
        "[[entrypoints]]\nid = \"vault\"\ndisplay_name = \"The Vault\"\nmfa = \"required\"\n",
    )
    .await;
    s.clock.freeze();
    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&app_authorize(&s, &cb, "openid email vault", &[]))
        .await
        .unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    type_credentials(c).await;
    // No factor yet: the security page, with the request.
    wait_for_url(c, &s.url("/account/security?request=")).await;
    heading(c, "Security").await;
    screenshot(c, "enrol-required.png").await;
    set_up_app(c, &s, None).await;
    button_named(c, "I have saved them")
        .await
        .click()
        .await
        .unwrap();
    button_named(c, "Continue").await.click().await.unwrap();
    let landed = wait_for_url(c, &cb).await;
    let claims = id_token_claims(&s, &cb, &landed).await;
    assert_eq!(claims["acr"], "urn:portico:acr:mfa");
    assert!(amr(&claims).contains(&"otp".to_owned()));
    b.stop().await;
}

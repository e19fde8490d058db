//! Issue 19 in Chromium: the cockpit. An administrator signs in through
//! the login UI and lands back on /admin; a client created in the console
//! runs the authorization-code flow with the secret the console showed
//! once; a key rotated in the console signs new tokens while a token
//! signed before still verifies.

use super::*;

const ROOT: &str = "root@example.com";
const ROOT_PASSWORD: &str = "root password, long enough";
const ADMIN: &str = r#"
[[users]]
email = "root@example.com"
name = "Root"
password = "root password, long enough"
roles = ["admin"]
"#;

/// Open the console, sign in as the administrator, and land back on it.
async fn sign_in_to_the_cockpit(c: &Client, s: &TestServer) {
    c.goto(&s.url("/admin")).await.unwrap();
    wait_for_url(c, &s.url("/login?return_to=")).await;
    c.wait()
        .for_element(Locator::Css("input#email"))
        .await
        .unwrap()
        .send_keys(ROOT)
        .await
        .unwrap();
    c.find(Locator::Css("input#password"))
        .await
        .unwrap()
        .send_keys(&format!("{ROOT_PASSWORD}\u{E007}"))
        .await
        .unwrap();
    wait_for_url(c, &s.url("/admin")).await;
    c.wait()
        .for_element(Locator::XPath(
            "//nav//strong[normalize-space()=\"root@example.com\"]",
        ))
        .await
        .unwrap();
}

async fn type_into(c: &Client, id: &str, text: &str) {
    let el = c
        .wait()
        .for_element(Locator::Css(&format!("#{id}")))
        .await
        .unwrap();
    el.clear().await.unwrap();
    el.send_keys(text).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_created_in_the_console_runs_the_code_flow() {
    let cb = callback_server().await;
    let s = start_with(Db::Sqlite, ADMIN).await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in_to_the_cockpit(c, &s).await;
    screenshot(c, "cockpit-overview.png").await;

    c.goto(&s.url("/admin/clients")).await.unwrap();
    // Every field is found by its label, as a person would.
    field(c, "Client ID")
        .await
        .send_keys("console-app")
        .await
        .unwrap();
    field(c, "Name")
        .await
        .send_keys("Made in the cockpit")
        .await
        .unwrap();
    type_into(c, "client-redirect-uris", &cb).await;
    c.find(Locator::XPath(
        "//input[@id=//label[normalize-space()=\"First-party (no consent screen)\"]/@for]",
    ))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    button_named(c, "Create client")
        .await
        .click()
        .await
        .unwrap();
    let secret = c
        .wait()
        .for_element(Locator::Css("#client-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(secret.len(), 43, "{secret}");
    screenshot(c, "cockpit-new-client.png").await;
    // The list shows it, without its secret.
    c.goto(&s.url("/admin/clients")).await.unwrap();
    c.wait()
        .for_element(Locator::LinkText("console-app"))
        .await
        .unwrap();
    assert!(!c.source().await.unwrap().contains(&secret));

    // The app sends the (signed-in) browser to authorize, and exchanges
    // the code with the secret it was given.
    let url = s.authorize_url(&[
        ("client_id", "console-app"),
        ("redirect_uri", &cb),
        ("response_type", "code"),
        ("scope", "openid email"),
        ("state", "b-state"),
        ("nonce", "n"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    c.goto(&url).await.unwrap();
    let landed = wait_for_url(c, &cb).await;
    let code = query_of(&landed)["code"].clone();
    let r = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &cb),
                ("code_verifier", VERIFIER),
            ],
            Some(("console-app", &secret)),
        )
        .await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    s.verify_id_token(t["id_token"].as_str().unwrap(), "console-app")
        .await;
    let me: Value = s
        .userinfo(t["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], ROOT);
    b.stop().await;
}

async fn machine_token(s: &TestServer) -> String {
    let r = s
        .token(
            &[("grant_type", "client_credentials"), ("scope", "api:read")],
            Some(("machine", MACHINE_SECRET)),
        )
        .await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    t["access_token"].as_str().unwrap().to_owned()
}

async fn active(s: &TestServer, token: &str) -> bool {
    let r = s
        .http
        .post(s.url("/oauth2/introspect"))
        .basic_auth("machine", Some(MACHINE_SECRET))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    v["active"] == true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotated_in_the_console_signs_new_tokens_and_old_ones_still_verify() {
    let s = start_with(Db::Sqlite, ADMIN).await;
    let before = machine_token(&s).await;
    let old_kid = jsonwebtoken::decode_header(&before).unwrap().kid.unwrap();
    let b = Browser::start().await;
    let c = &b.client;
    sign_in_to_the_cockpit(c, &s).await;
    c.goto(&s.url("/admin/keys")).await.unwrap();
    c.wait()
        .for_element(Locator::Css(&format!("tr[data-kid=\"{old_kid}\"]")))
        .await
        .unwrap();
    c.find(Locator::XPath("//input[@id=//label[normalize-space()=\"Sign with the new keys at once (a suspected compromise)\"]/@for]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    button_named(c, "Rotate keys").await.click().await.unwrap();
    status_saying(c, "New keys made.").await;
    // The old key now verifies only; new tokens carry a new kid, listed.
    let after = machine_token(&s).await;
    let new_kid = jsonwebtoken::decode_header(&after).unwrap().kid.unwrap();
    assert_ne!(new_kid, old_kid);
    c.wait()
        .for_element(Locator::Css(&format!("tr[data-kid=\"{new_kid}\"]")))
        .await
        .unwrap();
    let old_row = c
        .find(Locator::Css(&format!("tr[data-kid=\"{old_kid}\"]")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(old_row.contains("verifying"), "{old_row}");
    screenshot(c, "cockpit-keys.png").await;
    assert!(
        active(&s, &before).await,
        "a token signed before still verifies"
    );
    assert!(active(&s, &after).await);
    b.stop().await;
}

/// Wait until `property` of `selector` is `want` (the preview follows the
/// typing a quarter second later).
async fn css_becomes(c: &Client, selector: &str, property: &str, want: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        let found: Value = c
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? getComputedStyle(e).getPropertyValue(arguments[1]).trim() : null;",
                vec![json!(selector), json!(property)],
            )
            .await
            .unwrap();
        last = found.as_str().unwrap_or_default().to_owned();
        if last == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{selector} {property} stayed {last:?}, not {want:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_theme_edited_in_the_console_changes_the_preview_then_the_login_page() {
    let s = start_with(Db::Sqlite, ADMIN).await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in_to_the_cockpit(c, &s).await;
    c.goto(&s.url("/admin/entrypoints")).await.unwrap();
    follow_link(c, "acme").await;
    // The preview shows the real sign-in form in Acme's teal.
    let button = ".preview button[type=submit]";
    css_becomes(c, button, "background-color", "rgb(15, 118, 110)").await;
    let primary = field(c, "Primary colour").await;
    // Typing a colour changes the preview's button as you go.
    primary.clear().await.unwrap();
    primary.send_keys("#7c2d12").await.unwrap();
    css_becomes(c, button, "background-color", "rgb(124, 45, 18)").await;
    // One people cannot read is flagged beside its pair, with the reason
    // saving would give, before any save.
    primary.clear().await.unwrap();
    primary.send_keys("#a7f3d0").await.unwrap();
    c.wait()
        .for_element(Locator::Css("tr[data-pair=\"primary\"].fails"))
        .await
        .unwrap();
    let problem = text_of(c, "li[data-field=\"theme.primary\"]").await;
    assert!(
        problem.contains("WCAG AA needs at least 4.5:1"),
        "{problem}"
    );
    screenshot(c, "cockpit-theme-contrast.png").await;
    button_named(c, "Save changes").await.click().await.unwrap();
    let refused = c
        .wait()
        .for_element(Locator::Css(".editor [role=alert]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(refused.contains("contrast"), "{refused}");
    // A readable one saves, and the real login page has it.
    primary.clear().await.unwrap();
    primary.send_keys("#7c2d12").await.unwrap();
    css_becomes(c, button, "background-color", "rgb(124, 45, 18)").await;
    screenshot(c, "cockpit-theme-editor.png").await;
    button_named(c, "Save changes").await.click().await.unwrap();
    status_saying(c, "Saved.").await;
    let url = s.authorize_url(&[
        ("client_id", "web"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid acme"),
        ("state", "b-state"),
        ("prompt", "login"),
    ]);
    c.goto(&url).await.unwrap();
    wait_for_url(c, &s.url("/login?request=")).await;
    css_becomes(
        c,
        ".card button[type=submit]",
        "background-color",
        "rgb(124, 45, 18)",
    )
    .await;
    b.stop().await;
}

async fn alice_can_sign_in(s: &TestServer) -> bool {
    let r = s
        .ui_post(
            "/api/ui/login",
            json!({"email": EMAIL, "password": PASSWORD}),
        )
        .await;
    r.status() == 200
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_found_in_the_console_is_disabled_and_enabled_again() {
    let s = start_with(Db::Sqlite, ADMIN).await;
    let alice = s.sign_in().await;
    let b = Browser::start().await;
    let c = &b.client;
    sign_in_to_the_cockpit(c, &s).await;
    c.goto(&s.url("/admin/users")).await.unwrap();
    field(c, "Search users")
        .await
        .send_keys("ALICE\u{E007}")
        .await
        .unwrap();
    wait_for_url(c, &s.url("/admin/users?q=ALICE")).await;
    follow_link(c, EMAIL).await;
    button_named(c, "Disable").await.click().await.unwrap();
    status_saying(c, "Disabled").await;
    assert!(
        !alice_can_sign_in(&s).await,
        "a disabled account cannot sign in"
    );
    // Her browser's session ended with it.
    let r = s
        .http
        .get(s.url("/api/ui/session"))
        .header("cookie", &alice)
        .send()
        .await
        .unwrap();
    let session: Value = r.json().await.unwrap();
    assert_eq!(session["signed_in"], false, "{session}");
    // The page shows her sessions gone with it.
    c.wait()
        .for_element(Locator::XPath(
            "//section[@aria-labelledby='sessions-heading']//p[normalize-space()='None.']",
        ))
        .await
        .unwrap();
    screenshot(c, "cockpit-user.png").await;
    button_named(c, "Enable").await.click().await.unwrap();
    status_saying(c, "Enabled").await;
    assert!(alice_can_sign_in(&s).await);
    b.stop().await;
}

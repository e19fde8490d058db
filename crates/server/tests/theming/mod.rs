//! Issue 6 over HTTP: entrypoints from the config (themes, words, sign-up
//! fields, x_methods), the language choice, and session_state, on both
//! backends.

use crate::common::*;
use crate::on_both_backends;
use serde_json::{Value, json};

on_both_backends!(
    the_theme_follows_the_entrypoint_in_the_scope,
    the_language_comes_from_ui_locales_then_the_browser_then_the_entrypoint,
    a_broken_stored_theme_falls_back_token_by_token,
    entrypoints_only_offer_their_x_methods,
    sign_up_asks_what_the_entrypoint_wants_and_the_claims_carry_it,
    authorization_responses_carry_session_state,
    the_demo_offers_a_branded_sign_in,
);

async fn the_demo_offers_a_branded_sign_in(db: Db) {
    let s = start_demo(db).await;
    let urls = [
        s.running.demo_authorize_url.clone().unwrap(),
        s.running.demo_themed_url.clone().unwrap(),
    ];
    let mut seen = Vec::new();
    for u in urls {
        let r = s.http.get(&u).send().await.unwrap();
        assert_eq!(r.status(), 302, "{u}");
        let to = location(r.headers());
        let (_, id) = to.split_once("/login?request=").unwrap();
        let t = theme(&s, &format!("?request={id}"), None).await;
        seen.push((
            t["entrypoint"]["id"].as_str().unwrap().to_owned(),
            t["tokens"]["primary"].as_str().unwrap().to_owned(),
        ));
    }
    assert_eq!(
        seen,
        [
            ("default".to_owned(), "#1d4ed8".to_owned()),
            ("acme".to_owned(), "#0f766e".to_owned())
        ]
    );
}

/// Start an authorization request for `scope` and return its id.
async fn request_for(s: &TestServer, scope: &str, extra: &[(&str, &str)]) -> String {
    let mut p = vec![
        ("client_id", "web"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", scope),
        ("state", "st"),
    ];
    p.extend_from_slice(extra);
    let r = s.authorize(&p, None).await;
    assert_eq!(r.status(), 302, "{:?}", r.headers());
    let to = location(r.headers());
    let (_, id) = to.split_once("request=").unwrap();
    id.to_owned()
}

async fn theme(s: &TestServer, query: &str, accept_language: Option<&str>) -> Value {
    let mut r = s.http.get(s.url(&format!("/api/ui/theme{query}")));
    if let Some(l) = accept_language {
        r = r.header("accept-language", l);
    }
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.json().await.unwrap()
}

async fn the_theme_follows_the_entrypoint_in_the_scope(db: Db) {
    let s = start(db).await;
    let plain = theme(&s, "", None).await;
    assert_eq!(plain["entrypoint"]["id"], "default");
    assert_eq!(plain["locale"], "en");
    assert_eq!(plain["tokens"]["primary"], "#1d4ed8");
    assert_eq!(plain["tokens"]["logo_url"], Value::Null);

    let acme = request_for(&s, "openid acme", &[]).await;
    let t = theme(&s, &format!("?request={acme}"), None).await;
    assert_eq!(t["entrypoint"]["display_name"], "Acme Outdoor");
    assert_eq!(t["tokens"]["primary"], "#0f766e");
    assert_eq!(t["tokens"]["background"], "#ccfbf1");
    assert_eq!(t["tokens"]["font_family"], "Georgia, serif");
    assert_eq!(t["tokens"]["radius"], "2px");
    assert_eq!(t["tokens"]["logo_url"], "/public/logos/acme.svg");
    assert_eq!(t["texts"]["title"], "Welcome back to Acme");
    assert_eq!(t["texts"]["create_account"], "Join Acme");
    assert_eq!(t["sign_up"]["phone"], "required");
    assert_eq!(t["sign_up"]["terms_url"], "http://127.0.0.1:9/terms");
    assert_eq!(t["x_methods"], json!(["login", "sign_up"]));

    let club = request_for(&s, "openid club", &[]).await;
    let t = theme(&s, &format!("?request={club}"), None).await;
    assert_eq!(t["tokens"]["surface"], "#1c1917");
    assert_eq!(t["tokens"]["radius"], "20px");
    // Derived colours follow the dark surface instead of the light default.
    assert_ne!(t["tokens"]["muted"], plain["tokens"]["muted"]);

    // An unknown entrypoint is invalid_scope, sent back to the client.
    let r = s
        .authorize(
            &[
                ("client_id", "web"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("scope", "openid nowhere"),
            ],
            None,
        )
        .await;
    assert_eq!(query_of(&location(r.headers()))["error"], "invalid_scope");
    // A request that no longer exists gets the default look, not an error.
    let t = theme(&s, "?request=gone", None).await;
    assert_eq!(t["entrypoint"]["id"], "default");
}

async fn the_language_comes_from_ui_locales_then_the_browser_then_the_entrypoint(db: Db) {
    let s = start(db).await;
    let acme_es = request_for(&s, "openid acme", &[("ui_locales", "fr-CA es")]).await;
    let t = theme(&s, &format!("?request={acme_es}"), Some("en")).await;
    assert_eq!(t["locale"], "es", "ui_locales beats the browser");
    assert_eq!(t["texts"]["title"], "Hola de nuevo en Acme");
    assert_eq!(
        t["texts"].get("create_account"),
        None,
        "English words never show in the Spanish UI"
    );

    let acme = request_for(&s, "openid acme", &[]).await;
    let t = theme(
        &s,
        &format!("?request={acme}"),
        Some("de-DE, es;q=0.9, en;q=0.8"),
    )
    .await;
    assert_eq!(t["locale"], "es", "the browser's best known language");

    let club = request_for(&s, "openid club", &[]).await;
    let t = theme(&s, &format!("?request={club}"), None).await;
    assert_eq!(t["locale"], "es", "the entrypoint's default");
    let t = theme(&s, &format!("?request={club}"), Some("en-GB")).await;
    assert_eq!(t["locale"], "en");
    // Pages without a request may pass ui_locales themselves.
    assert_eq!(theme(&s, "?ui_locales=es", None).await["locale"], "es");
    let d: Value = s.get_json("/.well-known/openid-configuration").await;
    assert_eq!(d["ui_locales_supported"], json!(["en", "es"]));
}

async fn a_broken_stored_theme_falls_back_token_by_token(db: Db) {
    let s = start(db).await;
    // Saved around the checks (an older version, a hand edit): the page
    // must still work.
    let store = portico_store::connect(&s.database_url, false, &Default::default())
        .await
        .unwrap();
    let mut e = portico_core::model::Entrypoint::new("broken", "Broken Ltd");
    e.theme.primary = Some("blurple".into());
    e.theme.surface = Some("#fafafa".into());
    e.theme.radius = Some("1000px".into());
    e.theme.font_family = Some("x; } body { display: none".into());
    e.theme.logo_url = Some("javascript:alert(1)".into());
    e.theme.background_image = Some("https://cdn.example/bg.png".into());
    store.upsert_entrypoint(&e).await.unwrap();
    let id = request_for(&s, "openid broken", &[]).await;
    let t = theme(&s, &format!("?request={id}"), None).await;
    let tok = &t["tokens"];
    assert_eq!(tok["primary"], "#1d4ed8");
    assert_eq!(tok["surface"], "#fafafa");
    assert_eq!(tok["radius"], "10px");
    assert!(
        tok["font_family"]
            .as_str()
            .unwrap()
            .starts_with("system-ui")
    );
    assert_eq!(tok["logo_url"], Value::Null);
    assert_eq!(tok["background_image"], "https://cdn.example/bg.png");
}

async fn entrypoints_only_offer_their_x_methods(db: Db) {
    let s = start(db).await;
    let ask = |scope: &'static str, method: &'static str| {
        let s = &s;
        async move {
            let r = s
                .authorize(
                    &[
                        ("client_id", "web"),
                        ("redirect_uri", CB),
                        ("response_type", "code"),
                        ("scope", scope),
                        ("x_method", method),
                    ],
                    None,
                )
                .await;
            location(r.headers())
        }
    };
    let to = ask("openid acme", "reauthorize").await;
    let q = query_of(&to);
    assert_eq!(q["error"], "invalid_request");
    assert!(
        q["error_description"].contains("x_method=reauthorize"),
        "{to}"
    );
    assert!(
        ask("openid acme", "sign_up")
            .await
            .starts_with("/sign-up?request=")
    );
    assert_eq!(
        query_of(&ask("openid members", "sign_up").await)["error"],
        "invalid_request"
    );
    // Nor can the sign-up API be used behind the entrypoint's back.
    let id = request_for(&s, "openid members", &[]).await;
    let r = s
        .ui_post(
            "/api/ui/sign-up",
            json!({"request": id, "name": "Eve", "email": "eve@example.com", "password": "long enough pw"}),
        )
        .await;
    assert_eq!(r.status(), 403);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"], "sign_up_not_offered");
}

async fn sign_up_asks_what_the_entrypoint_wants_and_the_claims_carry_it(db: Db) {
    let s = start(db).await;
    let id = request_for(
        &s,
        "openid profile phone acme",
        &[
            ("nonce", "n"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    let base = json!({"request": id, "name": "Bob", "email": "bob@example.com", "password": "long enough pw"});
    let r = s.ui_post("/api/ui/sign-up", base.clone()).await;
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    let codes: Vec<(&str, &str)> = e["field_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            ("phone_number", "phone_missing"),
            ("accept_terms", "terms_required")
        ]
    );
    let mut bad = base.clone();
    bad["phone_number"] = json!("call me");
    bad["birthdate"] = json!("2999-01-01");
    bad["accept_terms"] = json!(true);
    let e: Value = s
        .ui_post("/api/ui/sign-up", bad)
        .await
        .json()
        .await
        .unwrap();
    let fields: Vec<&str> = e["field_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["phone_invalid", "birthdate_out_of_range"]);

    let mut good = base;
    good["phone_number"] = json!("+34 600 123 456");
    good["birthdate"] = json!("1990-05-17");
    good["accept_terms"] = json!(true);
    let r = s.ui_post("/api/ui/sign-up", good).await;
    assert_eq!(r.status(), 200);
    let next: Value = r.json().await.unwrap();
    let q = query_of(next["redirect_to"].as_str().unwrap());
    let t: Value = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &q["code"]),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await
        .json()
        .await
        .unwrap();
    let info: Value = s
        .userinfo(t["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["phone_number"], "+34600123456");
    assert_eq!(info["phone_number_verified"], false);
    assert_eq!(info["birthdate"], "1990-05-17");
    assert_eq!(info["name"], "Bob");
}

async fn authorization_responses_carry_session_state(db: Db) {
    let s = start(db).await;
    let cookie = s.sign_in().await;
    let r = s
        .authorize(
            &[
                ("client_id", "web"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("scope", "openid"),
                ("state", "st"),
            ],
            Some(&cookie),
        )
        .await;
    let q = query_of(&location(r.headers()));
    let ss = &q["session_state"];
    let (digest, salt) = ss.split_once('.').unwrap();
    assert_eq!(digest.len(), 43, "base64url SHA-256: {ss}");
    assert!(!salt.is_empty());
    // A new session gives a new browser state, so a new session_state.
    let other = s.sign_in().await;
    let r = s
        .authorize(
            &[
                ("client_id", "web"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("scope", "openid"),
            ],
            Some(&other),
        )
        .await;
    assert_ne!(&query_of(&location(r.headers()))["session_state"], ss);
    let d: Value = s.get_json("/.well-known/openid-configuration").await;
    assert_eq!(
        d.get("check_session_iframe"),
        None,
        "advertised only if implemented"
    );
}

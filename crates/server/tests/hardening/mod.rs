//! Issue 7 over HTTP: security headers, caching, size limits, timeouts and
//! what never reaches the logs.

use crate::common::*;
use crate::on_both_backends;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_both_backends!(
    ui_pages_have_a_strict_csp_and_no_inline_script,
    every_answer_refuses_framing_and_referrers,
    hsts_only_when_the_issuer_is_https,
    authorize_and_token_answers_are_never_cached,
    oversized_bodies_get_413_and_long_targets_414,
    a_client_that_never_finishes_its_headers_is_cut_off,
    ui_assets_go_out_compressed_when_the_browser_accepts_it,
    files_without_a_content_hash_are_revalidated,
);

const UI_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' https: data:; font-src 'self'; connect-src 'self'; \
     manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .unwrap_or_else(|| panic!("{} has no {name}", r.url()))
        .to_str()
        .unwrap()
}

async fn ui_pages_have_a_strict_csp_and_no_inline_script(db: Db) {
    let s = start(db).await;
    for path in [
        "/",
        "/index.html",
        "/login?request=x",
        "/sign-up",
        "/device",
    ] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "content-security-policy"), UI_CSP, "{path}");
        assert_eq!(header(&r, "cross-origin-opener-policy"), "same-origin");
        let html = r.text().await.unwrap();
        // Every script element loads a file; none carries code.
        let scripts: Vec<&str> = html.split("<script").skip(1).collect();
        assert!(!scripts.is_empty(), "{path}: the UI has a script");
        for tag in scripts {
            let (open, rest) = tag.split_once('>').unwrap();
            assert!(
                open.contains(" src="),
                "{path}: inline script <script{open}>"
            );
            assert!(
                rest.starts_with("</script>"),
                "{path}: code in a script element"
            );
        }
    }
    // The start-up module Trunk writes inline is served as a file.
    let r = s.http.get(s.url("/portico-boot.js")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/javascript");
    assert_eq!(header(&r, "cache-control"), "no-cache");
    assert!(r.text().await.unwrap().contains("init("));
    // An authorize error page is the UI too.
    let r = s.authorize(&[("client_id", "nobody")], None).await;
    assert_eq!(r.status(), 400);
    assert_eq!(header(&r, "content-security-policy"), UI_CSP);
}

async fn every_answer_refuses_framing_and_referrers(db: Db) {
    let s = start(db).await;
    let answers = vec![
        s.http.get(s.url("/login")).send().await.unwrap(),
        s.http
            .get(s.url("/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap(),
        s.http.get(s.url("/api/ui/session")).send().await.unwrap(),
        s.authorize(&[("client_id", "web")], None).await,
        s.token(
            &[("grant_type", "client_credentials")],
            Some(("machine", MACHINE_SECRET)),
        )
        .await,
        s.http.get(s.url("/healthz")).send().await.unwrap(),
    ];
    for r in &answers {
        assert_eq!(header(r, "x-frame-options"), "DENY", "{}", r.url());
        assert_eq!(header(r, "referrer-policy"), "no-referrer", "{}", r.url());
        assert_eq!(
            header(r, "x-content-type-options"),
            "nosniff",
            "{}",
            r.url()
        );
        assert!(
            header(r, "content-security-policy").contains("frame-ancestors 'none'"),
            "{}",
            r.url()
        );
        assert!(r.headers().get("strict-transport-security").is_none());
    }
    // The form_post page keeps its own, tighter policy.
    let r = s
        .authorize(
            &[
                ("client_id", "web"),
                ("redirect_uri", CB),
                ("response_type", "code"),
                ("response_mode", "form_post"),
                ("scope", "openid"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
                ("prompt", "none"),
            ],
            None,
        )
        .await;
    assert!(
        header(&r, "content-security-policy")
            .starts_with("default-src 'none'; script-src 'sha256-")
    );
    assert_eq!(header(&r, "x-frame-options"), "DENY");
}

async fn hsts_only_when_the_issuer_is_https(db: Db) {
    let (url, _guard) = fresh_database(db).await;
    let s = start_instance(&url, "https://id.example.test").await;
    for path in ["/login", "/.well-known/openid-configuration"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(
            header(&r, "strict-transport-security"),
            "max-age=31536000; includeSubDomains"
        );
    }
}

async fn authorize_and_token_answers_are_never_cached(db: Db) {
    let s = start(db).await;
    let params = [
        ("client_id", "web"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid offline_access"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    // To the login screen, the code redirect, an error page, an error
    // redirect.
    let to_login = s.authorize(&params, None).await;
    let (_, cookie) = s.login_flow(&params).await;
    let with_code = s.authorize(&params, Some(&cookie)).await;
    let error_page = s.authorize(&[("client_id", "nobody")], None).await;
    let mut bad_scope = params.to_vec();
    bad_scope[3] = ("scope", "openid nonsense");
    let error_redirect = s.authorize(&bad_scope, None).await;
    for r in [&to_login, &with_code, &error_page, &error_redirect] {
        assert_eq!(header(r, "cache-control"), "no-store", "{}", r.url());
        assert_eq!(header(r, "pragma"), "no-cache");
    }
    let code = query_of(&location(with_code.headers()))["code"].clone();
    let token = s
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
            Some(("web", WEB_SECRET)),
        )
        .await;
    assert_eq!(token.status(), 200);
    let failed = s
        .token(
            &[("grant_type", "authorization_code"), ("code", &code)],
            Some(("web", WEB_SECRET)),
        )
        .await;
    assert_eq!(failed.status(), 400);
    for r in [&token, &failed] {
        assert_eq!(header(r, "cache-control"), "no-store");
    }
}

async fn oversized_bodies_get_413_and_long_targets_414(db: Db) {
    let s = start(db).await;
    let big = "x".repeat(65 * 1024);
    let r = s
        .token(
            &[("grant_type", "client_credentials"), ("padding", &big)],
            Some(("machine", MACHINE_SECRET)),
        )
        .await;
    assert_eq!(r.status(), 413);
    let r = s
        .ui_post("/api/ui/login", json!({"email": EMAIL, "password": big}))
        .await;
    assert_eq!(r.status(), 413);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "body_too_large"
    );
    // Just under the limit is still read (and refused for what it says).
    let r = s
        .token(
            &[
                ("grant_type", "client_credentials"),
                ("padding", &big[..60 * 1024]),
            ],
            Some(("machine", MACHINE_SECRET)),
        )
        .await;
    assert_eq!(r.status(), 200);

    let long = "a".repeat(9 * 1024);
    let r = s
        .authorize(&[("client_id", "web"), ("state", &long)], None)
        .await;
    assert_eq!(r.status(), 414);
    assert!(r.text().await.unwrap().contains("PAR"));
    let r = s
        .authorize(&[("client_id", "web"), ("state", &long[..7 * 1024])], None)
        .await;
    assert_ne!(r.status(), 414);
}

async fn a_client_that_never_finishes_its_headers_is_cut_off(db: Db) {
    let s = start(db).await;
    let mut tcp = tokio::net::TcpStream::connect(s.url("").trim_start_matches("http://"))
        .await
        .unwrap();
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    // The server's deadline is 10 seconds; give it twice that.
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(20), tcp.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection was still open after 20 s");
    assert!(
        !String::from_utf8_lossy(&buf).contains("200 OK"),
        "the unfinished request was not served"
    );
}

async fn files_without_a_content_hash_are_revalidated(db: Db) {
    let s = start(db).await;
    let r = s
        .http
        .get(s.url("/public/webauthn.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "dist/public holds the passkey glue");
    assert_eq!(header(&r, "cache-control"), "no-cache");
    assert!(header(&r, "content-type").contains("javascript"));
    // Trunk's hashed files are left to the browser's default.
    let wasm = std::fs::read_dir(ui_dir())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .find(|n| n.ends_with(".wasm"))
        .unwrap();
    let r = s.http.get(s.url(&format!("/{wasm}"))).send().await.unwrap();
    assert!(r.headers().get("cache-control").is_none());
}

async fn ui_assets_go_out_compressed_when_the_browser_accepts_it(db: Db) {
    let s = start(db).await;
    let dist = ui_dir();
    let wasm = std::fs::read_dir(&dist)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .find(|n| n.ends_with(".wasm"))
        .expect("dist/ holds the UI's wasm (scripts/build-ui.sh)");
    let raw = std::fs::read(dist.join(&wasm)).unwrap();
    let get = |accept: &'static str| {
        s.http
            .get(s.url(&format!("/{wasm}")))
            .header("accept-encoding", accept)
            .send()
    };
    for (accept, encoding, file) in [
        ("gzip, deflate, br", "br", format!("{wasm}.br")),
        ("gzip", "gzip", format!("{wasm}.gz")),
    ] {
        let r = get(accept).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "content-encoding"), encoding);
        assert_eq!(header(&r, "content-type"), "application/wasm");
        let body = r.bytes().await.unwrap();
        assert_eq!(body.as_ref(), std::fs::read(dist.join(file)).unwrap());
        assert!(body.len() * 2 < raw.len(), "{encoding} is not smaller");
    }
    // A browser that accepts neither gets the file itself.
    let r = get("identity").await.unwrap();
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.bytes().await.unwrap().as_ref(), raw.as_slice());
}

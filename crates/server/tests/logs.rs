//! Issue 7: secrets, codes, tokens and passwords never reach the logs,
//! even at TRACE. Its own binary: a global subscriber (scoped ones miss
//! what other tests' threads cached as disabled).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::json;

/// Everything the server logs at TRACE, from this test's thread (the
/// runtime is single-threaded, so the server's tasks run here too).
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One test, so this binary's global subscriber sees nothing else: both
/// backends, one after the other.
/// Both formats at once, each through the server's own layer
/// (`portico_server::logging`), as `[server] log_format` picks them.
#[tokio::test]
async fn secrets_codes_and_tokens_never_reach_the_logs() {
    use portico_server::config::LogFormat;
    use portico_server::logging::layer;
    use tracing_subscriber::layer::SubscriberExt;
    let text = Captured::default();
    let json = Captured::default();
    let writer = |c: &Captured| {
        let c = c.clone();
        move || c.clone()
    };
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::EnvFilter::new("trace,reqwest=off"))
        .with(layer(LogFormat::Text, writer(&text)))
        .with(layer(LogFormat::Json, writer(&json)));
    tracing::subscriber::set_global_default(subscriber).unwrap();
    logs_hold_no_secrets(Db::Sqlite, &text, &json).await;
    if portico_store::testing::pg_enabled("secrets_codes_and_tokens_never_reach_the_logs") {
        logs_hold_no_secrets(Db::Postgres, &text, &json).await;
    }
}

async fn logs_hold_no_secrets(db: Db, text_logs: &Captured, json_logs: &Captured) {
    text_logs.0.lock().unwrap().clear();
    json_logs.0.lock().unwrap().clear();

    let sink = common::smtp::SmtpSink::start().await;
    let s = start_with(db, &sink.config()).await;
    let mut secrets: Vec<String> = vec![
        PASSWORD.into(),
        WEB_SECRET.into(),
        LEGACY_SECRET.into(),
        VERIFIER.into(),
    ];
    let params = [
        ("client_id", "web"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid offline_access"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
        ("nonce", "n-secret-nonce"),
    ];
    let (to_app, cookie) = s.login_flow(&params).await;
    let code = query_of(&to_app)["code"].clone();
    let t: serde_json::Value = s
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
    let refresh = t["refresh_token"].as_str().unwrap().to_owned();
    let access = t["access_token"].as_str().unwrap().to_owned();
    let id_token = t["id_token"].as_str().unwrap().to_owned();
    assert_eq!(s.userinfo(&access).await.status(), 200);
    let t2: serde_json::Value = s
        .token(
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            Some(("web", WEB_SECRET)),
        )
        .await
        .json()
        .await
        .unwrap();
    let second_refresh = t2["refresh_token"].as_str().unwrap().to_owned();
    // Replay the code: logged as a replay, and the grant dies.
    s.token(
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ],
        Some(("web", WEB_SECRET)),
    )
    .await;
    // Failures log too: a wrong password, a wrong secret, the password grant.
    s.ui_post(
        "/api/ui/login",
        json!({"email": EMAIL, "password": "wrong-password-zzz"}),
    )
    .await;
    s.token(
        &[("grant_type", "client_credentials")],
        Some(("machine", "wrong-machine-secret-zzz")),
    )
    .await;
    s.token(
        &[
            ("grant_type", "password"),
            ("username", EMAIL),
            ("password", PASSWORD),
            ("scope", "openid"),
        ],
        Some(("legacy", LEGACY_SECRET)),
    )
    .await;
    s.http
        .post(s.url("/oauth2/revoke"))
        .basic_auth("web", Some(WEB_SECRET))
        .form(&[("token", &second_refresh)])
        .send()
        .await
        .unwrap();
    // Mail: the reset link's token and the new password.
    let r = s
        .ui_post("/api/ui/password-reset", json!({ "email": EMAIL }))
        .await;
    assert_eq!(r.status(), 200);
    let mail = &sink.wait_for(1, std::time::Duration::from_secs(15)).await[0];
    let link = mail.link(&format!("{}/reset-password?token=", s.issuer));
    let reset_token = link
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let r = s
        .ui_post(
            "/api/ui/password-reset/complete",
            json!({ "token": reset_token, "password": "reset-new-password-zzz" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    secrets.extend([
        reset_token,
        "reset-new-password-zzz".into(),
        code,
        refresh,
        second_refresh,
        access,
        id_token,
        "wrong-password-zzz".into(),
        "wrong-machine-secret-zzz".into(),
        cookie.split_once('=').unwrap().1.to_owned(),
    ]);
    for logs in [text_logs, json_logs] {
        let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
        // The capture works: requests and failures are there.
        assert!(text.contains("/oauth2/token"), "{text}");
        assert!(text.contains("client authentication failed"), "{text}");
        assert!(text.contains("mail sent"), "{text}");
        for secret in &secrets {
            assert!(!secret.is_empty());
            assert!(!text.contains(secret.as_str()), "{secret} is in the logs");
        }
    }
    // JSON: one object per line, and one access line per request with
    // its id, route, status, latency and client.
    let json = String::from_utf8(json_logs.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let token_line = lines
        .iter()
        .find(|l| {
            l["fields"]["message"] == "request"
                && l["fields"]["route"] == "/oauth2/token"
                && l["fields"]["client_id"] == "web"
                && l["fields"]["status"] == 200
        })
        .unwrap_or_else(|| panic!("no access line for the code exchange in {json}"));
    let id = token_line["fields"]["request_id"].as_str().unwrap();
    assert!(!id.is_empty());
    assert!(token_line["fields"]["latency_us"].as_u64().is_some());
    // Events inside the request carry its id (the span).
    assert!(
        lines
            .iter()
            .any(|l| l["span"]["request_id"] == id && l["fields"]["message"] != "request"),
        "no event of that request carries its id"
    );
}

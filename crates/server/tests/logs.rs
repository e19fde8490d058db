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
#[tokio::test]
async fn secrets_codes_and_tokens_never_reach_the_logs() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("trace,reqwest=off")
        .with_ansi(false)
        .with_writer({
            let logs = logs.clone();
            move || logs.clone()
        })
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    logs_hold_no_secrets(Db::Sqlite, &logs).await;
    if portico_store::testing::pg_enabled("secrets_codes_and_tokens_never_reach_the_logs") {
        logs_hold_no_secrets(Db::Postgres, &logs).await;
    }
}

async fn logs_hold_no_secrets(db: Db, logs: &Captured) {
    logs.0.lock().unwrap().clear();

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

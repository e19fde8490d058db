//! The `portico` binary: start-up errors, migrations, entrypoints and the
//! client commands.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::Value;
use std::process::Command;

on_both_backends!(
    disabling_a_client_with_the_cli_stops_it_and_kills_its_tokens,
    a_client_dropped_from_the_config_is_disabled_at_the_next_start,
    the_admin_role_is_given_with_the_cli_and_the_config_leaves_it_alone,
);

fn portico() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_portico"));
    c.env_remove("PORTICO_DATABASE_URL")
        .env_remove("PORTICO_CONFIG")
        .env("RUST_LOG", "error");
    c
}

/// Run `portico` and return (exit code, stderr).
fn run(c: &mut Command) -> (i32, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_one_clean_line(stderr: &str) {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one readable line, got: {stderr}");
    assert!(lines[0].starts_with("portico: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unreachable_database_is_one_line_and_a_failure_exit() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("portico.toml");
    std::fs::write(&cfg, "[database]\nacquire_timeout_secs = 1\n").unwrap();
    let (code, err) = run(portico().arg("--config").arg(&cfg).args([
        "--database-url",
        "postgres://postgres:hunter2@127.0.0.1:1/portico",
        "serve",
        "--bind",
        "127.0.0.1:0",
    ]));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
    assert!(err.contains("cannot connect to PostgreSQL"), "{err}");
    assert!(
        !err.contains("hunter2"),
        "the password must not be printed: {err}"
    );
}

#[test]
fn a_malformed_database_url_is_one_line_and_a_failure_exit() {
    let (code, err) =
        run(portico().args(["--database-url", "postgres://u:hunter2@[::1", "migrate"]));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
    assert!(err.contains("not valid"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn a_bad_config_file_is_one_line_and_a_failure_exit() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("portico.toml");
    std::fs::write(&cfg, "[database]\nmax_connections = 0\n").unwrap();
    let db = dir.path().join("p.db");
    let (code, err) = run(portico()
        .arg("--config")
        .arg(&cfg)
        .arg("--database-url")
        .arg(&db)
        .args(["serve", "--bind", "127.0.0.1:0"]));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
    assert!(err.contains("max_connections"), "{err}");
}

#[test]
fn migrate_alone_then_serve_without_migrating() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let out = portico()
        .arg("--database-url")
        .arg(&db)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));
    // Migrating again is a no-op.
    assert!(
        portico()
            .arg("--database-url")
            .arg(&db)
            .arg("migrate")
            .output()
            .unwrap()
            .status
            .success()
    );

    // serve --no-migrate starts on the migrated database (it is stopped by
    // the test once it listens).
    let mut child = portico()
        .arg("--database-url")
        .arg(&db)
        .args(["serve", "--no-migrate", "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(line.contains("listening on http://127.0.0.1:"), "{line}");
}

#[test]
fn serve_without_migrations_on_an_empty_database_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("empty.db");
    let (code, err) = run(portico().arg("--database-url").arg(&db).args([
        "serve",
        "--no-migrate",
        "--bind",
        "127.0.0.1:0",
    ]));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
}

const GOOD_ENTRYPOINT: &str = r##"
id = "garden"
display_name = "Garden Centre"
x_methods = ["login", "sign_up"]
default_locale = "es"
[sign_up]
birthdate = "required"
[theme]
primary = "#166534"
logo_url = "https://garden.example/logo.svg"
[theme.texts.es]
title = "Bienvenido al vivero"
"##;

#[test]
fn an_unreadable_theme_is_refused_at_save_with_the_pair_and_the_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "id = \"pale\"\ndisplay_name = \"Pale\"\n[theme]\nprimary = \"#a5f3fc\"\nradius = \"huge\"\n",
    )
    .unwrap();
    let (code, err) = run(portico().args(["entrypoint", "check"]).arg(&file));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
    assert!(err.contains("entrypoint pale"), "{err}");
    assert!(
        err.contains("on_primary #ffffff on primary #a5f3fc has a contrast of"),
        "{err}"
    );
    assert!(err.contains("WCAG AA needs at least 4.5:1"), "{err}");
    assert!(err.contains("theme.radius \"huge\""), "{err}");

    // The same theme in the config stops the server before it listens.
    let db = dir.path().join("p.db");
    let cfg = dir.path().join("portico.toml");
    std::fs::write(
        &cfg,
        "[[entrypoints]]\nid = \"pale\"\ndisplay_name = \"Pale\"\n[entrypoints.theme]\ntext = \"#999999\"\n",
    )
    .unwrap();
    let (code, err) = run(portico()
        .arg("--config")
        .arg(&cfg)
        .arg("--database-url")
        .arg(&db)
        .args(["serve", "--bind", "127.0.0.1:0"]));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
    assert!(err.contains("text #999999 on surface #ffffff"), "{err}");
}

#[test]
fn entrypoints_are_saved_listed_and_shown_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let file = dir.path().join("garden.toml");
    std::fs::write(&file, GOOD_ENTRYPOINT).unwrap();
    let ok = |c: &mut Command| {
        let out = c.arg("--database-url").arg(&db).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(
        ok(portico().args(["entrypoint", "put"]).arg(&file)).contains("entrypoint garden saved")
    );
    assert_eq!(
        ok(portico().args(["entrypoint", "list"])),
        "garden\tGarden Centre\n"
    );
    let shown: serde_json::Value =
        serde_json::from_str(&ok(portico().args(["entrypoint", "show", "garden"]))).unwrap();
    assert_eq!(shown["theme"]["primary"], "#166534");
    assert_eq!(shown["sign_up"]["birthdate"], "required");
    assert_eq!(shown["x_methods"], serde_json::json!(["login", "sign_up"]));
    // A typo in a key is an error, not silently ignored.
    std::fs::write(&file, GOOD_ENTRYPOINT.replace("primary =", "primry =")).unwrap();
    let (code, err) = run(portico()
        .arg("--database-url")
        .arg(&db)
        .args(["entrypoint", "put"])
        .arg(&file));
    assert_ne!(code, 0);
    assert!(err.contains("primry"), "{err}");
}

const OPS_SECRET: &str = "ops-secret-ops-secret-ops-secret-ops-secret-01";

/// A client with both a user grant (password, refresh) and
/// client_credentials, beside the usual test clients.
const OPS: &str = r#"
[[clients]]
id = "ops"
secret = "ops-secret-ops-secret-ops-secret-ops-secret-01"
grant_types = ["password", "refresh_token", "client_credentials"]
response_types = []
scopes = ["openid", "offline_access", "api:read"]
"#;

/// `portico --database-url URL ARGS...` from an empty directory (no
/// portico.toml): (success, stdout, stderr).
fn cli(url: &str, args: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = portico()
        .current_dir(dir.path())
        .args(["--database-url", url])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn cli_ok(url: &str, args: &[&str]) -> String {
    let (ok, out, err) = cli(url, args);
    assert!(ok, "portico {args:?}: {err}");
    out
}

/// The audit entries about a client: (event, detail).
fn audit_of(url: &str, client: &str) -> Vec<(String, String)> {
    cli_ok(url, &["audit", "--client", client, "--json"])
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                v["event"].as_str().unwrap().to_owned(),
                v["detail"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn password_grant(s: &TestServer) -> Value {
    let r = s
        .token(
            &[
                ("grant_type", "password"),
                ("username", EMAIL),
                ("password", PASSWORD),
                ("scope", "openid offline_access"),
            ],
            Some(("ops", OPS_SECRET)),
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn client_credentials(s: &TestServer) -> reqwest::Response {
    s.token(
        &[("grant_type", "client_credentials"), ("scope", "api:read")],
        Some(("ops", OPS_SECRET)),
    )
    .await
}

async fn refresh(s: &TestServer, rt: &str) -> reqwest::Response {
    s.token(
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
        Some(("ops", OPS_SECRET)),
    )
    .await
}

async fn error_of(r: reqwest::Response) -> (u16, String) {
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    (status, v["error"].as_str().unwrap_or_default().to_owned())
}

/// Whether a resource server (machine) sees the access token as active.
async fn active(s: &TestServer, at: &str) -> bool {
    let v: Value = s
        .http
        .post(s.url("/oauth2/introspect"))
        .basic_auth("machine", Some(MACHINE_SECRET))
        .form(&[("token", at)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["active"] == true
}

/// Past the client cache: what the CLI changed shows on a running server.
fn past_the_client_cache(s: &TestServer) {
    s.clock
        .advance(portico_core::ProviderConfig::new("x").client_cache_ttl);
}

async fn disabling_a_client_with_the_cli_stops_it_and_kills_its_tokens(db: Db) {
    let s = start_with(db, OPS).await;
    let url = s.database_url.clone();
    let user = password_grant(&s).await;
    let rt = user["refresh_token"].as_str().unwrap();
    let user_at = user["access_token"].as_str().unwrap();
    let r = client_credentials(&s).await;
    assert_eq!(r.status(), 200);
    let cc: Value = r.json().await.unwrap();
    let cc_at = cc["access_token"].as_str().unwrap();
    assert!(active(&s, cc_at).await && active(&s, user_at).await);

    let out = cli_ok(&url, &["client", "disable", "ops"]);
    assert!(
        out.contains("client ops disabled, 1 grant(s) revoked"),
        "{out}"
    );
    past_the_client_cache(&s);
    // The client is refused as if unknown, at every step.
    let invalid_client = (401, "invalid_client".to_owned());
    assert_eq!(error_of(client_credentials(&s).await).await, invalid_client);
    assert_eq!(error_of(refresh(&s, rt).await).await, invalid_client);
    // Its tokens are dead: the user's (grant revoked) and its own.
    assert!(!active(&s, user_at).await);
    assert!(!active(&s, cc_at).await);
    assert_eq!(s.userinfo(user_at).await.status(), 401);
    let disabled = (
        "client.disabled".to_owned(),
        "disabled with portico client disable; 1 grant(s) revoked".to_owned(),
    );
    assert!(audit_of(&url, "ops").contains(&disabled));
    assert!(cli_ok(&url, &["client", "list"]).contains("ops\tdisabled\tconfig\tops\n"));
    assert!(cli_ok(&url, &["client", "disable", "ops"]).contains("already disabled"));

    // A restart with the same config does not undo the admin's disable.
    let s2 = start_instance_with(&url, &s.issuer, OPS).await;
    assert_eq!(
        error_of(client_credentials(&s2).await).await,
        invalid_client
    );

    // Enabled: the client works again, its old refresh token stays revoked.
    let out = cli_ok(&url, &["client", "enable", "ops"]);
    assert!(out.contains("client ops enabled"), "{out}");
    past_the_client_cache(&s2);
    assert_eq!(client_credentials(&s2).await.status(), 200);
    assert_eq!(
        error_of(refresh(&s2, rt).await).await,
        (400, "invalid_grant".into())
    );
    assert!(!active(&s2, user_at).await, "the grant stays revoked");
    assert!(!active(&s2, cc_at).await, "old access tokens stay dead");
    let fresh = password_grant(&s2).await;
    assert_eq!(
        refresh(&s2, fresh["refresh_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    assert!(
        audit_of(&url, "ops")
            .iter()
            .any(|(e, _)| e == "client.enabled")
    );

    // Deleted: gone, with its grants; a second delete finds nothing.
    let out = cli_ok(&url, &["client", "delete", "ops"]);
    assert!(
        out.contains("client ops deleted, 1 grant(s) revoked"),
        "{out}"
    );
    past_the_client_cache(&s2);
    assert_eq!(
        error_of(client_credentials(&s2).await).await,
        invalid_client
    );
    assert!(!cli_ok(&url, &["client", "list"]).contains("ops"));
    assert!(
        audit_of(&url, "ops")
            .iter()
            .any(|(e, _)| e == "client.deleted")
    );
    let (ok, _, err) = cli(&url, &["client", "delete", "ops"]);
    assert!(!ok);
    assert_eq!(err.trim(), "portico: no client ops");
    let (ok, _, err) = cli(&url, &["client", "enable", "nope"]);
    assert!(!ok && err.contains("no client nope"), "{err}");
}

async fn a_client_dropped_from_the_config_is_disabled_at_the_next_start(db: Db) {
    let s = start_with(db, OPS).await;
    let url = s.database_url.clone();
    let user = password_grant(&s).await;
    let rt = user["refresh_token"].as_str().unwrap();
    s.running.task.abort();

    // The file no longer lists ops: disabled at start, its grants revoked.
    let s2 = start_instance(&url, &s.issuer).await;
    assert_eq!(
        error_of(client_credentials(&s2).await).await,
        (401, "invalid_client".into())
    );
    assert_eq!(
        error_of(refresh(&s2, rt).await).await,
        (401, "invalid_client".into())
    );
    let disabled = (
        "client.disabled".to_owned(),
        "no longer in the config file; 1 grant(s) revoked".to_owned(),
    );
    assert!(audit_of(&url, "ops").contains(&disabled));
    assert!(
        cli_ok(&url, &["client", "list"])
            .contains("ops\tdisabled (not in the config file)\tconfig\t")
    );
    // Clients the CLI or the demo made are not the file's to disable.
    assert!(cli_ok(&url, &["client", "list"]).contains("web\tenabled\tconfig\t"));
    s2.running.task.abort();

    // Listed again: enabled, with nothing of what it had before.
    let s3 = start_instance_with(&url, &s.issuer, OPS).await;
    assert_eq!(client_credentials(&s3).await.status(), 200);
    assert_eq!(
        error_of(refresh(&s3, rt).await).await,
        (400, "invalid_grant".into())
    );
    assert!(
        audit_of(&url, "ops")
            .iter()
            .any(|(e, _)| e == "client.enabled")
    );
}

/// The disable at start is said in the server's log, not only in the audit
/// log; a server started without a config file disables nothing.
#[test]
fn dropping_a_client_from_the_config_logs_that_it_is_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let db_url = db.to_str().unwrap();
    let cfg = dir.path().join("portico.toml");
    let elsewhere = tempfile::tempdir().unwrap();
    // Serve (with the config file or without any) until it listens; return
    // everything it printed before.
    let serve = |with_config: bool| {
        let mut c = portico();
        c.current_dir(elsewhere.path()).env("RUST_LOG", "warn");
        if with_config {
            c.arg("--config").arg(&cfg);
        }
        let mut child = c
            .arg("--database-url")
            .arg(&db)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut printed = String::new();
        loop {
            let mut line = String::new();
            if std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() == 0 {
                break;
            }
            printed.push_str(&line);
            if line.contains("listening on") {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        printed
    };
    std::fs::write(&cfg, OPS).unwrap();
    let first = serve(true);
    assert!(first.contains("listening on"), "{first}");
    assert!(!first.contains("disabled"), "{first}");
    // Started without any config file (say, from the wrong directory), the
    // server leaves the file's clients alone.
    let bare = serve(false);
    assert!(!bare.contains("disabled"), "{bare}");
    assert!(cli_ok(db_url, &["client", "list"]).contains("ops\tenabled\tconfig\t"));
    std::fs::write(&cfg, "").unwrap();
    let second = serve(true);
    let line = second
        .lines()
        .find(|l| l.contains("no longer in the config file"))
        .unwrap_or_else(|| panic!("no log line: {second}"));
    assert!(line.contains("WARN") && line.contains("ops"), "{line}");
    assert!(cli_ok(db_url, &["client", "list"]).contains("ops\tdisabled (not in the config file)"));
}

/// A served `portico`, SIGKILLed when dropped (even when a test fails).
struct Serving(std::process::Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Serve `portico` as its own process; returns it and its base URL.
fn spawn_serving(cfg: &std::path::Path, db: &std::path::Path) -> (Serving, String) {
    let mut serving = Serving(
        portico()
            .arg("--config")
            .arg(cfg)
            .arg("--database-url")
            .arg(db)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stdout = std::io::BufReader::new(serving.0.stdout.take().unwrap());
    loop {
        let mut line = String::new();
        assert!(std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0);
        if let Some(at) = line.find("listening on ") {
            let rest = &line[at + "listening on ".len()..];
            let base = rest.split_whitespace().next().unwrap().to_owned();
            return (serving, base);
        }
    }
}

/// Issue 17: a mail acknowledged before `kill -9` goes out exactly once
/// after the restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_mail_goes_out_once_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let cfg = dir.path().join("portico.toml");
    let users = "[[users]]\nemail = \"alice@example.com\"\nname = \"Alice\"\npassword = \"correct horse battery\"\n";
    // First life: the relay is down, so the mail stays queued.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = closed.local_addr().unwrap().port();
    drop(closed);
    std::fs::write(
        &cfg,
        format!("{users}[email]\nsmtp_url = \"smtp://127.0.0.1:{dead_port}\"\nfrom = \"Acme <no-reply@acme.example>\"\n"),
    )
    .unwrap();
    let (mut child, base) = spawn_serving(&cfg, &db);
    let r = reqwest::Client::new()
        .post(format!("{base}/api/ui/password-reset"))
        .header("x-portico-csrf", "1")
        .json(&serde_json::json!({ "email": "alice@example.com" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    child.0.kill().unwrap(); // SIGKILL: no shutdown of any kind.
    child.0.wait().unwrap();
    // Second life, with a relay.
    let sink = common::smtp::SmtpSink::start().await;
    std::fs::write(&cfg, format!("{users}{}", sink.config())).unwrap();
    let (child, _) = spawn_serving(&cfg, &db);
    // The first life's claim (if it made one before dying) holds the mail
    // for its lease (60 s); a refused connection it recorded makes the
    // retry due in 30 s.
    let got = sink.wait_for(1, std::time::Duration::from_secs(90)).await;
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    let all = sink.received();
    drop(child);
    assert_eq!(got[0].rcpt_to, ["alice@example.com"]);
    assert_eq!(all.len(), 1, "exactly once");
}

/// Issue 17: `portico user invite` makes the account and queues the mail;
/// the running server delivers it; the link sets the first password and
/// verifies the address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invited_user_chooses_a_first_password_through_the_mailed_link() {
    let sink = common::smtp::SmtpSink::start().await;
    let s = start_with(Db::Sqlite, &sink.config()).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("portico.toml");
    std::fs::write(&cfg, sink.config()).unwrap();
    let invite = |email: &str| {
        let out = portico()
            .arg("--config")
            .arg(&cfg)
            .arg("--database-url")
            .arg(&s.database_url)
            .args([
                "user", "invite", email, "--name", "Nia", "--issuer", &s.issuer,
            ])
            .output()
            .unwrap();
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code().unwrap_or(-1), printed)
    };
    let (code, out) = invite("nia@example.com");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("nia@example.com invited"), "{out}");
    let (code, out) = invite(EMAIL);
    assert_ne!(code, 0, "an existing account is not invited again");
    assert!(out.contains("already has an account"), "{out}");
    // Queued by another process: the server's sender finds it on its poll.
    let mails = sink.wait_for(1, std::time::Duration::from_secs(15)).await;
    assert_eq!(mails[0].rcpt_to, ["nia@example.com"]);
    let link = mails[0].link(&format!("{}/reset-password?token=", s.issuer));
    let token = link
        .split("token=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let r = s
        .ui_post(
            "/api/ui/password-reset/complete",
            serde_json::json!({ "token": token, "password": "nia's first password" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = s
        .ui_post(
            "/api/ui/login",
            serde_json::json!({ "email": "nia@example.com", "password": "nia's first password" }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let user = s
        .running
        .state
        .provider
        .store
        .user_by_email("nia@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(user.email_verified, "the link proved the address");
    // Without [email] the command refuses.
    std::fs::write(&cfg, "").unwrap();
    let (code, out) = invite("other@example.com");
    assert_ne!(code, 0);
    assert!(out.contains("needs [email]"), "{out}");
}

async fn the_admin_role_is_given_with_the_cli_and_the_config_leaves_it_alone(db: Db) {
    let s = start(db).await;
    let url = s.database_url.clone();
    let me = |s: &TestServer, cookie: String| {
        let req = s
            .http
            .get(s.url("/admin/api/v1/me"))
            .header("cookie", cookie);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(me(&s, s.sign_in().await).await, 403);
    let out = cli_ok(&url, &["user", "role", EMAIL, "admin"]);
    assert!(out.contains("is now admin"), "{out}");
    assert_eq!(me(&s, s.sign_in().await).await, 200);
    // The config file names no roles for this user: a restart keeps the
    // one given with the CLI.
    let again = start_on(&url).await;
    assert_eq!(me(&again, again.sign_in().await).await, 200);
    // The last administrator keeps the role; unknown roles are refused.
    let (ok, _, err) = cli(&url, &["user", "role", EMAIL, "admin", "--remove"]);
    assert!(!ok && err.contains("last administrator"), "{err}");
    let (ok, _, err) = cli(&url, &["user", "role", EMAIL, "root"]);
    assert!(!ok && err.contains("unknown role root"), "{err}");
    let (ok, _, err) = cli(&url, &["user", "role", "nobody@example.com", "admin"]);
    assert!(!ok && err.contains("no user"), "{err}");
    // Recorded once, as the CLI's doing.
    let lines = cli_ok(
        &url,
        &[
            "audit",
            "--event",
            "role.granted",
            "--actor",
            "cli",
            "--json",
        ],
    );
    let entries: Vec<Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 1, "{lines}");
    assert_eq!(entries[0]["detail"], "admin");
    assert_eq!(entries[0]["actor"], "cli");
}

// Operations (issue 20): backup and restore, config check, --version.

/// Save an entrypoint named `id` through the CLI.
fn put_entrypoint(db: &std::path::Path, id: &str) {
    let file = db.with_file_name(format!("{id}.toml"));
    std::fs::write(
        &file,
        format!("id = \"{id}\"\ndisplay_name = \"{id}\"\nx_methods = [\"login\"]\n"),
    )
    .unwrap();
    let out = portico()
        .arg("--database-url")
        .arg(db)
        .args(["entrypoint", "put"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn entrypoint_ids(db: &std::path::Path) -> Vec<String> {
    cli_ok(db.to_str().unwrap(), &["entrypoint", "list"])
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_owned())
        .collect()
}

/// A backup taken while a server serves the database and the CLI writes
/// to it holds what was written before it, and a consistent prefix of
/// what was being written during it; nothing written after.
#[test]
fn a_backup_taken_while_serving_restores_what_was_there() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    let cfg = dir.path().join("portico.toml");
    std::fs::write(&cfg, OPS).unwrap();
    let (_serving, _base) = spawn_serving(&cfg, &db);
    put_entrypoint(&db, "before");
    let writer = {
        let db = db.clone();
        std::thread::spawn(move || {
            for i in 0..12 {
                put_entrypoint(&db, &format!("busy-{i:02}"));
            }
        })
    };
    let backup = dir.path().join("backup.db");
    let out = cli_ok(db.to_str().unwrap(), &["backup", backup.to_str().unwrap()]);
    assert!(out.contains("backed up"), "{out}");
    writer.join().unwrap();
    put_entrypoint(&db, "after");

    let fresh = dir.path().join("fresh.db");
    let out = cli_ok(
        fresh.to_str().unwrap(),
        &["restore", backup.to_str().unwrap()],
    );
    assert!(
        out.contains("restored") && out.contains("1 clients"),
        "{out}"
    );
    let ids = entrypoint_ids(&fresh);
    assert!(ids.contains(&"before".to_owned()), "{ids:?}");
    assert!(!ids.contains(&"after".to_owned()), "{ids:?}");
    // The writes were one after the other: a snapshot has the first k.
    let busy: Vec<&String> = ids.iter().filter(|i| i.starts_with("busy-")).collect();
    let expected: Vec<String> = (0..busy.len()).map(|i| format!("busy-{i:02}")).collect();
    assert_eq!(
        busy,
        expected.iter().collect::<Vec<_>>(),
        "a consistent snapshot"
    );
    // The config's client came along.
    assert!(cli_ok(fresh.to_str().unwrap(), &["client", "list"]).contains("ops\tenabled"));
}

#[test]
fn a_backup_never_overwrites_and_postgresql_is_pointed_at_pg_dump() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    put_entrypoint(&db, "kept");
    let existing = dir.path().join("exists.db");
    std::fs::write(&existing, "precious").unwrap();
    let (code, err) = run(portico()
        .arg("--database-url")
        .arg(&db)
        .arg("backup")
        .arg(&existing));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
    assert!(err.contains("never overwrites"), "{err}");
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "precious");

    let (code, err) = run(portico()
        .args([
            "--database-url",
            "postgres://postgres:hunter2@127.0.0.1:1/p",
        ])
        .arg("backup")
        .arg(dir.path().join("pg.dump")));
    assert_ne!(code, 0);
    assert_one_clean_line(&err);
    assert!(err.contains("pg_dump -Fc"), "{err}");
    assert!(!dir.path().join("pg.dump").exists());
}

#[test]
fn a_restore_refuses_what_is_not_a_backup_and_leaves_the_database_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("live.db");
    put_entrypoint(&db, "kept");
    let before = std::fs::read(&db).unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(
        &junk,
        "this is not a database, it is a shopping list\n".repeat(200),
    )
    .unwrap();
    let missing = dir.path().join("missing.db");
    for bad in [&junk, &missing] {
        let (code, err) = run(portico()
            .arg("--database-url")
            .arg(&db)
            .arg("restore")
            .arg(bad));
        assert_ne!(code, 0);
        assert_one_clean_line(&err);
        assert!(err.contains("is not a Portico backup"), "{err}");
    }
    assert!(
        std::fs::read(&db).unwrap() == before,
        "the database changed"
    );
    assert_eq!(entrypoint_ids(&db), ["kept"]);
}

/// What `portico config check` printed: (exit code, stdout, stderr).
fn check(c: &mut Command) -> (i32, String, String) {
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn config_check_names_every_problem_with_its_key_and_opens_no_database() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("portico.toml");
    std::fs::write(
        &cfg,
        r#"
[server]
bind = "everywhere"
trusted_proxies = ["10.0.0.0/8", "the-load-balancer"]

[tokens]
access_token_ttl_secs = 0
refresh_token_ttl_secs = 3600

[[clients]]
id = "ok"
redirect_uris = ["https://app.example/cb"]

[[clients]]
id = "bad"
redirect_uris = []
"#,
    )
    .unwrap();
    let db = dir.path().join("never.db");
    let (code, out, err) = check(
        portico()
            .arg("--database-url")
            .arg(&db)
            .args(["config", "check"])
            .arg(&cfg),
    );
    assert_eq!(code, 1, "{err}");
    assert!(!out.contains("valid"), "{out}");
    for key in [
        "server.bind: ",
        "server.trusted_proxies[1]: ",
        "tokens.access_token_ttl_secs: must be at least 1",
        "clients[1].redirect_uris: ",
    ] {
        assert!(err.contains(key), "{key} in {err}");
    }
    assert!(err.contains("4 problems"), "{err}");
    assert!(!db.exists(), "config check opens no database");
    // serve stops at the same words.
    let (code, serve_err) = run(portico()
        .arg("--config")
        .arg(&cfg)
        .arg("--database-url")
        .arg(&db)
        .args(["serve", "--bind", "127.0.0.1:0"]));
    assert_ne!(code, 0);
    assert!(
        serve_err.contains("tokens.access_token_ttl_secs: must be at least 1"),
        "{serve_err}"
    );
}

#[test]
fn config_check_suggests_the_key_a_typo_meant() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("portico.toml");
    std::fs::write(
        &cfg,
        "[tokens]\nacess_token_ttl_secs = 60\n\n[[clients]]\nid = \"a\"\nredirect_uri = [\"https://a.example/cb\"]\n",
    )
    .unwrap();
    let (code, _, err) = check(portico().args(["config", "check"]).arg(&cfg));
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "tokens.acess_token_ttl_secs: unknown key; did you mean `access_token_ttl_secs`?"
        ),
        "{err}"
    );
    assert!(
        err.contains("clients[0].redirect_uri: unknown key; did you mean `redirect_uris`?"),
        "{err}"
    );
}

#[test]
fn config_check_passes_a_good_file_found_where_serve_finds_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("portico.toml"), OPS).unwrap();
    // ./portico.toml
    let (code, out, err) = check(portico().current_dir(dir.path()).args(["config", "check"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "portico: portico.toml is valid\n");
    // PORTICO_CONFIG, from anywhere.
    let elsewhere = tempfile::tempdir().unwrap();
    let (code, out, err) = check(
        portico()
            .current_dir(elsewhere.path())
            .env("PORTICO_CONFIG", dir.path().join("portico.toml"))
            .args(["config", "check"]),
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.ends_with("portico.toml is valid\n"), "{out}");
    // No file at all is a failure, not a pass.
    let (code, _, err) = check(
        portico()
            .current_dir(elsewhere.path())
            .args(["config", "check"]),
    );
    assert_eq!(code, 1);
    assert_one_clean_line(&err);
}

#[test]
fn version_names_the_release_and_the_git_revision() {
    let out = portico().arg("--version").output().unwrap();
    assert!(out.status.success());
    let line = String::from_utf8(out.stdout).unwrap();
    let prefix = format!("portico {} (rev ", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&prefix), "{line}");
    let rev = line
        .trim_end()
        .strip_prefix(&prefix)
        .and_then(|r| r.strip_suffix(')'))
        .unwrap();
    // Built from a git checkout (as here), it is the checkout's HEAD.
    let git = Command::new("git")
        .args([
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "rev-parse",
            "--short=12",
            "HEAD",
        ])
        .output();
    match git {
        Ok(g) if g.status.success() => {
            assert_eq!(rev, String::from_utf8(g.stdout).unwrap().trim(), "{line}")
        }
        _ => assert!(!rev.is_empty(), "{line}"),
    }
}

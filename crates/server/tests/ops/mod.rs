//! Issue 20: what the operator sees and relies on: metrics, request ids,
//! readiness, a lost database answered with 503 and recovered from, and a
//! graceful stop on SIGTERM.

use crate::common::*;
use crate::on_both_backends;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

on_both_backends!(
    metrics_count_requests_tokens_and_sign_ins_and_name_nobody,
    metrics_can_want_a_token_or_live_on_their_own_address,
    request_ids_are_echoed_and_taken_only_from_trusted_proxies,
    readiness_says_ready_when_serving_and_503_when_draining,
);

async fn machine_token(s: &TestServer) -> reqwest::Response {
    s.token(
        &[("grant_type", "client_credentials"), ("scope", "api:read")],
        Some(("machine", MACHINE_SECRET)),
    )
    .await
}

async fn scrape(s: &TestServer, path_base: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = s.http.get(format!("{path_base}/metrics"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// The value of the series whose line starts with `series ` (None: absent).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .map(|v| v.trim().parse().unwrap())
}

async fn metrics_count_requests_tokens_and_sign_ins_and_name_nobody(db: Db) {
    let s = start(db).await;
    assert_eq!(machine_token(&s).await.status(), 200);
    assert_eq!(machine_token(&s).await.status(), 200);
    let wrong = s
        .token(
            &[("grant_type", "client_credentials")],
            Some(("machine", "not-the-secret")),
        )
        .await;
    assert_eq!(wrong.status(), 401);
    let failed = s
        .ui_post(
            "/api/ui/login",
            serde_json::json!({"email": EMAIL, "password": "wrong password"}),
        )
        .await;
    assert_eq!(failed.status(), 401);
    s.sign_in().await;

    let r = scrape(&s, &s.base, None).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{:?}",
        r.headers()
    );
    let text = r.text().await.unwrap();
    let tokens = r#"portico_tokens_issued_total{grant="client_credentials",client="confidential"}"#;
    assert_eq!(value(&text, tokens), Some(2.0), "{text}");
    assert_eq!(
        value(
            &text,
            r#"portico_sign_ins_total{method="password",result="succeeded"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"portico_sign_ins_total{method="password",result="failed"}"#
        ),
        Some(1.0),
        "{text}"
    );
    let ok = r#"portico_http_requests_total{route="/oauth2/token",method="POST",status="200"}"#;
    let refused =
        r#"portico_http_requests_total{route="/oauth2/token",method="POST",status="401"}"#;
    assert_eq!(value(&text, ok), Some(2.0), "{text}");
    assert_eq!(value(&text, refused), Some(1.0), "{text}");
    assert!(text.contains(
        r#"portico_http_request_duration_seconds_count{route="/oauth2/token",method="POST"} 3"#
    ));
    assert_eq!(value(&text, "portico_db_up"), Some(1.0), "{text}");
    assert!(value(&text, "portico_db_pool_max_connections").unwrap() >= 1.0);
    assert!(text.contains("portico_build_info{version=\""), "{text}");
    // Nobody is named: no client id, no email, no user id as a label.
    let user = s
        .running
        .state
        .provider
        .store
        .user_by_email(EMAIL)
        .await
        .unwrap()
        .unwrap();
    for who in ["machine", EMAIL, user.id.as_str()] {
        assert!(!text.contains(&format!("\"{who}\"")), "{who} in {text}");
    }
}

async fn metrics_can_want_a_token_or_live_on_their_own_address(db: Db) {
    let secret = "metrics-token-metrics-token-0123456789";
    let s = start_with(
        db,
        &format!("[server]\nmetrics_token = \"{secret}\"\nmetrics_bind = \"127.0.0.1:0\"\n"),
    )
    .await;
    // Not on the main address any more.
    assert_eq!(scrape(&s, &s.base, Some(secret)).await.status(), 404);
    let own = format!("http://{}", s.running.metrics_addr.unwrap());
    let none = scrape(&s, &own, None).await;
    assert_eq!(none.status(), 401);
    assert!(none.headers().contains_key("www-authenticate"));
    assert_eq!(scrape(&s, &own, Some("wrong")).await.status(), 401);
    let r = scrape(&s, &own, Some(secret)).await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("portico_db_up 1"));
}

async fn request_ids_are_echoed_and_taken_only_from_trusted_proxies(db: Db) {
    let untrusted = start(db).await;
    let r = untrusted
        .http
        .get(untrusted.url("/healthz"))
        .header("x-request-id", "from-the-client")
        .send()
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_ne!(id, "from-the-client", "a stranger cannot set the id");
    let next = untrusted
        .http
        .get(untrusted.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_ne!(next.headers()["x-request-id"].to_str().unwrap(), id);

    let proxied = start_with(db, "[server]\ntrusted_proxies = [\"127.0.0.1\"]\n").await;
    let r = proxied
        .http
        .get(proxied.url("/healthz"))
        .header("x-request-id", "edge-4711")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "edge-4711");
    // Even a trusted proxy cannot put a line break in the log.
    let r = proxied
        .http
        .get(proxied.url("/healthz"))
        .header("x-request-id", "a b")
        .send()
        .await
        .unwrap();
    assert_ne!(r.headers()["x-request-id"], "a b");
}

async fn readiness_says_ready_when_serving_and_503_when_draining(db: Db) {
    use tower::ServiceExt;
    let s = start(db).await;
    let r = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"status": "ready", "database": "ok", "keys": "ok"})
    );
    // Draining: the listener stops, and the router (as a request under
    // way at that moment sees it) says 503.
    s.running.state.lifecycle().drain();
    let app = portico_server::router(s.running.state.clone(), &ui_dir(), true);
    let req = axum::http::Request::get("/readyz")
        .body(axum::body::Body::empty())
        .unwrap();
    let r = app.clone().oneshot(req).await.unwrap();
    assert_eq!(r.status(), 503);
    let req = axum::http::Request::get("/healthz")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.oneshot(req).await.unwrap().status(), 200);
    // New connections are refused once the listener has stopped.
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.http.get(s.url("/healthz")).send().await.is_ok() {
        assert!(Instant::now() < deadline, "still accepting after a drain");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A TCP relay to PostgreSQL that can be cut (every connection dropped,
/// new ones closed at once) and mended: a network that drops.
struct Relay {
    port: u16,
    up: std::sync::Arc<std::sync::atomic::AtomicBool>,
    conns: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn start(target: &str) -> Relay {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let conns = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let target = target.to_owned();
        tokio::spawn({
            let (up, conns) = (up.clone(), conns.clone());
            async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !up.load(Ordering::SeqCst) {
                        drop(inbound);
                        continue;
                    }
                    let target = target.clone();
                    let task = tokio::spawn(async move {
                        if let Ok(mut out) = tokio::net::TcpStream::connect(&target).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                        }
                    });
                    conns.lock().unwrap().push(task);
                }
            }
        });
        Relay { port, up, conns }
    }

    fn cut(&self) {
        self.up.store(false, std::sync::atomic::Ordering::SeqCst);
        for t in self.conns.lock().unwrap().drain(..) {
            t.abort();
        }
    }

    fn mend(&self) {
        self.up.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

async fn password_login(s: &TestServer) -> reqwest::Response {
    s.ui_post(
        "/api/ui/login",
        serde_json::json!({"email": EMAIL, "password": PASSWORD}),
    )
    .await
}

/// PostgreSQL out of reach: requests fail fast with 503 (never hanging
/// past the acquire timeout), readiness says so, and Portico recovers by
/// itself when the database is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_is_answered_with_503_and_recovered_from() {
    if !portico_store::testing::pg_enabled(
        "a_lost_database_is_answered_with_503_and_recovered_from",
    ) {
        return;
    }
    let direct = portico_store::testing::fresh_pg_database().await.unwrap();
    let mut url = url::Url::parse(&direct).unwrap();
    let target = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap_or(5432));
    let relay = Relay::start(&target).await;
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(relay.port)).unwrap();
    let s = start_instance_with(
        url.as_str(),
        "http://127.0.0.1:1",
        "[database]\nacquire_timeout_secs = 2\n\n[[clients]]\nid = \"bot\"\nsecret = \"bot-secret-bot-secret-bot-secret-bot-secret-01\"\ngrant_types = [\"client_credentials\"]\nscopes = [\"portico:admin\"]\n",
    )
    .await;
    assert_eq!(machine_token(&s).await.status(), 200);
    let bot: serde_json::Value = s
        .token(
            &[
                ("grant_type", "client_credentials"),
                ("scope", "portico:admin"),
            ],
            Some(("bot", "bot-secret-bot-secret-bot-secret-bot-secret-01")),
        )
        .await
        .json()
        .await
        .unwrap();
    let bot = bot["access_token"].as_str().unwrap().to_owned();
    let admin = |s: &TestServer| {
        s.http
            .get(s.url("/admin/api/v1/clients"))
            .bearer_auth(&bot)
            .send()
    };
    assert_eq!(admin(&s).await.unwrap().status(), 200);

    relay.cut();
    // A sign-in reads the account: the database is needed. (Signing a
    // client_credentials token is not: it may go on working.)
    let started = Instant::now();
    let r = password_login(&s).await;
    let took = started.elapsed();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "5");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    // The token endpoint's refusals are OAuth errors (RFC 6749 §5.2).
    let r = s
        .token(
            &[("grant_type", "refresh_token"), ("refresh_token", "x")],
            Some(("web", WEB_SECRET)),
        )
        .await;
    assert_eq!(r.status(), 503);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    // A good admin token is not called bad because its checks cannot run.
    let r = admin(&s).await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(!r.headers().contains_key("www-authenticate"));
    // A bound against hanging, far above the 2 s acquire timeout.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let ready = s.http.get(s.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 503);
    let ready: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(ready["database"], "unavailable");

    relay.mend();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let r = password_login(&s).await;
        if r.status() == 200 {
            break;
        }
        assert_eq!(r.status(), 503, "only 503 while recovering");
        assert!(Instant::now() < deadline, "did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        s.http.get(s.url("/readyz")).send().await.unwrap().status(),
        200
    );
}

/// `portico serve` on a fresh SQLite file; returns the child and its port.
fn serve(dir: &std::path::Path, config: &str) -> (std::process::Child, u16) {
    use std::io::BufRead;
    let cfg = dir.join("portico.toml");
    std::fs::write(&cfg, config).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_portico"))
        .env_remove("PORTICO_DATABASE_URL")
        .env("PORTICO_LOG", "warn")
        .arg("--config")
        .arg(&cfg)
        .arg("--database-url")
        .arg(dir.join("portico.db"))
        .args(["serve", "--bind", "127.0.0.1:0", "--ui-dir"])
        .arg(ui_dir())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let port = loop {
        let line = lines.next().expect("portico printed its address").unwrap();
        if let Some(rest) = line.strip_prefix("portico: listening on http://127.0.0.1:") {
            break rest.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    // Keep reading so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, port)
}

fn sigterm(child: &std::process::Child) {
    let ok = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Wait (bounded) for the child to exit; its exit code.
fn exit_code(child: &mut std::process::Child, within: Duration) -> i32 {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("portico did not stop within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// SIGTERM: no new connections, the request under way finishes and gets
/// its answer, and the process exits 0.
#[test]
fn sigterm_lets_the_request_under_way_finish_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port) = serve(dir.path(), "");
    let body = "grant_type=client_credentials&client_id=nobody";
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    // Headers and half the body: the request is under way.
    write!(
        conn,
        "POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    sigterm(&child);
    // The listener closes: new connections are refused.
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "still accepting after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "exited with a request under way"
    );
    conn.write_all(&body.as_bytes()[10..]).unwrap();
    let mut answer = String::new();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("invalid_client"), "{answer}");
    assert_eq!(exit_code(&mut child, Duration::from_secs(15)), 0);
}

/// A request that never finishes does not hold the stop past the grace.
#[test]
fn the_shutdown_grace_bounds_a_request_that_never_ends() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port) = serve(dir.path(), "[server]\nshutdown_grace_secs = 1\n");
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        conn,
        "POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant"
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    sigterm(&child);
    assert_eq!(exit_code(&mut child, Duration::from_secs(15)), 0);
}

async fn wrong_password(s: &TestServer) -> reqwest::Response {
    s.ui_post(
        "/api/ui/login",
        serde_json::json!({"email": EMAIL, "password": "not the password"}),
    )
    .await
}

/// A small tmpfs (needs root; the test says so and skips without it).
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir })
    }

    /// Write until the disk is full; the filler's path.
    fn fill(&self) -> std::path::PathBuf {
        let path = self.dir.path().join("filler");
        let mut f = std::fs::File::create(&path).unwrap();
        let chunk = vec![0u8; 16 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// SQLite on a full disk: writes are answered 503 (with a clear log
/// line, `database unavailable`), reads go on, nothing is corrupted, and
/// once there is room again everything works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_503_and_the_database_survives_it() {
    let Some(disk) = SmallDisk::mount("4M") else {
        eprintln!(
            "skipped: a_full_disk_is_503_and_the_database_survives_it needs to mount a tmpfs (root)"
        );
        return;
    };
    let db = disk.dir.path().join("portico.db");
    let s = start_on(db.to_str().unwrap()).await;
    assert_eq!(password_login(&s).await.status(), 200);
    let filler = disk.fill();
    // A failed sign-in must write (lockout counters, the audit log):
    // refused with 503, not 500.
    let mut refused = 0;
    for _ in 0..5 {
        let r = wrong_password(&s).await;
        assert!(
            r.status() == 503 || r.status() == 401,
            "a full disk is 503, got {}",
            r.status()
        );
        if r.status() == 503 {
            refused += 1;
        }
    }
    assert!(refused > 0, "no write was refused on a full disk");
    std::fs::remove_file(filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while wrong_password(&s).await.status() != 401 {
        assert!(
            Instant::now() < deadline,
            "no recovery after the disk had room"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(password_login(&s).await.status(), 200);
    // The file is sound.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    drop(s);
    let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(check, "ok");
}

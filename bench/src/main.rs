//! `portico-bench`: Portico against node-oidc-provider under the same load.
//!
//! Starts Portico (the binary given, SQLite in a fresh temporary directory)
//! and, beside it, node-oidc-provider (bench/node), both with the same
//! client, user and token format (ES256 JWT access tokens, ES256 id_tokens,
//! rotating refresh tokens). Drives each with wrk (bench/wrk.lua) for the
//! same duration and connection counts, one server at a time, all on
//! 127.0.0.1. Prints a markdown table: rate, p50, p99, peak RSS and the
//! ratio Portico/anchor; then the UI's first-load weight from dist/.
//!
//! `bench/run.sh` builds what it needs and runs this; `--smoke` is the
//! 1-second check the test suite runs.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Parser;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

type R<T> = Result<T, String>;

const CLIENT_ID: &str = "bench";
const CLIENT_SECRET: &str = "bench-secret-0123456789abcdefghijklmnopqrstuv";
const REDIRECT_URI: &str = "https://bench.example/cb";
const REDIRECT_URI_ENC: &str = "https%3A%2F%2Fbench.example%2Fcb";
const USER_EMAIL: &str = "bench@example.com";
const USER_PASSWORD: &str = "bench-password-0123";
/// RFC 7636 verifier; every authorize uses its S256 challenge.
const VERIFIER: &str = "portico-bench-verifier-0123456789abcdefghijklmnop";
/// Connections of the multi-connection scenarios.
const CONNS: u32 = 16;

#[derive(Parser)]
#[command(
    name = "portico-bench",
    about = "Portico against node-oidc-provider (see BENCHMARKS.md)"
)]
struct Args {
    /// The portico binary to measure (a release build).
    #[arg(long, default_value = "target/server-release/portico")]
    portico: PathBuf,
    /// Seconds of load per scenario.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Measure Portico alone (no node-oidc-provider).
    #[arg(long)]
    no_anchor: bool,
    /// One 1-second client_credentials run against Portico alone; exits
    /// non-zero on any error. What the test suite runs.
    #[arg(long)]
    smoke: bool,
    /// Only the scenarios whose names contain one of these (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The release build of the UI to weigh.
    #[arg(long, default_value = "dist")]
    dist: PathBuf,
    /// Also write the report (markdown) to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// What one wrk run printed (bench/wrk.lua's `done`).
#[derive(Deserialize, Debug, Clone, Copy)]
struct Wrk {
    requests: u64,
    duration_us: u64,
    p50_us: u64,
    p99_us: u64,
    non_2xx_3xx: u64,
    socket_errors: u64,
    ok: u64,
    bad: u64,
}

/// One server's result for one scenario.
#[derive(Debug, Clone, Copy)]
struct Measure {
    /// Requests (or round trips, or rotations) per second.
    rate: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    peak_rss_kb: u64,
    /// Share of the machine's CPU time the hypervisor gave to others during
    /// the run (`steal` in /proc/stat): on shared VMs it moves every number.
    steal_pct: f64,
}

struct Row {
    name: String,
    conns: u32,
    unit: &'static str,
    portico: Option<Measure>,
    anchor: Option<Measure>,
}

/// A server under test: where it listens, its pid, and its endpoint paths.
struct Server {
    label: &'static str,
    base: String,
    child: Child,
    token: &'static str,
    authorize: &'static str,
    introspect: &'static str,
    jwks: &'static str,
    /// Scopes of the round trip's authorize request.
    scope: &'static str,
    /// Extra authorize parameters to get a refresh token.
    offline: &'static str,
    /// Cookies of the SSO session, `a=b; c=d`.
    cookie: String,
}

impl Server {
    fn pid(&self) -> R<u32> {
        self.child
            .id()
            .ok_or_else(|| format!("{} exited", self.label))
    }
}

fn free_port() -> R<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

fn challenge() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

fn basic() -> String {
    let raw = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// (all, steal) CPU ticks of the machine so far, from /proc/stat.
fn cpu_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    (fields.iter().sum(), fields.get(7).copied().unwrap_or(0))
}

fn steal_since(before: (u64, u64)) -> f64 {
    let after = cpu_ticks();
    let all = after.0.saturating_sub(before.0).max(1);
    100.0 * after.1.saturating_sub(before.1) as f64 / all as f64
}

/// VmRSS and VmHWM (peak) of a process, in KiB.
fn rss_kb(pid: u32) -> R<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read /proc/{pid}/status: {e}"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Ok((field("VmRSS:"), field("VmHWM:")))
}

/// Reset VmHWM to the current RSS (Linux `clear_refs` value 5), so the peak
/// read after a scenario belongs to that scenario.
fn reset_peak(pid: u32) {
    // Best effort: without it the peak is since start, which only overstates.
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

async fn wait_ready(client: &reqwest::Client, url: &str, child: &mut Child) -> R<()> {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "the server exited ({status}) before {url} answered"
            ));
        }
        if let Ok(r) = client.get(url).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("{url} did not answer within 30 s"))
}

fn log_file(dir: &Path, name: &str) -> R<Stdio> {
    let f = std::fs::File::create(dir.join(name)).map_err(|e| e.to_string())?;
    Ok(Stdio::from(f))
}

async fn start_portico(bin: &Path, dir: &Path, http: &reqwest::Client) -> R<Server> {
    let port = free_port()?;
    let config = format!(
        r#"[[clients]]
id = "{CLIENT_ID}"
secret = "{CLIENT_SECRET}"
redirect_uris = ["{REDIRECT_URI}"]
grant_types = ["authorization_code", "refresh_token", "client_credentials"]
scopes = ["openid", "offline_access", "api"]
first_party = true
id_token_signed_response_alg = "ES256"
introspection = true

[[users]]
email = "{USER_EMAIL}"
name = "Bench User"
password = "{USER_PASSWORD}"
email_verified = true
"#
    );
    let config_path = dir.join("portico.toml");
    std::fs::write(&config_path, config).map_err(|e| e.to_string())?;
    let mut child = Command::new(bin)
        .arg("--config")
        .arg(&config_path)
        .arg("--database-url")
        .arg(dir.join("portico.db"))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .arg("--ui-dir")
        .arg(dir.join("no-ui"))
        .env("RUST_LOG", "warn")
        .stdout(log_file(dir, "portico.log")?)
        .stderr(log_file(dir, "portico.err")?)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(http, &format!("{base}/healthz"), &mut child).await?;
    // The SSO session: sign in through the UI's JSON API.
    let r = http
        .post(format!("{base}/api/ui/login"))
        .header("x-portico-csrf", "1")
        .header("content-type", "application/json")
        .body(serde_json::json!({ "email": USER_EMAIL, "password": USER_PASSWORD }).to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("Portico sign-in failed: {}", r.status()));
    }
    let mut jar = BTreeMap::new();
    keep_cookies(&mut jar, &r);
    Ok(Server {
        label: "Portico",
        base,
        child,
        token: "/oauth2/token",
        authorize: "/oauth2/authorize",
        introspect: "/oauth2/introspect",
        jwks: "/.well-known/jwks.json",
        scope: "openid%20api",
        offline: "",
        cookie: cookie_header(&jar),
    })
}

async fn start_node(dir: &Path, http: &reqwest::Client) -> R<Server> {
    let port = free_port()?;
    let node_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("node");
    if !node_dir.join("node_modules/oidc-provider").is_dir() {
        return Err(format!(
            "node-oidc-provider is not installed: run `npm install` in {} (bench/run.sh does)",
            node_dir.display()
        ));
    }
    let mut child = Command::new("node")
        .current_dir(&node_dir)
        .arg("provider.mjs")
        .args([&port.to_string(), CLIENT_ID, CLIENT_SECRET, REDIRECT_URI])
        .env("NODE_ENV", "production")
        .stdout(log_file(dir, "node.log")?)
        .stderr(log_file(dir, "node.err")?)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start node: {e}"))?;
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(
        http,
        &format!("{base}/.well-known/openid-configuration"),
        &mut child,
    )
    .await?;
    Ok(Server {
        label: "node-oidc-provider",
        base,
        child,
        token: "/token",
        authorize: "/auth",
        introspect: "/token/introspection",
        jwks: "/jwks",
        scope: "openid%20api",
        // node-oidc-provider drops offline_access unless consent is prompted.
        offline: "&prompt=consent",
        cookie: String::new(),
    })
}

fn keep_cookies(jar: &mut BTreeMap<String, String>, r: &reqwest::Response) {
    for v in r.headers().get_all("set-cookie") {
        if let Ok(s) = v.to_str()
            && let Some((name, value)) = s.split(';').next().and_then(|p| p.split_once('='))
        {
            jar.insert(name.trim().to_owned(), value.trim().to_owned());
        }
    }
}

fn cookie_header(jar: &BTreeMap<String, String>) -> String {
    jar.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn authorize_path(s: &Server, scope: &str, extra: &str) -> String {
    format!(
        "{}?client_id={CLIENT_ID}&response_type=code&redirect_uri={REDIRECT_URI_ENC}&scope={scope}&state=bench&nonce=bench&code_challenge={}&code_challenge_method=S256{extra}",
        s.authorize,
        challenge()
    )
}

fn token_body_prefix() -> String {
    format!(
        "grant_type=authorization_code&redirect_uri={REDIRECT_URI_ENC}&code_verifier={VERIFIER}&code="
    )
}

/// Follow an authorization request through redirects (and, for the anchor,
/// its interactions) until the client's redirect URI, keeping cookies; then
/// exchange the code. The session cookies are kept on `s`.
async fn code_flow(s: &mut Server, http: &reqwest::Client, path: &str) -> R<serde_json::Value> {
    let mut jar: BTreeMap<String, String> = BTreeMap::new();
    for part in s.cookie.split("; ").filter(|p| !p.is_empty()) {
        if let Some((k, v)) = part.split_once('=') {
            jar.insert(k.to_owned(), v.to_owned());
        }
    }
    let mut url = format!("{}{path}", s.base);
    let mut code = None;
    for _ in 0..10 {
        let r = http
            .get(&url)
            .header("cookie", cookie_header(&jar))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        keep_cookies(&mut jar, &r);
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| {
                format!(
                    "{}: {url} answered {} without a redirect",
                    s.label,
                    r.status()
                )
            })?;
        if let Some(q) = loc.strip_prefix(REDIRECT_URI) {
            code = q
                .trim_start_matches('?')
                .split('&')
                .find_map(|p| p.strip_prefix("code="))
                .map(str::to_owned);
            if code.is_none() {
                return Err(format!("{}: the redirect carries no code: {loc}", s.label));
            }
            break;
        }
        url = if loc.starts_with('/') {
            format!("{}{loc}", s.base)
        } else {
            loc
        };
    }
    let code = code.ok_or_else(|| format!("{}: no code after 10 redirects", s.label))?;
    // Keep only session cookies for the load (interaction cookies are spent).
    jar.retain(|k, _| !k.starts_with("_interaction"));
    s.cookie = cookie_header(&jar);
    let r = http
        .post(format!("{}{}", s.base, s.token))
        .header("authorization", basic())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("{}{code}", token_body_prefix()))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let body = r.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!(
            "{}: code exchange failed: {status} {body}",
            s.label
        ));
    }
    serde_json::from_str(&body).map_err(|e| e.to_string())
}

/// Refresh tokens to start the refresh and introspection scenarios with.
async fn refresh_tokens(s: &mut Server, http: &reqwest::Client, n: usize) -> R<Vec<String>> {
    let path = authorize_path(s, "openid%20offline_access%20api", s.offline);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = code_flow(s, http, &path).await?;
        let rt = t["refresh_token"]
            .as_str()
            .ok_or_else(|| format!("{}: no refresh_token in {t}", s.label))?;
        out.push(rt.to_owned());
    }
    Ok(out)
}

struct Load<'a> {
    path: String,
    conns: u32,
    secs: u64,
    headers: Vec<String>,
    script_args: Vec<String>,
    script: &'a Path,
}

async fn wrk(base: &str, l: Load<'_>) -> R<Wrk> {
    let threads = l.conns.clamp(1, 2);
    let mut cmd = Command::new("wrk");
    cmd.arg(format!("-t{threads}"))
        .arg(format!("-c{}", l.conns))
        .arg(format!("-d{}s", l.secs))
        .args(["--timeout", "5s", "-s"])
        .arg(l.script);
    for h in &l.headers {
        cmd.arg("-H").arg(h);
    }
    cmd.arg(format!("{base}{}", l.path))
        .arg("--")
        .args(&l.script_args);
    let out = cmd
        .output()
        .await
        .map_err(|e| format!("cannot run wrk (install it: bench/run.sh does): {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if std::env::var_os("BENCH_DEBUG").is_some() {
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
    }
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("BENCH "))
        .ok_or_else(|| {
            format!(
                "wrk printed no result: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
    serde_json::from_str(line).map_err(|e| format!("wrk's result {line}: {e}"))
}

fn measure(w: &Wrk, counted: Option<u64>, peak_rss_kb: u64, steal_pct: f64) -> Measure {
    let secs = (w.duration_us as f64 / 1e6).max(1e-9);
    let n = counted.unwrap_or(w.requests.saturating_sub(w.non_2xx_3xx));
    Measure {
        rate: n as f64 / secs,
        p50_ms: w.p50_us as f64 / 1000.0,
        p99_ms: w.p99_us as f64 / 1000.0,
        errors: w.non_2xx_3xx + w.socket_errors + w.bad,
        peak_rss_kb,
        steal_pct,
    }
}

/// The scenarios both servers run.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    ClientCredentials,
    RoundTrip,
    Refresh,
    Introspect,
    Discovery,
    Jwks,
    Logins,
}

struct Scenario {
    name: &'static str,
    kind: Kind,
    conns: u32,
    unit: &'static str,
    /// Portico only (node-oidc-provider has no password login).
    portico_only: bool,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "client_credentials (ES256 JWT)",
        kind: Kind::ClientCredentials,
        conns: 1,
        unit: "tokens/s",
        portico_only: false,
    },
    Scenario {
        name: "client_credentials (ES256 JWT)",
        kind: Kind::ClientCredentials,
        conns: CONNS,
        unit: "tokens/s",
        portico_only: false,
    },
    Scenario {
        name: "client_credentials (ES256 JWT)",
        kind: Kind::ClientCredentials,
        conns: 64,
        unit: "tokens/s",
        portico_only: false,
    },
    Scenario {
        name: "authorization code round trip (SSO, PKCE, id_token)",
        kind: Kind::RoundTrip,
        conns: CONNS,
        unit: "round trips/s",
        portico_only: false,
    },
    Scenario {
        name: "refresh (rotating)",
        kind: Kind::Refresh,
        conns: CONNS,
        unit: "refreshes/s",
        portico_only: false,
    },
    Scenario {
        name: "introspection (refresh token)",
        kind: Kind::Introspect,
        conns: CONNS,
        unit: "req/s",
        portico_only: false,
    },
    Scenario {
        name: "discovery",
        kind: Kind::Discovery,
        conns: CONNS,
        unit: "req/s",
        portico_only: false,
    },
    Scenario {
        name: "JWKS",
        kind: Kind::Jwks,
        conns: CONNS,
        unit: "req/s",
        portico_only: false,
    },
    Scenario {
        name: "password logins (argon2id m=19 MiB t=2 p=1)",
        kind: Kind::Logins,
        conns: CONNS,
        unit: "logins/s",
        portico_only: true,
    },
];

fn selected(only: &[String], name: &str) -> bool {
    only.is_empty()
        || only
            .iter()
            .any(|o| name.to_lowercase().contains(&o.to_lowercase()))
}

/// The wrk load of one scenario against one server.
fn load<'a>(
    s: &Server,
    kind: Kind,
    conns: u32,
    secs: u64,
    script: &'a Path,
    seeds: &[String],
) -> Load<'a> {
    let auth = format!("Authorization: {}", basic());
    let post = |path: &str, body: String, headers: Vec<String>| Load {
        path: path.to_owned(),
        conns,
        secs,
        headers,
        script_args: vec!["post".into(), body],
        script,
    };
    match kind {
        Kind::ClientCredentials => post(
            s.token,
            "grant_type=client_credentials&scope=api".into(),
            vec![auth],
        ),
        Kind::Introspect => post(
            s.introspect,
            format!(
                "token={}&token_type_hint=refresh_token",
                seeds.last().map_or("", String::as_str)
            ),
            vec![auth],
        ),
        Kind::Logins => {
            let mut l = post(
                "/api/ui/login",
                serde_json::json!({ "email": USER_EMAIL, "password": USER_PASSWORD }).to_string(),
                vec!["x-portico-csrf: 1".into()],
            );
            l.script_args.push("application/json".into());
            l
        }
        Kind::Discovery | Kind::Jwks => Load {
            path: if kind == Kind::Jwks {
                s.jwks.to_owned()
            } else {
                "/.well-known/openid-configuration".to_owned()
            },
            conns,
            secs,
            headers: vec![],
            script_args: vec!["static".into()],
            script,
        },
        Kind::RoundTrip => Load {
            path: s.authorize.to_owned(),
            conns,
            secs,
            headers: vec![auth, format!("Cookie: {}", s.cookie)],
            script_args: vec![
                "roundtrip".into(),
                authorize_path(s, s.scope, ""),
                s.token.to_owned(),
                token_body_prefix(),
            ],
            script,
        },
        Kind::Refresh => {
            let mut args = vec![
                "refresh".into(),
                s.token.to_owned(),
                conns.clamp(1, 2).to_string(),
            ];
            // All but the last seed (introspection's) rotate.
            args.extend(seeds.iter().take(seeds.len().saturating_sub(1)).cloned());
            Load {
                path: s.token.to_owned(),
                conns,
                secs,
                headers: vec![auth],
                script_args: args,
                script,
            }
        }
    }
}

async fn run_one(
    s: &Server,
    kind: Kind,
    conns: u32,
    secs: u64,
    script: &Path,
    seeds: &[String],
) -> R<Measure> {
    let pid = s.pid()?;
    reset_peak(pid);
    let ticks = cpu_ticks();
    let w = wrk(&s.base, load(s, kind, conns, secs, script, seeds)).await?;
    let steal = steal_since(ticks);
    let (_, peak) = rss_kb(pid)?;
    let counted = matches!(kind, Kind::RoundTrip | Kind::Refresh).then_some(w.ok);
    Ok(measure(&w, counted, peak, steal))
}

/// Password logins at full load while single connections measure the token
/// and discovery latency: hashing must not stall the async runtime.
async fn storm(s: &Server, secs: u64, script: &Path) -> R<Vec<Row>> {
    let pid = s.pid()?;
    reset_peak(pid);
    let ticks = cpu_ticks();
    let logins = wrk(&s.base, load(s, Kind::Logins, CONNS, secs, script, &[]));
    let probe_secs = secs.saturating_sub(2).max(1);
    let probes = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        tokio::join!(
            wrk(
                &s.base,
                load(s, Kind::ClientCredentials, 1, probe_secs, script, &[])
            ),
            wrk(
                &s.base,
                load(s, Kind::Discovery, 1, probe_secs, script, &[])
            )
        )
    };
    let (l, (t, d)) = tokio::join!(logins, probes);
    let (l, t, d) = (l?, t?, d?);
    let steal = steal_since(ticks);
    let (_, peak) = rss_kb(pid)?;
    let row = |name: &str, conns, unit, w: &Wrk| Row {
        name: name.to_owned(),
        conns,
        unit,
        portico: Some(measure(w, None, peak, steal)),
        anchor: None,
    };
    Ok(vec![
        row("login storm: the logins", CONNS, "logins/s", &l),
        row(
            "login storm: client_credentials meanwhile",
            1,
            "tokens/s",
            &t,
        ),
        row("login storm: discovery meanwhile", 1, "req/s", &d),
    ])
}

fn fmt_rate(m: Option<&Measure>) -> [String; 5] {
    match m {
        Some(m) => {
            let errors = if m.errors > 0 {
                format!(" ({} errors)", m.errors)
            } else {
                String::new()
            };
            [
                format!("{:.0}{errors}", m.rate),
                format!("{:.2}", m.p50_ms),
                format!("{:.2}", m.p99_ms),
                format!("{:.1}", m.peak_rss_kb as f64 / 1024.0),
                format!("{:.0}", m.steal_pct),
            ]
        }
        None => ["–".into(), "–".into(), "–".into(), "–".into(), "–".into()],
    }
}

fn report_table(rows: &[Row]) -> String {
    let mut t = String::from(
        "| Scenario | Conns | Unit | Portico | p50 ms | p99 ms | peak RSS MB | steal % | node-oidc-provider | p50 ms | p99 ms | peak RSS MB | steal % | Portico/node |\n\
         |---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        let [pr, p50, p99, prss, psteal] = fmt_rate(r.portico.as_ref());
        let [ar, a50, a99, arss, asteal] = fmt_rate(r.anchor.as_ref());
        let ratio = match (r.portico, r.anchor) {
            (Some(p), Some(a)) if a.rate > 0.0 => format!("{:.1}×", p.rate / a.rate),
            _ => "–".into(),
        };
        let _ = writeln!(
            t,
            "| {} | {} | {} | {pr} | {p50} | {p99} | {prss} | {psteal} | {ar} | {a50} | {a99} | {arss} | {asteal} | {ratio} |",
            r.name, r.conns, r.unit
        );
    }
    t
}

/// Raw, gzip (level 9) and brotli (quality 11) sizes of what the browser
/// fetches for the first screen: index.html, the JS, the CSS and the wasm.
fn ui_weight(dist: &Path) -> R<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dist)
        .map_err(|e| format!("cannot read {}: {e}", dist.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|x| x.to_str())
                .is_some_and(|x| ["html", "js", "css", "wasm"].contains(&x))
        })
        .collect();
    files.sort();
    let mut t = String::from("| File | raw KB | gzip KB | brotli KB |\n|---|---:|---:|---:|\n");
    let (mut raw, mut gz, mut br) = (0usize, 0usize, 0usize);
    for f in &files {
        let bytes = std::fs::read(f).map_err(|e| e.to_string())?;
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        g.write_all(&bytes).map_err(|e| e.to_string())?;
        let g = g.finish().map_err(|e| e.to_string())?.len();
        let mut b = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut bytes.as_slice(), &mut b, &params)
            .map_err(|e| e.to_string())?;
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let _ = writeln!(
            t,
            "| {name} | {:.1} | {:.1} | {:.1} |",
            bytes.len() as f64 / 1024.0,
            g as f64 / 1024.0,
            b.len() as f64 / 1024.0
        );
        raw += bytes.len();
        gz += g;
        br += b.len();
    }
    let _ = writeln!(
        t,
        "| **total** | **{:.1}** | **{:.1}** | **{:.1}** |",
        raw as f64 / 1024.0,
        gz as f64 / 1024.0,
        br as f64 / 1024.0
    );
    Ok(t)
}

fn command_line(cmd: &str, args: &[&str]) -> String {
    std::process::Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_owned())
        })
        .and_then(|kb| kb.parse::<u64>().ok())
        .unwrap_or(0);
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    format!(
        "{cores} cores ({cpu}), {:.0} GiB RAM, Linux {}; {}; node {}; {}",
        mem as f64 / 1024.0 / 1024.0,
        command_line("uname", &["-r"]),
        command_line("rustc", &["--version"]),
        command_line("node", &["--version"]),
        command_line("wrk", &["--version"])
            .lines()
            .next()
            .unwrap_or("wrk")
            .to_owned()
    )
}

async fn run(args: Args) -> R<()> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("wrk.lua");
    let dir = std::env::temp_dir().join(format!("portico-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let secs = if args.smoke { 1 } else { args.duration.max(1) };

    let mut portico = start_portico(&args.portico, &dir, &http).await?;
    if args.smoke {
        let m = run_one(&portico, Kind::ClientCredentials, 2, secs, &script, &[]).await?;
        println!(
            "smoke: client_credentials {:.0} tokens/s, p99 {:.2} ms, {} errors, RSS {:.1} MB",
            m.rate,
            m.p99_ms,
            m.errors,
            m.peak_rss_kb as f64 / 1024.0
        );
        let _ = std::fs::remove_dir_all(&dir);
        return if m.errors == 0 && m.rate > 0.0 {
            Ok(())
        } else {
            Err("the smoke run had errors or no tokens".into())
        };
    }
    let seeds_n = CONNS as usize + 1;
    let portico_seeds = refresh_tokens(&mut portico, &http, seeds_n).await?;
    let mut anchor = if args.no_anchor {
        None
    } else {
        let mut n = start_node(&dir, &http).await?;
        let seeds = refresh_tokens(&mut n, &http, seeds_n).await?;
        Some((n, seeds))
    };
    // Idle: after the set-up sign-ins have let go of their hashing memory.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (idle_rss, _) = rss_kb(portico.pid()?)?;
    let anchor_idle = match &anchor {
        Some((n, _)) => Some(rss_kb(n.pid()?)?.0),
        None => None,
    };

    let mut rows = Vec::new();
    for sc in SCENARIOS.iter().filter(|s| selected(&args.only, s.name)) {
        // Warm up both sides the same way before the first scenario.
        eprintln!("running: {} at {} connection(s)", sc.name, sc.conns);
        let p = run_one(&portico, sc.kind, sc.conns, secs, &script, &portico_seeds).await?;
        let a = match (&mut anchor, sc.portico_only) {
            (Some((n, seeds)), false) => {
                Some(run_one(n, sc.kind, sc.conns, secs, &script, seeds).await?)
            }
            _ => None,
        };
        rows.push(Row {
            name: sc.name.to_owned(),
            conns: sc.conns,
            unit: sc.unit,
            portico: Some(p),
            anchor: a,
        });
    }
    let mut after_storm = None;
    if selected(&args.only, "login storm") {
        eprintln!("running: login storm");
        rows.extend(storm(&portico, secs, &script).await?);
        tokio::time::sleep(Duration::from_secs(4)).await;
        after_storm = Some(rss_kb(portico.pid()?)?.0);
    }

    let mut report = String::new();
    let _ = writeln!(report, "Machine: {}\n", machine());
    let _ = writeln!(
        report,
        "{secs} s per scenario, wrk with 2 threads (1 for one connection), one server under load at a time.\n"
    );
    report.push_str(&report_table(&rows));
    let _ = writeln!(
        report,
        "\nIdle RSS (after start and the set-up sign-ins, 3 s quiet): Portico {:.1} MB{}.",
        idle_rss as f64 / 1024.0,
        anchor_idle.map_or(String::new(), |kb| format!(
            ", node-oidc-provider {:.1} MB",
            kb as f64 / 1024.0
        ))
    );
    if let Some(kb) = after_storm {
        let _ = writeln!(
            report,
            "Portico RSS 4 s after the login storm: {:.1} MB.",
            kb as f64 / 1024.0
        );
    }
    match ui_weight(&args.dist) {
        Ok(t) => {
            let _ = writeln!(
                report,
                "\nFirst load of the login screen ({}):\n\n{t}",
                args.dist.display()
            );
        }
        Err(e) => {
            let _ = writeln!(report, "\nUI weight not measured: {e}");
        }
    }
    println!("{report}");
    if let Some(out) = &args.out {
        std::fs::write(out, &report).map_err(|e| format!("{}: {e}", out.display()))?;
    }
    drop(portico);
    drop(anchor);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portico-bench: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

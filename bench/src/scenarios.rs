//! The scenario table, each scenario's wrk load, and running wrk.

use crate::R;
use crate::flows::{authorize_path, basic, token_body_prefix};
use crate::report::{Measure, Row, cpu_ticks, reset_peak, rss_kb, steal_since};
use crate::servers::{LOGIN_EMAIL_PREFIX, LOGIN_USERS, Server, USER_PASSWORD};
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;
use tokio::process::Command;

/// Connections of the multi-connection scenarios.
pub const CONNS: u32 = 16;

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

/// One wrk invocation: the path, the load and bench/wrk.lua's arguments.
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
pub enum Kind {
    ClientCredentials,
    RoundTrip,
    Refresh,
    Introspect,
    Discovery,
    Jwks,
    Logins,
}

pub struct Scenario {
    pub name: &'static str,
    pub kind: Kind,
    pub conns: u32,
    pub unit: &'static str,
    /// Portico only (node-oidc-provider has no password login).
    pub portico_only: bool,
}

pub const SCENARIOS: &[Scenario] = &[
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

pub fn selected(only: &[String], name: &str) -> bool {
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
        Kind::Logins => Load {
            path: "/api/ui/login".to_owned(),
            conns,
            secs,
            headers: vec!["x-portico-csrf: 1".into()],
            script_args: vec![
                "logins".into(),
                LOGIN_EMAIL_PREFIX.into(),
                USER_PASSWORD.into(),
                LOGIN_USERS.to_string(),
            ],
            script,
        },
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

pub async fn run_one(
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
pub async fn storm(s: &Server, secs: u64, script: &Path) -> R<Vec<Row>> {
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

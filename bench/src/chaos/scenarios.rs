//! The four fault scenarios. Each returns its figures and the
//! expectations it found violated (an empty list: passed).

use crate::R;
use crate::client;
use crate::config::ACQUIRE_TIMEOUT_SECS;
use crate::load::{self, Control, Rec};
use crate::pg::Cluster;
use crate::portico::{Instance, Spec, free_port};
use crate::verify;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long each part runs: the short form (the test command) or full.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub conns: usize,
    pub load_secs: u64,
    /// Load before a kill or an outage.
    pub before_secs: u64,
    /// Load after a restart, a recovery or the other instance's death.
    pub after_secs: u64,
    pub outage_secs: u64,
}

impl Plan {
    pub const SHORT: Self = Self {
        conns: 16,
        load_secs: 10,
        before_secs: 4,
        after_secs: 3,
        outage_secs: 5,
    };
    pub const FULL: Self = Self {
        conns: 64,
        load_secs: 60,
        before_secs: 15,
        after_secs: 10,
        outage_secs: 10,
    };
}

pub struct Outcome {
    pub figures: Value,
    pub violations: Vec<String>,
    /// One line per fact for the terminal.
    pub summary: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

pub struct Env {
    pub bin: PathBuf,
    pub dir: PathBuf,
    pub plan: Plan,
    /// Started on first use by a PostgreSQL scenario.
    pub pg: Option<Cluster>,
    pub dbs: u32,
}

impl Env {
    async fn database(&mut self, backend: Backend, name: &str) -> R<String> {
        match backend {
            Backend::Sqlite => Ok(self.dir.join(format!("{name}.db")).display().to_string()),
            Backend::Postgres => {
                if self.pg.is_none() {
                    let mut c = Cluster::init(&self.dir.join("pg"))?;
                    c.start()?;
                    self.pg = Some(c);
                }
                self.dbs += 1;
                let db = format!("{}_{}", name.replace('-', "_"), self.dbs);
                self.pg.as_ref().ok_or("no cluster")?.create_database(&db)
            }
        }
    }

    fn pg(&mut self) -> R<&mut Cluster> {
        self.pg.as_mut().ok_or_else(|| "no cluster".to_owned())
    }

    async fn instance(
        &self,
        name: &str,
        url: &str,
        port: u16,
        issuer: &str,
        sweep: bool,
    ) -> R<Instance> {
        let dir = self.dir.join(name);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        Instance::start(Spec {
            bin: self.bin.clone(),
            dir,
            name: name.to_owned(),
            database_url: url.to_owned(),
            port,
            issuer: issuer.to_owned(),
            sweep,
        })
        .await
    }
}

async fn control(bases: Vec<String>, tag: &str, backoff: Duration) -> R<Arc<Control>> {
    let (sessions, admin) = load::prepare(&bases[0]).await?;
    Ok(Arc::new(Control {
        t0: Instant::now(),
        stop: AtomicBool::new(false),
        down: bases.iter().map(|_| AtomicBool::new(false)).collect(),
        bases,
        ledger: Default::default(),
        records: Default::default(),
        samples: Default::default(),
        sessions,
        admin_token: std::sync::Mutex::new(admin),
        serial: AtomicU64::new(0),
        admin_ops: true,
        backoff,
        tag: tag.to_owned(),
    }))
}

fn us(d: Duration) -> u64 {
    d.as_micros() as u64
}

fn sample(recs: &[&Rec], what: &str) -> Option<String> {
    let bad: Vec<String> = recs
        .iter()
        .filter(|r| !r.ok)
        .take(5)
        .map(|r| format!("{:?} {} at {:.1}s", r.op, r.status, r.start_us as f64 / 1e6))
        .collect();
    (!bad.is_empty()).then(|| format!("{what}: {}", bad.join(", ")))
}

/// Scenario 1: load with no fault. Every request must succeed.
pub async fn steady(env: &mut Env, backend: Backend) -> R<Outcome> {
    let name = format!("load-{}", backend.name());
    let url = env.database(backend, "load").await?;
    let port = free_port()?;
    let issuer = format!("http://127.0.0.1:{port}");
    let mut inst = env.instance(&name, &url, port, &issuer, true).await?;
    let ctl = control(vec![inst.base.clone()], &name, Duration::from_millis(50)).await?;
    let t = Instant::now();
    let workers = load::spawn(&ctl, env.plan.conns);
    tokio::time::sleep(Duration::from_secs(env.plan.load_secs)).await;
    load::stop(&ctl, workers).await;
    let secs = t.elapsed().as_secs_f64();
    let recs = ctl.records();
    let all: Vec<&Rec> = recs.iter().collect();
    let f = load::figures(&all, secs);
    let l = ctl.ledger_snapshot();
    let mut violations = Vec::new();
    if f.errors > 0 {
        violations.extend(sample(&all, &format!("{} errors under load", f.errors)));
    }
    if f.ok == 0 {
        violations.push("no request succeeded".into());
    }
    if !inst.alive() {
        violations.push("Portico exited under load".into());
    }
    inst.kill9().await?;
    let summary = vec![format!(
        "{} connections, {:.0} s: {} requests, {} errors, {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms; made {} users, {} clients, {} consents, {} code exchanges, {} families",
        env.plan.conns,
        secs,
        f.requests,
        f.errors,
        f.per_second,
        f.p50_ms,
        f.p99_ms,
        l.users.len(),
        l.clients.len(),
        l.consents.len(),
        l.codes.len(),
        l.families.len()
    )];
    Ok(Outcome {
        figures: json!({
            "backend": backend.name(),
            "connections": env.plan.conns,
            "seconds": secs,
            "load": f,
            "failure_samples": ctl.samples(),
            "made": {"users": l.users.len(), "clients": l.clients.len(), "consents": l.consents.len(),
                     "codes": l.codes.len(), "families": l.families.len()},
        }),
        violations,
        summary,
    })
}

/// Scenario 2: kill -9 under load, restart on the same database, check
/// everything acknowledged.
pub async fn kill(env: &mut Env, backend: Backend) -> R<Outcome> {
    let name = format!("kill-{}", backend.name());
    let url = env.database(backend, "kill").await?;
    let port = free_port()?;
    let issuer = format!("http://127.0.0.1:{port}");
    let mut inst = env.instance(&name, &url, port, &issuer, true).await?;
    let ctl = control(vec![inst.base.clone()], &name, Duration::from_millis(50)).await?;
    let workers = load::spawn(&ctl, env.plan.conns);
    tokio::time::sleep(Duration::from_secs(env.plan.before_secs)).await;
    // Workers start nothing new; what is in flight dies with the process.
    ctl.stop.store(true, Ordering::SeqCst);
    let kill_us = ctl.now_us();
    inst.kill9().await?;
    load::stop(&ctl, workers).await;
    let recs = ctl.records();
    let before: Vec<&Rec> = recs.iter().filter(|r| r.end_us < kill_us).collect();
    let in_flight = recs
        .iter()
        .filter(|r| r.end_us >= kill_us && r.status == 0)
        .count();
    let late_errors: Vec<&Rec> = recs
        .iter()
        .filter(|r| r.end_us >= kill_us && r.status != 0 && !r.ok)
        .collect();
    let f = load::figures(&before, kill_us as f64 / 1e6);
    let mut violations = Vec::new();
    if f.errors > 0 {
        violations.extend(sample(
            &before,
            &format!("{} errors before the kill", f.errors),
        ));
    }
    if !late_errors.is_empty() {
        violations.extend(sample(&late_errors, "answered errors at the kill"));
    }
    let restart = inst.restart().await?;
    let ledger = ctl.ledger_snapshot();
    let admin = client::admin_token(&client::http(), &inst.base).await?;
    let t = Instant::now();
    let checked = verify::check(&inst.base, &admin, &ledger).await;
    let check_secs = t.elapsed().as_secs_f64();
    violations.extend(checked.violations.iter().take(20).cloned());
    if checked.violations.len() > 20 {
        violations.push(format!(
            "... {} violations in all",
            checked.violations.len()
        ));
    }
    // It serves again: a little load on the restarted process.
    let after = control(
        vec![inst.base.clone()],
        &format!("{name}-after"),
        Duration::from_millis(50),
    )
    .await?;
    let workers = load::spawn(&after, env.plan.conns);
    tokio::time::sleep(Duration::from_secs(env.plan.after_secs)).await;
    load::stop(&after, workers).await;
    let arecs = after.records();
    let aall: Vec<&Rec> = arecs.iter().collect();
    let af = load::figures(&aall, env.plan.after_secs as f64);
    if af.errors > 0 || af.ok == 0 {
        violations.extend(sample(
            &aall,
            &format!("{} errors after the restart", af.errors),
        ));
    }
    inst.kill9().await?;
    let summary = vec![
        format!(
            "killed after {:.1} s: {} requests acknowledged before, {} errors; {} in flight at the kill",
            kill_us as f64 / 1e6,
            f.ok,
            f.errors,
            in_flight
        ),
        format!(
            "restarted (ready in {:.2} s) and checked in {:.1} s: {}",
            restart.as_secs_f64(),
            check_secs,
            checked.line()
        ),
        format!(
            "after the restart: {} requests, {} errors, {:.0} req/s",
            af.requests, af.errors, af.per_second
        ),
    ];
    Ok(Outcome {
        figures: json!({
            "backend": backend.name(),
            "connections": env.plan.conns,
            "killed_at_s": kill_us as f64 / 1e6,
            "before_kill": f,
            "in_flight_at_kill": in_flight,
            "restart_ready_s": restart.as_secs_f64(),
            "checked": checked_json(&checked),
            "check_s": check_secs,
            "after_restart": af,
            "failure_samples": ctl.samples(),
            "failure_samples_after_restart": after.samples(),
        }),
        violations,
        summary,
    })
}

fn checked_json(c: &verify::Checked) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.insert("violations".into(), json!(c.violations.len()));
    }
    v
}

/// Scenario 3: PostgreSQL stopped under load (immediate, crash-like),
/// started again; Portico answers 503 quickly meanwhile and recovers.
pub async fn pg_outage(env: &mut Env) -> R<Outcome> {
    let name = "pg-outage".to_owned();
    let url = env.database(Backend::Postgres, "outage").await?;
    let port = free_port()?;
    let issuer = format!("http://127.0.0.1:{port}");
    let mut inst = env.instance(&name, &url, port, &issuer, true).await?;
    let ctl = control(vec![inst.base.clone()], &name, Duration::from_millis(100)).await?;
    let workers = load::spawn(&ctl, env.plan.conns);
    tokio::time::sleep(Duration::from_secs(env.plan.before_secs)).await;
    let stop_us = ctl.now_us();
    env.pg()?.stop_immediate()?;
    let h = client::http();
    // Mid-outage: what readiness says (beside the clock: /readyz may take
    // its own 2 s probe, which must not lengthen the outage).
    let half = Duration::from_secs(env.plan.outage_secs) / 2;
    let probe = {
        let (h, base) = (h.clone(), inst.base.clone());
        tokio::spawn(async move {
            tokio::time::sleep(half).await;
            let r = reqwest_status(&h, &format!("{base}/readyz")).await;
            let hz = reqwest_status(&h, &format!("{base}/healthz")).await;
            json!({"readyz": r, "healthz": hz})
        })
    };
    tokio::time::sleep(Duration::from_secs(env.plan.outage_secs)).await;
    env.pg()?.start()?;
    let start_us = ctl.now_us();
    // Recovered: the first sign-in-needing request (authorize with the
    // session: a database read) that succeeds.
    let cookie = ctl.sessions[0].clone();
    let mut recovered_us = None;
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let c = client::authorize(
            &h,
            &inst.base,
            &cookie,
            crate::config::CHAOS_ID,
            "openid api",
            "",
        )
        .await;
        if c.status == 302 && c.location_param("code").is_some() {
            recovered_us = Some(ctl.now_us());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut violations = Vec::new();
    let ready_mid = probe.await.unwrap_or(Value::Null);
    let rec_us = match recovered_us {
        Some(t) => t,
        None => {
            violations.push("Portico did not recover within 30 s of PostgreSQL's start".into());
            ctl.now_us()
        }
    };
    tokio::time::sleep(Duration::from_secs(env.plan.after_secs)).await;
    load::stop(&ctl, workers).await;
    let end_us = ctl.now_us();
    let recs = ctl.records();
    let before: Vec<&Rec> = recs.iter().filter(|r| r.end_us < stop_us).collect();
    let during: Vec<&Rec> = recs
        .iter()
        .filter(|r| r.end_us >= stop_us && r.start_us < rec_us)
        .collect();
    let settle = rec_us + us(Duration::from_secs(1));
    let after: Vec<&Rec> = recs.iter().filter(|r| r.start_us >= settle).collect();
    let fb = load::figures(&before, stop_us as f64 / 1e6);
    let fa = load::figures(&after, (end_us.saturating_sub(settle)) as f64 / 1e6);
    let failed = |r: &&&Rec| !r.ok && !r.unavailable;
    let s503 = during.iter().filter(|r| !r.ok && r.unavailable).count();
    let count = |s: u16| {
        during
            .iter()
            .filter(failed)
            .filter(|r| r.status == s)
            .count()
    };
    let (s500, s0) = (count(500), count(0));
    let other: Vec<&Rec> = during
        .iter()
        .filter(failed)
        .filter(|r| ![500, 0].contains(&r.status))
        .copied()
        .collect();
    let ok_during = during.iter().filter(|r| r.ok).count();
    // What each kind of request got: "Refresh 503" -> count.
    let mut by_op = std::collections::BTreeMap::<String, usize>::new();
    for r in &during {
        let k = format!(
            "{:?} {}",
            r.op,
            if r.ok {
                "ok".to_owned()
            } else {
                r.status.to_string()
            }
        );
        *by_op.entry(k).or_default() += 1;
    }
    let limit_us = us(Duration::from_secs(ACQUIRE_TIMEOUT_SECS + 3));
    let slow: Vec<&Rec> = during
        .iter()
        .filter(|r| r.end_us - r.start_us > limit_us)
        .copied()
        .collect();
    let max_ms = during
        .iter()
        .map(|r| (r.end_us - r.start_us) as f64 / 1000.0)
        .fold(0.0, f64::max);
    if fb.errors > 0 {
        violations.extend(sample(&before, "errors before the outage"));
    }
    if s500 > 0 {
        violations.push(format!(
            "{s500} answers were 500 during the outage (expected 503 temporarily_unavailable)"
        ));
    }
    if s0 > 0 {
        violations.push(format!("{s0} requests got no answer during the outage"));
    }
    if !other.is_empty() {
        violations.extend(sample(&other, "other failures during the outage"));
    }
    if !slow.is_empty() {
        violations.push(format!(
            "{} requests took longer than the acquire timeout + 3 s (max {max_ms:.0} ms)",
            slow.len()
        ));
    }
    if fa.errors > 0 || fa.ok == 0 {
        violations.extend(sample(
            &after,
            &format!("{} errors after recovery", fa.errors),
        ));
    }
    if !inst.alive() {
        violations.push("Portico exited during the outage".into());
    }
    let ledger = ctl.ledger_snapshot();
    let admin = client::admin_token(&h, &inst.base).await?;
    let checked = verify::check(&inst.base, &admin, &ledger).await;
    violations.extend(checked.violations.iter().take(20).cloned());
    inst.kill9().await?;
    let recover_s = (rec_us.saturating_sub(start_us)) as f64 / 1e6;
    let summary = vec![
        format!(
            "before: {} requests, {} errors; PostgreSQL down {:.1} s",
            fb.requests,
            fb.errors,
            (start_us - stop_us) as f64 / 1e6
        ),
        format!(
            "during: {} answers 503 (or temporarily_unavailable), {} answers 500, {} unanswered, {} other failures, {} succeeded; slowest {:.0} ms; mid-outage {}",
            s503,
            s500,
            s0,
            other.len(),
            ok_during,
            max_ms,
            ready_mid
        ),
        format!(
            "during, by request: {}",
            by_op
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "recovered {recover_s:.2} s after PostgreSQL started; after: {} requests, {} errors",
            fa.requests, fa.errors
        ),
        format!("checked without a restart: {}", checked.line()),
    ];
    let samples = ctl.samples();
    let mut summary = summary;
    for (k, v) in samples.iter().filter(|(k, _)| k.ends_with(" 500")) {
        summary.push(format!("a {k} said: {v}"));
    }
    Ok(Outcome {
        figures: json!({
            "connections": env.plan.conns,
            "before": fb,
            "outage_s": (start_us - stop_us) as f64 / 1e6,
            "during": {"requests": during.len(), "503": s503, "500": s500, "unanswered": s0,
                       "other": other.len(), "succeeded": ok_during, "max_ms": max_ms,
                       "by_request": by_op},
            "mid_outage_probe": ready_mid,
            "failure_samples": samples,
            "recovered_after_start_s": recover_s,
            "after": fa,
            "checked": checked_json(&checked),
        }),
        violations,
        summary,
    })
}

async fn reqwest_status(h: &reqwest::Client, url: &str) -> u16 {
    match h.get(url).send().await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// Scenario 4: two instances on one PostgreSQL database, the load spread
/// over both; one is killed; the other keeps serving with no errors.
pub async fn two_instances(env: &mut Env) -> R<Outcome> {
    let name = "two-instances".to_owned();
    let url = env.database(Backend::Postgres, "pair").await?;
    let (pa, pb) = (free_port()?, free_port()?);
    let issuer = format!("http://127.0.0.1:{pa}");
    let mut a = env.instance("pair-a", &url, pa, &issuer, true).await?;
    let mut b = env.instance("pair-b", &url, pb, &issuer, false).await?;
    let ctl = control(
        vec![a.base.clone(), b.base.clone()],
        &name,
        Duration::from_millis(50),
    )
    .await?;
    let workers = load::spawn(&ctl, env.plan.conns);
    tokio::time::sleep(Duration::from_secs(env.plan.before_secs)).await;
    // The load balancer takes A out as it dies.
    ctl.down[0].store(true, Ordering::SeqCst);
    let kill_us = ctl.now_us();
    a.kill9().await?;
    tokio::time::sleep(Duration::from_secs(env.plan.after_secs)).await;
    load::stop(&ctl, workers).await;
    let end_us = ctl.now_us();
    let recs = ctl.records();
    let on_b: Vec<&Rec> = recs.iter().filter(|r| r.instance == 1).collect();
    let a_before: Vec<&Rec> = recs
        .iter()
        .filter(|r| r.instance == 0 && r.end_us < kill_us)
        .collect();
    let a_killed = recs
        .iter()
        .filter(|r| r.instance == 0 && r.end_us >= kill_us && !r.ok)
        .count();
    let b_after: Vec<&Rec> = on_b
        .iter()
        .filter(|r| r.start_us >= kill_us)
        .copied()
        .collect();
    let fb = load::figures(&on_b, end_us as f64 / 1e6);
    let fa = load::figures(&a_before, kill_us as f64 / 1e6);
    let fba = load::figures(&b_after, (end_us - kill_us) as f64 / 1e6);
    let mut violations = Vec::new();
    if fb.errors > 0 {
        violations.extend(sample(
            &on_b,
            &format!("{} failed requests to the survivor", fb.errors),
        ));
    }
    if fa.errors > 0 {
        violations.extend(sample(&a_before, "errors on A before its kill"));
    }
    if fba.ok == 0 {
        violations.push("no request succeeded on B after A died".into());
    }
    if !b.alive() {
        violations.push("B exited".into());
    }
    let ledger = ctl.ledger_snapshot();
    let admin = client::admin_token(&client::http(), &b.base).await?;
    let checked = verify::check(&b.base, &admin, &ledger).await;
    violations.extend(checked.violations.iter().take(20).cloned());
    b.kill9().await?;
    let summary = vec![
        format!(
            "A: {} requests before its kill, {} errors; {} in flight at the kill",
            fa.requests, fa.errors, a_killed
        ),
        format!(
            "B (survivor): {} requests, {} failed ({} after the kill, {:.0} req/s then)",
            fb.requests, fb.errors, fba.requests, fba.per_second
        ),
        format!("checked on B: {}", checked.line()),
    ];
    Ok(Outcome {
        figures: json!({
            "connections": env.plan.conns,
            "a_before_kill": fa,
            "a_in_flight_at_kill": a_killed,
            "b_all": fb,
            "b_after_kill": fba,
            "failure_samples": ctl.samples(),
            "checked": checked_json(&checked),
        }),
        violations,
        summary,
    })
}

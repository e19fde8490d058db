//! `portico-chaos`: fault tests against the real `portico` binary.
//!
//! Drives Portico (started by this process, on SQLite files and on a
//! private PostgreSQL cluster) with a mixed OAuth load and breaks things
//! under it: kill -9 and restart, PostgreSQL stopped and started, one of
//! two instances killed. Afterwards it checks that everything Portico
//! acknowledged is still there and that nothing single-use works twice.
//! This process (the driver) is never the one killed.
//!
//! `scripts/chaos.sh` builds and runs it; RELIABILITY.md describes each
//! scenario. Exit status 1 when any expectation was violated.
//!
//! `config` is the portico.toml, `client` the HTTP calls, `load` the
//! workers and what was acknowledged, `verify` the checks after a fault,
//! `portico` and `pg` the processes, `scenarios` the four scenarios.

mod client;
mod config;
mod load;
mod pg;
mod portico;
mod scenarios;
mod verify;

use clap::Parser;
use scenarios::{Backend, Env, Outcome, Plan};
use std::path::PathBuf;
use std::time::Instant;

/// Every fallible step reports a sentence for the terminal.
pub type R<T> = Result<T, String>;

#[derive(Parser)]
#[command(
    name = "portico-chaos",
    about = "Fault tests against portico (see RELIABILITY.md)"
)]
struct Args {
    /// The portico binary.
    #[arg(long, default_value = "target/debug/portico")]
    portico: PathBuf,
    /// The short form (the test command): 16 connections, seconds each.
    #[arg(long)]
    short: bool,
    /// Connections (default 16 short, 64 full).
    #[arg(long)]
    conns: Option<usize>,
    /// Only the scenarios whose names contain one of these
    /// (comma-separated): load, kill, pg-outage, two-instances, sqlite,
    /// postgres.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// The machine-readable results.
    #[arg(long, default_value = "target/chaos/results.json")]
    out: PathBuf,
    /// Keep the working directory (logs, databases) for a post-mortem.
    #[arg(long)]
    keep: bool,
}

const NAMES: [&str; 6] = [
    "load-sqlite",
    "load-postgres",
    "kill-sqlite",
    "kill-postgres",
    "pg-outage",
    "two-instances",
];

async fn one(env: &mut Env, name: &str) -> R<Outcome> {
    match name {
        "load-sqlite" => scenarios::steady(env, Backend::Sqlite).await,
        "load-postgres" => scenarios::steady(env, Backend::Postgres).await,
        "kill-sqlite" => scenarios::kill(env, Backend::Sqlite).await,
        "kill-postgres" => scenarios::kill(env, Backend::Postgres).await,
        "pg-outage" => scenarios::pg_outage(env).await,
        _ => scenarios::two_instances(env).await,
    }
}

async fn run(args: Args) -> R<bool> {
    let mut plan = if args.short { Plan::SHORT } else { Plan::FULL };
    if let Some(c) = args.conns {
        plan.conns = c.max(1);
    }
    let bin = std::fs::canonicalize(&args.portico)
        .map_err(|e| format!("{}: {e} (build it first)", args.portico.display()))?;
    let dir = std::env::temp_dir().join(format!("portico-chaos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut env = Env {
        bin,
        dir: dir.clone(),
        plan,
        pg: None,
        dbs: 0,
    };
    let started = Instant::now();
    let mut results = Vec::new();
    let mut passed = true;
    for name in NAMES {
        if !args.only.is_empty() && !args.only.iter().any(|o| name.contains(o.as_str())) {
            continue;
        }
        eprintln!("==> {name}");
        let t = Instant::now();
        let (figures, violations, summary) = match one(&mut env, name).await {
            Ok(o) => (o.figures, o.violations, o.summary),
            Err(e) => (
                serde_json::Value::Null,
                vec![format!("could not run: {e}")],
                vec![],
            ),
        };
        let secs = t.elapsed().as_secs_f64();
        let ok = violations.is_empty();
        passed &= ok;
        println!("{name}: {} ({secs:.0} s)", if ok { "PASS" } else { "FAIL" });
        for line in &summary {
            println!("    {line}");
        }
        for v in &violations {
            println!("    VIOLATED: {v}");
        }
        results.push(serde_json::json!({
            "name": name,
            "passed": ok,
            "seconds": secs,
            "figures": figures,
            "violations": violations,
        }));
    }
    drop(env.pg.take());
    let doc = serde_json::json!({
        "mode": if args.short { "short" } else { "full" },
        "connections": plan.conns,
        "passed": passed,
        "seconds": started.elapsed().as_secs_f64(),
        "scenarios": results,
    });
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    let text = serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?;
    std::fs::write(&args.out, text).map_err(|e| format!("{}: {e}", args.out.display()))?;
    println!(
        "chaos: {} in {:.0} s; results in {}",
        if passed {
            "all expectations held"
        } else {
            "EXPECTATIONS VIOLATED"
        },
        started.elapsed().as_secs_f64(),
        args.out.display()
    );
    if args.keep {
        println!("chaos: logs and databases kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(passed)
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::FAILURE,
        Err(e) => {
            eprintln!("portico-chaos: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

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
//!
//! This file holds the command line and the order of a run; `servers`
//! starts the two servers, `flows` prepares sessions and refresh tokens,
//! `scenarios` drives wrk, `report` measures and writes the tables.

mod flows;
mod report;
mod scenarios;
mod servers;

use clap::Parser;
use flows::{refresh_tokens, sign_in};
use report::{Report, Row, rss_kb};
use scenarios::{CONNS, Kind, SCENARIOS, run_one, selected, storm};
use servers::{start_node, start_portico};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Every fallible step reports a sentence for the terminal.
pub type R<T> = Result<T, String>;

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
    sign_in(&mut portico, &http).await?;
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

    let report = Report {
        secs,
        rows: &rows,
        idle_rss_kb: idle_rss,
        anchor_idle_kb: anchor_idle,
        after_storm_kb: after_storm,
        dist: &args.dist,
    }
    .markdown();
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

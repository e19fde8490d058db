//! The report: measures, RSS and CPU steal from /proc, UI weight, the markdown of latest.md.

use crate::R;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// One server's result for one scenario.
#[derive(Debug, Clone, Copy)]
pub struct Measure {
    /// Requests (or round trips, or rotations) per second.
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
    pub peak_rss_kb: u64,
    /// Share of the machine's CPU time the hypervisor gave to others during
    /// the run (`steal` in /proc/stat): on shared VMs it moves every number.
    pub steal_pct: f64,
}

/// One line of the table: a scenario and what each server measured.
pub struct Row {
    pub name: String,
    pub conns: u32,
    pub unit: &'static str,
    pub portico: Option<Measure>,
    pub anchor: Option<Measure>,
}

/// (all, steal) CPU ticks of the machine so far, from /proc/stat.
pub fn cpu_ticks() -> (u64, u64) {
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

pub fn steal_since(before: (u64, u64)) -> f64 {
    let after = cpu_ticks();
    let all = after.0.saturating_sub(before.0).max(1);
    100.0 * after.1.saturating_sub(before.1) as f64 / all as f64
}

/// VmRSS and VmHWM (peak) of a process, in KiB.
pub fn rss_kb(pid: u32) -> R<(u64, u64)> {
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
pub fn reset_peak(pid: u32) {
    // Best effort: without it the peak is since start, which only overstates.
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
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

/// Everything one run measured, to be written out.
pub struct Report<'a> {
    pub secs: u64,
    pub rows: &'a [Row],
    pub idle_rss_kb: u64,
    pub anchor_idle_kb: Option<u64>,
    pub after_storm_kb: Option<u64>,
    /// The release build of the UI to weigh.
    pub dist: &'a Path,
}

impl Report<'_> {
    /// The markdown printed to the terminal and written to `--out`
    /// (bench/run.sh: bench/results/latest.md).
    pub fn markdown(&self) -> String {
        let mut report = String::new();
        let _ = writeln!(report, "Machine: {}\n", machine());
        let _ = writeln!(
            report,
            "{} s per scenario, wrk with 2 threads (1 for one connection), one server under load at a time.\n",
            self.secs
        );
        report.push_str(&report_table(self.rows));
        let _ = writeln!(
            report,
            "\nIdle RSS (after start and the set-up sign-ins, 3 s quiet): Portico {:.1} MB{}.",
            self.idle_rss_kb as f64 / 1024.0,
            self.anchor_idle_kb.map_or(String::new(), |kb| format!(
                ", node-oidc-provider {:.1} MB",
                kb as f64 / 1024.0
            ))
        );
        if let Some(kb) = self.after_storm_kb {
            let _ = writeln!(
                report,
                "Portico RSS 4 s after the login storm: {:.1} MB.",
                kb as f64 / 1024.0
            );
        }
        match ui_weight(self.dist) {
            Ok(t) => {
                let _ = writeln!(
                    report,
                    "\nFirst load of the login screen ({}):\n\n{t}",
                    self.dist.display()
                );
            }
            Err(e) => {
                let _ = writeln!(report, "\nUI weight not measured: {e}");
            }
        }
        report
    }
}

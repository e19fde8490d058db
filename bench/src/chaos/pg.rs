//! A private PostgreSQL cluster for the chaos run: initdb into a temporary
//! directory, listening only on 127.0.0.1 on a free port, trust auth. The
//! shared server other tests use is never touched: this one is stopped
//! (`pg_ctl stop -m immediate`, a crash-like stop) and started again on the
//! same port. As root, PostgreSQL's binaries run as `postgres`.
//!
//! fsync is off: an immediate stop kills PostgreSQL's processes, not the
//! machine, so what was committed is in the operating system's cache and
//! survives; with fsync on, crash recovery first syncs the whole data
//! directory, which takes seconds on a busy machine and would blur the
//! outage's length. What is tested is Portico with its database gone, not
//! PostgreSQL's durability on power loss.

use crate::R;
use crate::portico::free_port;
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    pub port: u16,
    as_postgres: bool,
    running: bool,
}

/// The newest `/usr/lib/postgresql/<version>/bin`, or the one on PATH.
fn bin_dir() -> R<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| {
                    let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                    let bin = e.path().join("bin");
                    bin.join("initdb").is_file().then_some((v, bin))
                })
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Ok(bin);
    }
    let which = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()
        .map_err(|e| e.to_string())?;
    let p = String::from_utf8_lossy(&which.stdout).trim().to_owned();
    Path::new(&p)
        .parent()
        .map(Path::to_path_buf)
        .filter(|_| !p.is_empty())
        .ok_or_else(|| "no PostgreSQL binaries (initdb) found".into())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl Cluster {
    pub fn init(dir: &Path) -> R<Self> {
        let bin = bin_dir()?;
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let as_postgres = is_root();
        let c = Self {
            bin,
            dir: dir.to_path_buf(),
            port: free_port()?,
            as_postgres,
            running: false,
        };
        if as_postgres {
            c.run_plain("chown", &["-R", "postgres:postgres", &c.path_str()])?;
        }
        let data = c.data();
        c.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        Ok(c)
    }

    fn path_str(&self) -> String {
        self.dir.display().to_string()
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn run_plain(&self, prog: &str, args: &[&str]) -> R<()> {
        let out = Command::new(prog)
            .args(args)
            .output()
            .map_err(|e| format!("{prog}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{prog} {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    }

    /// A PostgreSQL binary, as `postgres` when we are root.
    fn run(&self, prog: &str, args: &[&str]) -> R<()> {
        let exe = self.bin.join(prog).display().to_string();
        if self.as_postgres {
            let mut all = vec!["-u", "postgres", "--", exe.as_str()];
            all.extend_from_slice(args);
            self.run_plain("runuser", &all)
        } else {
            self.run_plain(&exe, args)
        }
    }

    pub fn start(&mut self) -> R<()> {
        let opts = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=200 -c fsync=off",
            self.port,
            self.path_str()
        );
        let log = self.dir.join("postgres.log").display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-l", &log, "-o", &opts, "-w", "start"],
        )?;
        self.running = true;
        Ok(())
    }

    /// A crash-like stop: no checkpoint, connections cut.
    pub fn stop_immediate(&mut self) -> R<()> {
        self.running = false;
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        )
    }

    pub fn create_database(&self, name: &str) -> R<String> {
        let port = self.port.to_string();
        self.run(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-qc",
                &format!("create database {name}"),
            ],
        )?;
        Ok(format!(
            "postgres://postgres@127.0.0.1:{}/{name}",
            self.port
        ))
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if self.running {
            let _ = self.stop_immediate();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

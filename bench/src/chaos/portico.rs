//! Portico processes under test: start on a database, wait until ready,
//! kill -9 and restart on the same port and database. The driver is a
//! separate process and is never killed.

use crate::R;
use crate::client;
use crate::config::portico_toml;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub fn free_port() -> R<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// How to start one instance; kept to start it again after a kill.
pub struct Spec {
    pub bin: PathBuf,
    pub dir: PathBuf,
    pub name: String,
    pub database_url: String,
    pub port: u16,
    /// Shared by the instances of one deployment.
    pub issuer: String,
    pub sweep: bool,
}

pub struct Instance {
    pub spec: Spec,
    pub base: String,
    child: Option<Child>,
    starts: u32,
}

impl Instance {
    pub async fn start(spec: Spec) -> R<Self> {
        let mut i = Self {
            base: format!("http://127.0.0.1:{}", spec.port),
            spec,
            child: None,
            starts: 0,
        };
        i.spawn().await?;
        Ok(i)
    }

    async fn spawn(&mut self) -> R<()> {
        let s = &self.spec;
        let config = s.dir.join(format!("{}.toml", s.name));
        std::fs::write(&config, portico_toml(s.sweep)).map_err(|e| e.to_string())?;
        self.starts += 1;
        let log = |ext: &str| -> R<Stdio> {
            let p = s.dir.join(format!("{}.{}.{ext}", s.name, self.starts));
            let f = std::fs::File::create(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            Ok(Stdio::from(f))
        };
        let child = Command::new(&s.bin)
            .arg("--config")
            .arg(&config)
            .arg("--database-url")
            .arg(&s.database_url)
            .args(["serve", "--bind", &format!("127.0.0.1:{}", s.port)])
            .args(["--issuer", &s.issuer])
            .arg("--ui-dir")
            .arg(s.dir.join("no-ui"))
            .env("RUST_LOG", "warn")
            .stdout(log("log")?)
            .stderr(log("err")?)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", s.bin.display()))?;
        self.child = Some(child);
        self.wait_ready(Duration::from_secs(60)).await
    }

    /// Until `/readyz` (or `/healthz`) answers 2xx.
    pub async fn wait_ready(&mut self, within: Duration) -> R<()> {
        let h = client::http();
        let start = Instant::now();
        while start.elapsed() < within {
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                return Err(format!(
                    "{} exited ({status}) during start-up; see {}",
                    self.spec.name,
                    self.spec.dir.display()
                ));
            }
            if client::ready(&h, &self.base).await {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("{} not ready within {within:?}", self.spec.name))
    }

    /// SIGKILL: no shutdown of any kind.
    pub async fn kill9(&mut self) -> R<()> {
        if let Some(mut c) = self.child.take() {
            c.start_kill().map_err(|e| e.to_string())?;
            c.wait().await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Start again on the same database and port; the time it took.
    pub async fn restart(&mut self) -> R<Duration> {
        let t = Instant::now();
        self.spawn().await?;
        Ok(t.elapsed())
    }

    /// Whether the process is still running (it must survive a database
    /// outage).
    pub fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }
}

//! The servers under test: shared client and user, configs, start, wait until ready.

use crate::R;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

pub const CLIENT_ID: &str = "bench";
pub const CLIENT_SECRET: &str = "bench-secret-0123456789abcdefghijklmnopqrstuv";
pub const REDIRECT_URI: &str = "https://bench.example/cb";
pub const REDIRECT_URI_ENC: &str = "https%3A%2F%2Fbench.example%2Fcb";
pub const USER_EMAIL: &str = "bench@example.com";
pub const USER_PASSWORD: &str = "bench-password-0123";
/// Accounts the login scenarios spread over (`login0@example.com`...): a
/// storm of sign-ins is many people, and Portico counts each sign-in
/// against its account before checking it, so one account signing in on 16
/// connections at once would lock itself out, as a burst of guesses does.
pub const LOGIN_USERS: usize = 32;
pub const LOGIN_EMAIL_PREFIX: &str = "login";

/// A server under test: where it listens, its pid, and its endpoint paths.
pub struct Server {
    pub label: &'static str,
    pub base: String,
    child: Child,
    pub token: &'static str,
    pub authorize: &'static str,
    pub introspect: &'static str,
    pub jwks: &'static str,
    /// Scopes of the round trip's authorize request.
    pub scope: &'static str,
    /// Extra authorize parameters to get a refresh token.
    pub offline: &'static str,
    /// Cookies of the SSO session, `a=b; c=d`.
    pub cookie: String,
}

impl Server {
    pub fn pid(&self) -> R<u32> {
        self.child
            .id()
            .ok_or_else(|| format!("{} exited", self.label))
    }
}

fn free_port() -> R<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
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

pub async fn start_portico(bin: &Path, dir: &Path, http: &reqwest::Client) -> R<Server> {
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
{login_users}"#,
        login_users = (0..LOGIN_USERS)
            .map(|n| {
                format!(
                    "\n[[users]]\nemail = \"{LOGIN_EMAIL_PREFIX}{n}@example.com\"\nname = \"Login {n}\"\npassword = \"{USER_PASSWORD}\"\n"
                )
            })
            .collect::<String>()
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
    // Discovery answers once the provider is ready (the port opens first
    // and answers 503 until then), in this Portico and in older ones that
    // had no /readyz, so a comparison can run either.
    wait_ready(
        http,
        &format!("{base}/.well-known/openid-configuration"),
        &mut child,
    )
    .await?;
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
        // Filled by `flows::sign_in`.
        cookie: String::new(),
    })
}

pub async fn start_node(dir: &Path, http: &reqwest::Client) -> R<Server> {
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

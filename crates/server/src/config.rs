//! `portico.toml`: server settings, clients, entrypoints and users, applied
//! idempotently at every start. Environment variables override the file.

use portico_core::Provider;
use portico_core::model::Entrypoint;
use serde::Deserialize;

/// `[[clients]]` and `[[users]]`: their keys and rules are core's.
pub use portico_core::services::provision::{ClientSpec as ClientConfig, UserSpec as UserConfig};
use std::path::Path;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    #[serde(default)]
    pub server: ServerSection,
    #[serde(default)]
    pub database: DatabaseSection,
    #[serde(default)]
    pub tokens: TokensSection,
    #[serde(default)]
    pub retention: RetentionSection,
    /// Without it, what needs mail is off.
    pub email: Option<EmailSection>,
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
    #[serde(default)]
    /// Each checked (ids, theme tokens, WCAG AA contrast) before anything
    /// is saved.
    pub entrypoints: Vec<Entrypoint>,
    #[serde(default)]
    pub users: Vec<UserConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    pub bind: Option<String>,
    pub issuer: Option<String>,
    pub database_url: Option<String>,
    pub ui_dir: Option<String>,
    /// Reverse proxies (addresses or CIDR blocks) whose `Forwarded` /
    /// `X-Forwarded-For` headers name the client ([`crate::http::client_addr`]).
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// `text` (the default, for people) or `json` (one object per line, for
    /// collectors). `PORTICO_LOG_FORMAT` overrides it.
    pub log_format: Option<LogFormat>,
    /// Serve `/metrics` only on this address (e.g. `127.0.0.1:9090`), not
    /// on `bind`. Unset: on `bind`, beside everything else.
    pub metrics_bind: Option<String>,
    /// When set, `/metrics` needs `Authorization: Bearer <this>`.
    pub metrics_token: Option<portico_core::protocol::secret::Secret>,
    /// Seconds requests under way get to finish after SIGTERM or SIGINT
    /// (default 20).
    pub shutdown_grace_secs: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!(
                "log format {other:?}: expected \"text\" or \"json\""
            )),
        }
    }
}

/// The default of `[server] shutdown_grace_secs`.
pub const SHUTDOWN_GRACE_SECS: u64 = 20;

impl ServerSection {
    pub fn shutdown_grace(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.shutdown_grace_secs.unwrap_or(SHUTDOWN_GRACE_SECS))
    }
}

/// `[tokens]`: lifetimes, in seconds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensSection {
    pub access_token_ttl_secs: Option<i64>,
    pub refresh_token_ttl_secs: Option<i64>,
    /// How long a rotated refresh token keeps working, answered with the
    /// same successor (default 0: strictly single use).
    pub refresh_token_grace_secs: Option<i64>,
    /// Lifetime of device and user codes (RFC 8628 expires_in; default 600).
    pub device_code_ttl_secs: Option<i64>,
    /// The polling interval devices start with (default 5).
    pub device_poll_interval_secs: Option<i64>,
    /// How long a sign-in may take from authorize to the answer (default
    /// 600); a pending request older than this is gone, and swept.
    pub auth_request_ttl_secs: Option<i64>,
}

impl TokensSection {
    pub fn apply(&self, c: &mut portico_core::ProviderConfig) -> Result<(), String> {
        let positive = |name: &str, v: i64, min: i64| {
            if v < min {
                Err(format!("[tokens] {name} must be at least {min}"))
            } else {
                Ok(v)
            }
        };
        if let Some(v) = self.access_token_ttl_secs {
            c.access_token_ttl = positive("access_token_ttl_secs", v, 1)?;
        }
        if let Some(v) = self.refresh_token_ttl_secs {
            c.refresh_token_ttl = positive("refresh_token_ttl_secs", v, 1)?;
        }
        if let Some(v) = self.refresh_token_grace_secs {
            c.refresh_token_grace = positive("refresh_token_grace_secs", v, 0)?;
        }
        if let Some(v) = self.device_code_ttl_secs {
            c.device_code_ttl = positive("device_code_ttl_secs", v, 10)?;
        }
        if let Some(v) = self.device_poll_interval_secs {
            c.device_poll_interval = positive("device_poll_interval_secs", v, 1)?;
        }
        if let Some(v) = self.auth_request_ttl_secs {
            c.auth_request_ttl = positive("auth_request_ttl_secs", v, 30)?;
        }
        Ok(())
    }
}

/// `[email]`: where mail goes out.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSection {
    /// `smtp://host[:port]` (plain: local relays only),
    /// `smtp+starttls://user:pass@host[:port]` or `smtps://user:pass@host[:port]`.
    /// It may hold a password: never printed.
    pub smtp_url: portico_core::protocol::secret::Secret,
    /// The sender, e.g. `Acme Accounts <no-reply@acme.example>`.
    pub from: String,
}

/// `[retention]`: how long what is kept for the record is kept, and how
/// often the sweeper deletes what has expired.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSection {
    /// Days audit entries are kept (default 90).
    pub audit_days: Option<i64>,
    /// Seconds between sweeps (default 60; 0 turns this instance's
    /// sweeper off, e.g. when another instance on the database sweeps).
    pub sweep_interval_secs: Option<u64>,
}

impl RetentionSection {
    pub fn apply(&self, c: &mut portico_core::ProviderConfig) -> Result<(), String> {
        if let Some(days) = self.audit_days {
            if !(1..=36_500).contains(&days) {
                return Err("[retention] audit_days must be between 1 and 36500".into());
            }
            c.audit_retention_days = days;
        }
        Ok(())
    }

    pub fn sweep_interval(&self) -> Option<std::time::Duration> {
        match self.sweep_interval_secs.unwrap_or(60) {
            0 => None,
            s => Some(std::time::Duration::from_secs(s)),
        }
    }
}

/// `[database]`: the connection pool.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSection {
    pub max_connections: Option<u32>,
    pub min_connections: Option<u32>,
    pub acquire_timeout_secs: Option<u64>,
    pub idle_timeout_secs: Option<u64>,
}

impl DatabaseSection {
    pub fn pool_settings(&self) -> Result<portico_store::PoolSettings, String> {
        let d = portico_store::PoolSettings::default();
        let s = portico_store::PoolSettings {
            max_connections: self.max_connections.unwrap_or(d.max_connections),
            min_connections: self.min_connections.unwrap_or(d.min_connections),
            acquire_timeout: self
                .acquire_timeout_secs
                .map_or(d.acquire_timeout, std::time::Duration::from_secs),
            idle_timeout: self
                .idle_timeout_secs
                .map(std::time::Duration::from_secs)
                .or(d.idle_timeout),
        };
        if s.max_connections == 0 || s.min_connections > s.max_connections {
            return Err(
                "[database] needs 0 < max_connections and min_connections <= max_connections"
                    .into(),
            );
        }
        Ok(s)
    }
}

/// One entrypoint file for `portico entrypoint put`: the same keys as one
/// `[[entrypoints]]` table of the config.
pub fn parse_entrypoint(text: &str) -> Result<Entrypoint, String> {
    let e: Entrypoint =
        toml::from_str(text).map_err(|e| format!("the entrypoint is not valid: {e}"))?;
    portico_core::services::entrypoint::check(&e)?;
    Ok(e)
}

pub fn load(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn parse(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| format!("the config is not valid: {e}"))
}

/// Apply the file's clients, entrypoints and users (core's provisioning).
pub async fn apply(p: &Provider, cfg: &FileConfig) -> Result<(), String> {
    portico_core::services::provision::apply(p, &cfg.entrypoints, &cfg.clients, &cfg.users).await
}

/// Disable the clients the file created and no longer lists; only when a
/// file was read (a start without one must not disable them all).
pub async fn disable_unlisted_clients(p: &Provider, cfg: &FileConfig) -> Result<(), String> {
    portico_core::services::provision::disable_unlisted_clients(p, &cfg.clients).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_core::infra::clock::ManualClock;
    use portico_core::infra::memory::MemoryStore;
    use portico_core::infra::random::SystemRandom;
    use std::sync::Arc;

    async fn provider() -> Provider {
        Provider::new(
            portico_core::ProviderConfig::new("https://id.example"),
            Arc::new(MemoryStore::default()),
            Arc::new(ManualClock::new(1_700_000_000)),
            Arc::new(SystemRandom),
        )
        .await
        .unwrap()
    }

    const SECRET: &str = "a-secret-of-at-least-32-characters-0123";

    #[tokio::test]
    async fn introspection_is_off_unless_set_and_needs_a_secret() {
        let p = provider().await;
        let cfg = parse(&format!(
            "[[clients]]\nid = \"rs\"\nsecret = \"{SECRET}\"\ngrant_types = [\"client_credentials\"]\nintrospection = true\n\n\
             [[clients]]\nid = \"app\"\nsecret = \"{SECRET}\"\ngrant_types = [\"client_credentials\"]\n"
        ))
        .unwrap();
        apply(&p, &cfg).await.unwrap();
        let rs = p.store.client("rs").await.unwrap().unwrap();
        let app = p.store.client("app").await.unwrap().unwrap();
        assert!(rs.introspection && rs.from_config);
        assert!(!app.introspection);
        let public = parse(
            "[[clients]]\nid = \"spa\"\nredirect_uris = [\"https://app.example/cb\"]\nintrospection = true\n",
        )
        .unwrap();
        let e = apply(&p, &public).await.unwrap_err();
        assert!(e.contains("introspection = true needs a secret"), "{e}");
        assert!(p.store.client("spa").await.unwrap().is_none());
    }
}

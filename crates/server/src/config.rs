//! `portico.toml`: server settings, clients, entrypoints and users, applied
//! idempotently at every start. Environment variables override the file.

use portico_core::Provider;
use portico_core::model::Entrypoint;
use serde::Deserialize;

/// `[email]`'s keys and rules are the mail module's; a problem is
/// `problems`' (a leaf, so mail can name both without importing this).
pub use crate::mail::EmailSection;
pub use crate::problems::Problem;
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
    /// Set the lifetimes the section gives on `c`; a value out of range is
    /// a problem and is left unset.
    fn set(&self, c: &mut portico_core::ProviderConfig) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut at_least = |name: &str, v: Option<i64>, min: i64, slot: &mut i64| match v {
            Some(v) if v < min => problems.push(Problem::new(
                format!("tokens.{name}"),
                format!("must be at least {min}"),
            )),
            Some(v) => *slot = v,
            None => {}
        };
        at_least(
            "access_token_ttl_secs",
            self.access_token_ttl_secs,
            1,
            &mut c.access_token_ttl,
        );
        at_least(
            "refresh_token_ttl_secs",
            self.refresh_token_ttl_secs,
            1,
            &mut c.refresh_token_ttl,
        );
        at_least(
            "refresh_token_grace_secs",
            self.refresh_token_grace_secs,
            0,
            &mut c.refresh_token_grace,
        );
        at_least(
            "device_code_ttl_secs",
            self.device_code_ttl_secs,
            10,
            &mut c.device_code_ttl,
        );
        at_least(
            "device_poll_interval_secs",
            self.device_poll_interval_secs,
            1,
            &mut c.device_poll_interval,
        );
        at_least(
            "auth_request_ttl_secs",
            self.auth_request_ttl_secs,
            30,
            &mut c.auth_request_ttl,
        );
        problems
    }

    pub fn apply(&self, c: &mut portico_core::ProviderConfig) -> Result<(), String> {
        fail(&self.set(c))
    }

    pub fn problems(&self) -> Vec<Problem> {
        self.set(&mut portico_core::ProviderConfig::new(CHECK_ISSUER))
    }
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
    fn set(&self, c: &mut portico_core::ProviderConfig) -> Vec<Problem> {
        match self.audit_days {
            Some(days) if !(1..=36_500).contains(&days) => vec![Problem::new(
                "retention.audit_days",
                "must be between 1 and 36500",
            )],
            Some(days) => {
                c.audit_retention_days = days;
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    pub fn apply(&self, c: &mut portico_core::ProviderConfig) -> Result<(), String> {
        fail(&self.set(c))
    }

    pub fn problems(&self) -> Vec<Problem> {
        self.set(&mut portico_core::ProviderConfig::new(CHECK_ISSUER))
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
    fn settings(&self) -> (portico_store::PoolSettings, Vec<Problem>) {
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
        let mut problems = Vec::new();
        if s.max_connections == 0 {
            problems.push(Problem::new(
                "database.max_connections",
                "must be at least 1",
            ));
        } else if s.min_connections > s.max_connections {
            problems.push(Problem::new(
                "database.min_connections",
                format!("must be at most max_connections ({})", s.max_connections),
            ));
        }
        (s, problems)
    }

    pub fn pool_settings(&self) -> Result<portico_store::PoolSettings, String> {
        let (settings, problems) = self.settings();
        fail(&problems)?;
        Ok(settings)
    }

    pub fn problems(&self) -> Vec<Problem> {
        self.settings().1
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
    read(text).map_err(|p| format!("the config is not valid: {}", one_line(&p)))
}

/// The problems on one line, as `serve` fails with them.
pub fn one_line(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn fail(problems: &[Problem]) -> Result<(), String> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(one_line(problems))
    }
}

/// The issuer the checks give the provider settings they build and drop.
const CHECK_ISSUER: &str = "urn:portico:config-check";

/// How many unknown keys one reading names before it gives up.
const MAX_UNKNOWN_KEYS: usize = 50;

/// Read a config: the config, or every problem reading it found.
pub fn read(text: &str) -> Result<FileConfig, Vec<Problem>> {
    match read_leniently(text) {
        (Some(cfg), problems) if problems.is_empty() => Ok(cfg),
        (_, problems) => Err(problems),
    }
}

/// Every problem of a config text, as `portico config check` prints them:
/// those reading it finds and, when it could be read without its unknown
/// keys, those [`FileConfig::problems`] finds.
pub fn check(text: &str) -> Vec<Problem> {
    let (cfg, mut problems) = read_leniently(text);
    problems.extend(cfg.map(|c| c.problems()).unwrap_or_default());
    problems
}

/// Read a config text. Each key serde does not know is a problem named
/// with its path and the nearest known key; it is taken out and the rest
/// read again (serde stops at the first), so all are named at once and
/// the config without them is returned too.
fn read_leniently(text: &str) -> (Option<FileConfig>, Vec<Problem>) {
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => return (None, vec![syntax_problem(text, &e)]),
    };
    let mut value = toml::Value::Table(table);
    let mut problems = Vec::new();
    for _ in 0..MAX_UNKNOWN_KEYS {
        let e = match serde_path_to_error::deserialize::<_, FileConfig>(value.clone()) {
            Ok(cfg) => return (Some(cfg), problems),
            Err(e) => e,
        };
        let mut path: Vec<serde_path_to_error::Segment> = e.path().iter().cloned().collect();
        let message = one_line_message(e.into_inner().message());
        let Some((name, expected)) = unknown_field(&message) else {
            // Anything else (a wrong type, a missing key) ends the reading.
            problems.push(Problem::new(key_path(&path), message));
            return (None, problems);
        };
        // The path ends at the table or, depending on where serde stopped,
        // at the unknown key itself.
        if matches!(path.last(), Some(serde_path_to_error::Segment::Map { key }) if *key == name) {
            path.pop();
        }
        let at = key_path(&path);
        let key = if at.is_empty() {
            name.clone()
        } else {
            format!("{at}.{name}")
        };
        let why = match nearest(&name, &expected) {
            Some(near) => format!("unknown key; did you mean `{near}`?"),
            None if expected.is_empty() => "unknown key".to_owned(),
            None => format!("unknown key (known: {})", expected.join(", ")),
        };
        problems.push(Problem::new(key, why));
        if !remove_key(&mut value, &path, &name) {
            return (None, problems);
        }
    }
    (None, problems)
}

/// A message of several lines (toml's "expected ..." goes on a line of
/// its own) on one.
fn one_line_message(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// `clients[2].redirect_uris` from serde_path_to_error's segments ("" at
/// the top).
fn key_path(path: &[serde_path_to_error::Segment]) -> String {
    let mut out = String::new();
    for s in path {
        match s {
            serde_path_to_error::Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            other => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&other.to_string());
            }
        }
    }
    out
}

/// serde's words for a key a table does not have: ``unknown field `x`,
/// expected one of `a`, `b` `` (or ``expected `a` or `b` ``, or ``there
/// are no fields``). The unknown name and the names it lists.
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let (name, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((name.to_owned(), expected))
}

/// The known key nearest to a misspelt one, if it is near enough to be
/// what was meant (clap's rule of thumb: a few edits, or a third of the
/// name).
fn nearest<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    let most = (name.chars().count() / 3).max(2);
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        .filter(|(d, _)| *d <= most)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

/// Take `name` out of the table at `path`; false if it is not there.
fn remove_key(value: &mut toml::Value, path: &[serde_path_to_error::Segment], name: &str) -> bool {
    let mut at = value;
    for s in path {
        let next = match (s, at) {
            (serde_path_to_error::Segment::Map { key }, toml::Value::Table(t)) => t.get_mut(key),
            (serde_path_to_error::Segment::Seq { index }, toml::Value::Array(a)) => {
                a.get_mut(*index)
            }
            _ => None,
        };
        match next {
            Some(v) => at = v,
            None => return false,
        }
    }
    match at {
        toml::Value::Table(t) => t.remove(name).is_some(),
        _ => false,
    }
}

/// A TOML syntax error, placed by line and column.
fn syntax_problem(text: &str, e: &toml::de::Error) -> Problem {
    let message = one_line_message(e.message());
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            Problem::new(format!("line {line}, column {column}"), message)
        }
        None => Problem::new("", message),
    }
}

impl FileConfig {
    /// Everything wrong with the file that can be seen without a database:
    /// each section's ranges, the clients', entrypoints' and users' rules
    /// (core's, the ones saving them applies), and the same key twice in a
    /// list. `serve` stops at these ([`apply`]); `portico config check`
    /// prints them all.
    pub fn problems(&self) -> Vec<Problem> {
        let mut all = self.server.problems();
        all.extend(self.database.problems());
        all.extend(self.tokens.problems());
        all.extend(self.retention.problems());
        all.extend(self.email.as_ref().and_then(crate::mail::check));
        for (i, c) in self.clients.iter().enumerate() {
            if let Err(p) = portico_core::services::provision::check_client(c, c.secret.is_some()) {
                all.push(Problem::new(format!("clients[{i}].{}", p.field), p.message));
            }
        }
        all.extend(twice(
            "clients",
            "client",
            self.clients.iter().map(|c| c.id.as_str()),
        ));
        for (i, e) in self.entrypoints.iter().enumerate() {
            for p in portico_core::services::entrypoint::problems(e) {
                all.push(Problem::new(
                    format!("entrypoints[{i}].{}", p.field),
                    format!("entrypoint {}: {}", e.id, p.message),
                ));
            }
        }
        all.extend(twice(
            "entrypoints",
            "entrypoint",
            self.entrypoints.iter().map(|e| e.id.as_str()),
        ));
        for (i, u) in self.users.iter().enumerate() {
            if let Some(p) = portico_core::services::accounts::validate_email(&u.email) {
                all.push(Problem::new(
                    format!("users[{i}].email"),
                    format!("user {}: {}", u.email, p.message),
                ));
            }
            for (j, r) in u.roles.iter().flatten().enumerate() {
                if let Err(e) = portico_core::services::roles::parse(r) {
                    all.push(Problem::new(
                        format!("users[{i}].roles[{j}]"),
                        format!("user {}: {e}", u.email),
                    ));
                }
            }
        }
        all.extend(twice(
            "users",
            "user",
            self.users
                .iter()
                .map(|u| portico_core::model::normalize_email(&u.email)),
        ));
        all
    }
}

/// The same id twice in a list: the second would silently replace the
/// first when the file is applied.
fn twice<S: AsRef<str>>(list: &str, what: &str, ids: impl Iterator<Item = S>) -> Vec<Problem> {
    let mut seen: std::collections::HashMap<String, usize> = Default::default();
    let mut problems = Vec::new();
    let key = if what == "user" { "email" } else { "id" };
    for (i, id) in ids.enumerate() {
        let id = id.as_ref().to_owned();
        match seen.get(&id) {
            Some(first) => problems.push(Problem::new(
                format!("{list}[{i}].{key}"),
                format!("{what} {id} is listed twice (also {list}[{first}])"),
            )),
            None => {
                seen.insert(id, i);
            }
        }
    }
    problems
}

impl ServerSection {
    pub fn problems(&self) -> Vec<Problem> {
        let mut all = Vec::new();
        if let Some(b) = &self.bind
            && let Some(p) = check_bind("server.bind", b)
        {
            all.push(p);
        }
        if let Some(b) = &self.metrics_bind
            && let Some(p) = check_bind("server.metrics_bind", b)
        {
            all.push(p);
        }
        if let Some(t) = &self.metrics_token
            && t.expose().len() < 16
        {
            all.push(Problem::new(
                "server.metrics_token",
                "must be at least 16 characters (a bearer token, not a password to remember)",
            ));
        }
        if let Some(g) = self.shutdown_grace_secs
            && g > 3600
        {
            all.push(Problem::new(
                "server.shutdown_grace_secs",
                "must be at most 3600",
            ));
        }
        if let Some(i) = &self.issuer
            && let Err(why) = check_issuer(i)
        {
            all.push(Problem::new("server.issuer", why));
        }
        for (i, p) in self.trusted_proxies.iter().enumerate() {
            // The server's own parser, one entry at a time, so the problem
            // names the entry.
            if let Err(why) =
                crate::http::client_addr::TrustedProxies::parse(std::slice::from_ref(p))
            {
                let why = why
                    .strip_prefix("[server] trusted_proxies: ")
                    .unwrap_or(&why)
                    .to_owned();
                all.push(Problem::new(format!("server.trusted_proxies[{i}]"), why));
            }
        }
        all
    }
}

/// `serve` binds `bind` as given: an address, or a name resolved at start,
/// with a port either way.
fn check_bind(key: &'static str, bind: &str) -> Option<Problem> {
    if bind.parse::<std::net::SocketAddr>().is_ok() {
        return None;
    }
    let named = bind.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty() && !host.contains([':', '[', ']', '/']) && port.parse::<u16>().is_ok()
    });
    (!named).then(|| {
        Problem::new(
            key,
            format!("{bind:?} is not an address with a port (e.g. 127.0.0.1:8080 or [::]:8080)"),
        )
    })
}

/// The issuer must be a URL (its host is the cookies' and passkeys').
pub fn check_issuer(issuer: &str) -> Result<(), String> {
    url::Url::parse(issuer)
        .map(|_| ())
        .map_err(|e| format!("the issuer {issuer} is not a URL: {e}"))
}

/// Apply the file's clients, entrypoints and users (core's provisioning),
/// after the checks `portico config check` makes: a file with any problem
/// changes nothing.
pub async fn apply(p: &Provider, cfg: &FileConfig) -> Result<(), String> {
    fail(&cfg.problems())?;
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

    fn keys(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|p| p.key.as_str()).collect()
    }

    #[tokio::test]
    async fn every_problem_is_named_with_its_key() {
        let cfg = read(&format!(
            r##"
[server]
bind = "127.0.0.1"
issuer = "not a url"
trusted_proxies = ["10.0.0.0/8", "::1", "lb.internal"]

[database]
max_connections = 0

[tokens]
access_token_ttl_secs = 0
device_code_ttl_secs = 5

[retention]
audit_days = 0

[email]
smtp_url = "ftp://mail.example"
from = "not an address"

[[clients]]
id = "fine"
redirect_uris = ["https://app.example/cb"]

[[clients]]
id = "short"
secret = "too short"
grant_types = ["client_credentials"]

[[clients]]
id = "fine"
redirect_uris = ["https://app.example/cb"]

[[entrypoints]]
id = "openid"
display_name = ""
x_methods = ["login"]

[[users]]
email = "ann@example.com"
name = "Ann"
password = "{SECRET}"
roles = ["admin", "root"]

[[users]]
email = "Ann@Example.com"
name = "Ann again"
password = "{SECRET}"
"##
        ))
        .unwrap();
        let problems = cfg.problems();
        assert_eq!(
            keys(&problems),
            [
                "server.bind",
                "server.issuer",
                "server.trusted_proxies[2]",
                "database.max_connections",
                "tokens.access_token_ttl_secs",
                "tokens.device_code_ttl_secs",
                "retention.audit_days",
                "email.smtp_url",
                "clients[1].secret",
                "clients[2].id",
                "entrypoints[0].id",
                "entrypoints[0].display_name",
                "users[0].roles[1]",
                "users[1].email",
            ],
            "{problems:#?}"
        );
        let said = one_line(&problems);
        assert!(
            said.contains("tokens.device_code_ttl_secs: must be at least 10"),
            "{said}"
        );
        assert!(
            said.contains("client fine is listed twice (also clients[0])"),
            "{said}"
        );
        assert!(
            said.contains("\"lb.internal\" is neither an address"),
            "{said}"
        );
    }

    #[test]
    fn a_good_file_has_no_problems() {
        let cfg = read(&format!(
            r##"
[server]
bind = "localhost:8080"
issuer = "https://id.example"
trusted_proxies = ["10.0.0.0/8", "::1"]
[database]
max_connections = 4
min_connections = 1
[tokens]
access_token_ttl_secs = 300
[retention]
audit_days = 30
[email]
smtp_url = "smtp+starttls://u:p@mail.example:587"
from = "Acme <no-reply@acme.example>"
[[clients]]
id = "app"
secret = "{SECRET}"
redirect_uris = ["https://app.example/cb"]
[[users]]
email = "ann@example.com"
name = "Ann"
password = "{SECRET}"
roles = ["admin"]
"##
        ))
        .unwrap();
        assert_eq!(cfg.problems(), []);
    }

    #[test]
    fn unknown_keys_are_all_named_with_the_key_they_likely_meant() {
        let problems = read(
            "[servre]\nbind = \"x\"\n[tokens]\nacess_token_ttl_secs = 5\nzzzz = 1\n\
             [[clients]]\nid = \"a\"\nredirect_uris = [\"https://a.example/cb\"]\n\
             [[clients]]\nid = \"b\"\nredirct_uris = [\"https://b.example/cb\"]\n",
        )
        .unwrap_err();
        let said: Vec<String> = problems.iter().map(Problem::to_string).collect();
        assert!(
            said.contains(&"servre: unknown key; did you mean `server`?".to_owned()),
            "{said:?}"
        );
        assert!(
            said.contains(
                &"tokens.acess_token_ttl_secs: unknown key; did you mean `access_token_ttl_secs`?"
                    .to_owned()
            ),
            "{said:?}"
        );
        assert!(
            said.contains(
                &"clients[1].redirct_uris: unknown key; did you mean `redirect_uris`?".to_owned()
            ),
            "{said:?}"
        );
        // Nothing near: the known keys are listed instead.
        let zzzz = said
            .iter()
            .find(|s| s.starts_with("tokens.zzzz: "))
            .unwrap();
        assert!(zzzz.contains("known: access_token_ttl_secs"), "{zzzz}");
        assert_eq!(said.len(), 4, "{said:?}");
        // config check goes on to the rest of the file without them.
        let all = check("[tokens]\nacess_token_ttl_secs = 5\nrefresh_token_ttl_secs = 0\n");
        assert_eq!(
            keys(&all),
            [
                "tokens.acess_token_ttl_secs",
                "tokens.refresh_token_ttl_secs"
            ],
            "{all:?}"
        );
    }

    #[test]
    fn a_wrong_type_or_a_syntax_error_is_placed() {
        let p = read("[tokens]\naccess_token_ttl_secs = \"soon\"\n").unwrap_err();
        assert_eq!(keys(&p), ["tokens.access_token_ttl_secs"], "{p:?}");
        let p = read("[server]\nbind = \n").unwrap_err();
        assert_eq!(keys(&p), ["line 2, column 8"], "{p:?}");
        assert!(!p[0].message.contains('\n'), "one line: {p:?}");
    }

    #[tokio::test]
    async fn serve_stops_at_the_words_config_check_prints() {
        let cfg = read(
            "[tokens]\naccess_token_ttl_secs = 0\n[database]\nmin_connections = 20\n\
             [retention]\naudit_days = 99999\n[[clients]]\nid = \"a\"\n",
        )
        .unwrap();
        let problems = cfg.problems();
        let mut c = portico_core::ProviderConfig::new("https://id.example");
        let said = |p: &str| {
            problems
                .iter()
                .find(|x| x.key == p)
                .map(Problem::to_string)
                .unwrap()
        };
        assert_eq!(
            cfg.tokens.apply(&mut c).unwrap_err(),
            said("tokens.access_token_ttl_secs")
        );
        assert_eq!(
            cfg.retention.apply(&mut c).unwrap_err(),
            said("retention.audit_days")
        );
        assert_eq!(
            cfg.database.pool_settings().unwrap_err(),
            said("database.min_connections")
        );
        let p = provider().await;
        let e = apply(&p, &cfg).await.unwrap_err();
        assert_eq!(e, one_line(&problems));
        assert!(
            e.contains("clients[0].redirect_uris: client a: redirect_uris is empty"),
            "{e}"
        );
    }

    #[test]
    fn the_operations_keys_are_checked_with_their_names() {
        let problems = check(
            "[server]\nmetrics_bind = \"9090\"\nmetrics_token = \"short\"\nshutdown_grace_secs = 7200\n",
        );
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "server.metrics_bind",
                "server.metrics_token",
                "server.shutdown_grace_secs"
            ],
            "{problems:?}"
        );
        let bad_format = check("[server]\nlog_format = \"xml\"\n");
        assert_eq!(bad_format.len(), 1, "{bad_format:?}");
        assert!(
            bad_format[0].to_string().contains("log_format"),
            "{bad_format:?}"
        );
        assert!(
            check("[server]\nlog_format = \"json\"\nmetrics_bind = \"127.0.0.1:9090\"\nmetrics_token = \"0123456789abcdef\"\nshutdown_grace_secs = 5\n")
                .is_empty()
        );
    }

    #[test]
    fn bind_takes_an_address_or_a_name_with_a_port() {
        for ok in ["127.0.0.1:8080", "[::]:8080", "0.0.0.0:0", "localhost:8080"] {
            assert_eq!(check_bind("server.bind", ok), None, "{ok}");
        }
        for bad in ["127.0.0.1", "localhost", ":8080", "::1:8080x", "host:99999"] {
            assert!(check_bind("server.bind", bad).is_some(), "{bad}");
        }
    }
}

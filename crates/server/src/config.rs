//! `portico.toml`: server settings, clients, entrypoints and users, applied
//! idempotently at every start. Environment variables override the file.

use portico_core::Provider;
use portico_core::accounts::{hash_password, normalize_email, validate_email};
use portico_core::audit::{self, Event};
use portico_core::clients;
use portico_core::model::{Client, DisabledBy, Entrypoint, User};
use portico_core::redirect::check_registrable;
use portico_core::scope::DEFAULT_ENTRYPOINT;
use portico_core::secret::Secret;
use serde::Deserialize;
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub id: String,
    pub name: Option<String>,
    /// Absent: a public client (PKCE S256 required).
    pub secret: Option<Secret>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default = "default_grants")]
    pub grant_types: Vec<String>,
    #[serde(default = "default_response_types")]
    pub response_types: Vec<String>,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub first_party: bool,
    pub id_token_signed_response_alg: Option<String>,
    /// RFC 9126: only pushed authorization requests are accepted.
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// Where RP-initiated logout may return the browser (exact match).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// RFC 7662: may call the introspection endpoint (resource servers;
    /// needs a secret). Default false.
    #[serde(default)]
    pub introspection: bool,
}

fn default_grants() -> Vec<String> {
    vec!["authorization_code".into(), "refresh_token".into()]
}
fn default_response_types() -> Vec<String> {
    vec!["code".into()]
}
fn default_scopes() -> Vec<String> {
    ["openid", "profile", "email", "offline_access"]
        .map(String::from)
        .to_vec()
}

/// One entrypoint file for `portico entrypoint put`: the same keys as one
/// `[[entrypoints]]` table of the config.
pub fn parse_entrypoint(text: &str) -> Result<Entrypoint, String> {
    let e: Entrypoint =
        toml::from_str(text).map_err(|e| format!("the entrypoint is not valid: {e}"))?;
    portico_core::entrypoint::check(&e)?;
    Ok(e)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub email: String,
    pub name: String,
    pub password: Secret,
    #[serde(default)]
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

pub fn load(path: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn parse(text: &str) -> Result<FileConfig, String> {
    toml::from_str(text).map_err(|e| format!("the config is not valid: {e}"))
}

const MIN_CLIENT_SECRET_LEN: usize = 32;

/// Check what the store would not: redirect URIs, algorithms, secrets.
fn client_record(p: &Provider, c: &ClientConfig) -> Result<Client, String> {
    if c.id.is_empty() {
        return Err("a client has an empty id".into());
    }
    let grants = [
        "authorization_code",
        "implicit",
        "refresh_token",
        "client_credentials",
        "password",
        portico_core::model::GRANT_DEVICE_CODE,
    ];
    if let Some(bad) = c.grant_types.iter().find(|g| !grants.contains(&g.as_str())) {
        return Err(format!(
            "client {}: unknown grant type {bad} (known: {})",
            c.id,
            grants.join(", ")
        ));
    }
    if let Some(bad) = c
        .response_types
        .iter()
        .find(|r| portico_core::authorize::normalize_response_type(r).is_none())
    {
        return Err(format!(
            "client {}: unknown response type \"{bad}\" (known: {})",
            c.id,
            portico_core::authorize::RESPONSE_TYPES.join(", ")
        ));
    }
    let redirects = c
        .grant_types
        .iter()
        .any(|g| g == "authorization_code" || g == "implicit");
    if c.redirect_uris.is_empty() && redirects {
        return Err(format!("client {}: redirect_uris is empty", c.id));
    }
    for uri in c.redirect_uris.iter().chain(&c.post_logout_redirect_uris) {
        check_registrable(uri)
            .map_err(|why| format!("client {}: redirect URI {uri} {why}", c.id))?;
    }
    if let Some(alg) = &c.id_token_signed_response_alg
        && !["RS256", "ES256"].contains(&alg.as_str())
    {
        return Err(format!(
            "client {}: id_token_signed_response_alg must be RS256 or ES256",
            c.id
        ));
    }
    if let Some(s) = &c.secret
        && s.expose().len() < MIN_CLIENT_SECRET_LEN
    {
        return Err(format!(
            "client {}: the secret must have at least {MIN_CLIENT_SECRET_LEN} characters",
            c.id
        ));
    }
    if c.introspection && c.secret.is_none() {
        return Err(format!(
            "client {}: introspection = true needs a secret (public clients cannot introspect)",
            c.id
        ));
    }
    Ok(Client {
        id: c.id.clone(),
        name: c.name.clone().unwrap_or_else(|| c.id.clone()),
        secret_hash: c.secret.as_ref().map(|s| p.client_secrets.hash(s.expose())),
        redirect_uris: c.redirect_uris.clone(),
        grant_types: c.grant_types.clone(),
        response_types: c.response_types.clone(),
        scopes: c.scopes.clone(),
        first_party: c.first_party,
        id_token_signed_response_alg: c.id_token_signed_response_alg.clone(),
        require_pushed_authorization_requests: c.require_pushed_authorization_requests,
        post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
        introspection: c.introspection,
        from_config: true,
        disabled: None,
        tokens_not_before: 0,
    })
}

/// Apply the file to the store. Safe to run at every start.
pub async fn apply(p: &Provider, cfg: &FileConfig) -> Result<(), String> {
    // Check them all before saving any, so a bad file changes nothing.
    for e in &cfg.entrypoints {
        portico_core::entrypoint::check(e)?;
    }
    let default = Entrypoint::new(DEFAULT_ENTRYPOINT, "Portico");
    if p.store
        .entrypoint(DEFAULT_ENTRYPOINT)
        .await
        .map_err(|e| e.to_string())?
        .is_none()
    {
        p.store
            .upsert_entrypoint(&default)
            .await
            .map_err(|e| e.to_string())?;
    }
    for e in &cfg.entrypoints {
        p.store
            .upsert_entrypoint(e)
            .await
            .map_err(|e| e.to_string())?;
    }
    let records = cfg
        .clients
        .iter()
        .map(|c| client_record(p, c))
        .collect::<Result<Vec<_>, _>>()?;
    for mut rec in records {
        let before = p.store.client(&rec.id).await.map_err(|e| e.to_string())?;
        // The file does not say whether a client is disabled (nor which of
        // its tokens died with a disable): that state is kept, and lifted
        // below only when the file itself set it.
        rec.disabled = before.as_ref().and_then(|b| b.disabled);
        rec.tokens_not_before = before.as_ref().map_or(0, |b| b.tokens_not_before);
        if before.as_ref() != Some(&rec) {
            if before.is_none() {
                // A new client starts with nothing: a deleted client of
                // the same id may have left grants made by an instance
                // whose cache still had it.
                p.store
                    .revoke_grants_of_client(&rec.id, p.now())
                    .await
                    .map_err(|e| e.to_string())?;
            }
            p.upsert_client(&rec).await.map_err(|e| e.to_string())?;
            let event = if before.is_some() {
                Event::ClientUpdated
            } else {
                Event::ClientCreated
            };
            let e = event.entry().client(&rec.id).detail("from the config file");
            audit::record(p, e).await.map_err(|e| e.to_string())?;
        }
        if rec.disabled == Some(DisabledBy::Config) {
            clients::enable(p, &rec.id, "listed in the config file again")
                .await
                .map_err(|e| e.to_string())?;
            tracing::warn!(client_id = %rec.id, "client listed in the config file again: enabled");
        }
    }
    for u in &cfg.users {
        if let Some(m) = validate_email(&u.email) {
            return Err(format!("user {}: {}", u.email, m.message));
        }
        let email = normalize_email(&u.email);
        // Keep the stored hash when the password has not changed, so the
        // record stays stable across restarts (no new salt, no write). This
        // costs one argon2 verify per configured user at start, the same as
        // hashing would; it saves the write, not the work.
        let mut existing = p
            .store
            .user_by_email(&email)
            .await
            .map_err(|e| e.to_string())?;
        // Never hand a stranger's account (sessions, grants, sub) to the
        // provisioned person.
        if let Some(x) = &existing
            && portico_core::accounts::reclaim_self_registered(p, x)
                .await
                .map_err(|e| e.to_string())?
        {
            existing = None;
        }
        let same = match &existing {
            Some(x) => portico_core::password::verify(u.password.clone(), x.password_hash.clone())
                .await
                .map_err(|e| e.to_string())?,
            None => false,
        };
        let password_hash = match (&existing, same) {
            (Some(x), true) => x.password_hash.clone(),
            _ => hash_password(p, u.password.clone())
                .await
                .map_err(|e| e.to_string())?,
        };
        let user = User {
            id: existing
                .as_ref()
                .map_or_else(|| p.random.token(16), |x| Ok(x.id.clone()))
                .map_err(|e| e.to_string())?,
            email,
            email_verified: u.email_verified,
            name: u.name.clone(),
            given_name: u.given_name.clone(),
            family_name: u.family_name.clone(),
            phone_number: None,
            birthdate: None,
            terms_accepted_at: None,
            password_hash,
            created_at: p.now(),
            updated_at: p.now(),
            self_registered: false,
        };
        // Keep updated_at when the profile is unchanged (applied every start).
        let user = match &existing {
            Some(x)
                if x.name == user.name
                    && x.given_name == user.given_name
                    && x.family_name == user.family_name
                    && x.email_verified == user.email_verified =>
            {
                User {
                    updated_at: x.updated_at,
                    ..user
                }
            }
            _ => user,
        };
        p.store
            .upsert_user_by_email(&user)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Disable every client the file created that it no longer lists (a warning
/// in the log and an entry in the audit log each). Disabled, not deleted:
/// its grants are revoked, and `portico client delete` removes it for good.
/// Run only when a config file was read: a server started without one (a
/// wrong working directory) must not disable every configured client.
pub async fn disable_unlisted_clients(p: &Provider, cfg: &FileConfig) -> Result<(), String> {
    let listed: std::collections::HashSet<&str> =
        cfg.clients.iter().map(|c| c.id.as_str()).collect();
    for c in p.store.clients().await.map_err(|e| e.to_string())? {
        if !c.from_config || c.is_disabled() || listed.contains(c.id.as_str()) {
            continue;
        }
        let done = clients::disable(p, &c.id, DisabledBy::Config, "no longer in the config file")
            .await
            .map_err(|e| e.to_string())?;
        if let clients::Outcome::Done { grants_revoked } = done {
            tracing::warn!(
                client_id = %c.id,
                grants_revoked,
                "client no longer in the config file: disabled (portico client delete removes it)"
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use portico_core::clock::ManualClock;
    use portico_core::memory::MemoryStore;
    use portico_core::random::SystemRandom;
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

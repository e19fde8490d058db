//! Admin commands that read or change things without serving: `portico
//! audit`, `portico client secret|list|disable|enable|delete` and `portico
//! keys list|rotate|retire`.

use portico_core::infra::clock::SystemClock;
use portico_core::infra::jose::KEY_REFRESH;
use portico_core::infra::random::{Random, SystemRandom};
use portico_core::infra::store::Store;
use portico_core::model::{Client, DisabledBy};
use portico_core::protocol::types::SigningAlg;
use portico_core::services::audit::{Actor, Filter, Record};
use portico_core::services::clients::{self, Outcome};
use portico_core::services::keys::{self, KeyInfo, KeyState};
use portico_core::{Provider, ProviderConfig};
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A time given on the command line: RFC 3339 (`2026-11-21T09:30:00Z`), a
/// UTC date (`2026-11-21`, its midnight) or Unix seconds.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<i64>() {
        return Ok(secs);
    }
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t.unix_timestamp());
    }
    let date_format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(s, &date_format)
        .map(|d| d.midnight().assume_utc().unix_timestamp())
        .map_err(|_| {
            format!("{s} is not a time: use 2026-11-21T09:30:00Z, 2026-11-21 or Unix seconds")
        })
}

/// The filter of `portico audit`: `exact` holds the options matched as
/// they are (user, client, event, actor), the times are parsed here.
pub fn filter(
    exact: Filter,
    since: Option<&str>,
    until: Option<&str>,
    limit: i64,
) -> Result<Filter, String> {
    if !(1..=100_000).contains(&limit) {
        return Err("--limit must be between 1 and 100000".into());
    }
    Ok(Filter {
        since: since.map(parse_time).transpose()?,
        until: until.map(parse_time).transpose()?,
        limit,
        ..exact
    })
}

/// One entry as a line: time, event, then what is known, tab-separated.
pub fn line(r: &Record) -> String {
    let at = OffsetDateTime::from_unix_timestamp(r.at)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| r.at.to_string());
    let mut out = format!("{at}\t{}", r.event);
    for (k, v) in [
        ("user", &r.user_id),
        ("client", &r.client_id),
        ("ip", &r.ip),
        ("by", &r.actor),
    ] {
        if let Some(v) = v {
            out.push_str(&format!("\t{k}={v}"));
        }
    }
    if !r.detail.is_empty() {
        out.push_str(&format!("\t{}", r.detail));
    }
    out
}

/// One entry as a JSON object (`portico audit --json`, one per line).
pub fn json(r: &Record) -> serde_json::Value {
    serde_json::json!({
        "id": r.id,
        "at": r.at,
        "event": r.event,
        "user_id": r.user_id,
        "client_id": r.client_id,
        "ip": r.ip,
        "detail": r.detail,
        "actor": r.actor,
    })
}

/// A new client secret: 256 random bits, base64url (43 characters).
pub fn new_client_secret() -> Result<String, String> {
    SystemRandom.token(32).map_err(|e| e.to_string())
}

/// A provider for the client commands: they change records and write the
/// audit log, and issue nothing, so the issuer is a placeholder.
pub async fn provider(store: Arc<dyn Store>) -> Result<Provider, String> {
    let config = ProviderConfig {
        // Read the store every time: a CLI run is one command.
        client_cache_ttl: 0,
        ..ProviderConfig::new("urn:portico:cli")
    };
    Provider::new(config, store, Arc::new(SystemClock), Arc::new(SystemRandom))
        .await
        .map_err(|e| e.to_string())
}

/// `portico user invite`: the account is made and the mail queued; a
/// running server with `[email]` delivers it.
pub async fn invite_user(
    store: Arc<dyn Store>,
    issuer: &str,
    email: &str,
    name: Option<&str>,
) -> Result<String, String> {
    use portico_core::services::recovery::{InviteError, invite};
    url::Url::parse(issuer).map_err(|e| format!("the issuer {issuer} is not a URL: {e}"))?;
    let config = ProviderConfig {
        mail: true,
        ..ProviderConfig::new(issuer)
    };
    let p = Provider::new(config, store, Arc::new(SystemClock), Arc::new(SystemRandom))
        .await
        .map_err(|e| e.to_string())?;
    let name = name
        .map(str::to_owned)
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email).to_owned());
    match invite(&p, email, &name).await {
        Ok(u) => Ok(format!(
            "portico: {} invited (user id {}); the link is in the outbox",
            u.email, u.id
        )),
        Err(InviteError::Exists) => Err(format!("portico: {email} already has an account")),
        Err(InviteError::Invalid(why)) => Err(format!("portico: {email}: {why}")),
        Err(InviteError::NoMail) => Err("portico: mail is off".into()),
        Err(InviteError::Other(e)) => Err(e.to_string()),
    }
}

/// `portico user role EMAIL ROLE [--remove]`.
pub async fn set_role(p: &Provider, email: &str, role: &str, on: bool) -> Result<String, String> {
    use portico_core::services::roles;
    let email = portico_core::services::accounts::normalize_email(email);
    let user = p
        .store
        .user_by_email(&email)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("portico: no user {email}"))?;
    let changed = roles::set(p, &user.id, role, on, &Actor::Cli)
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("portico: {email}: {e}"))?;
    Ok(match (on, changed) {
        (true, true) => format!("portico: {email} is now {role}"),
        (true, false) => format!("portico: {email} already is {role}"),
        (false, true) => format!("portico: {email} is no longer {role}"),
        (false, false) => format!("portico: {email} was not {role}"),
    })
}

fn state(c: &Client) -> &'static str {
    match c.disabled {
        None => "enabled",
        Some(DisabledBy::Admin) => "disabled",
        Some(DisabledBy::Config) => "disabled (not in the config file)",
    }
}

/// `portico client list`: one line per client, tab-separated.
pub async fn client_lines(p: &Provider) -> Result<Vec<String>, String> {
    let all = p.store.clients().await.map_err(|e| e.to_string())?;
    Ok(all
        .iter()
        .map(|c| {
            let origin = if c.from_config { "config" } else { "-" };
            format!("{}\t{}\t{origin}\t{}", c.id, state(c), c.name)
        })
        .collect())
}

/// How long running servers may take to see a change ([`ProviderConfig::client_cache_ttl`]).
fn within() -> String {
    let ttl = ProviderConfig::new("x").client_cache_ttl;
    format!("running servers see it within {ttl} seconds")
}

fn no_such(id: &str) -> String {
    format!("no client {id}")
}

/// `portico client disable ID`.
pub async fn disable_client(p: &Provider, id: &str) -> Result<String, String> {
    match clients::disable(
        p,
        id,
        DisabledBy::Admin,
        &Actor::Cli,
        "disabled with portico client disable",
    )
    .await
    .map_err(|e| e.to_string())?
    {
        Outcome::Done { grants_revoked } => Ok(format!(
            "portico: client {id} disabled, {grants_revoked} grant(s) revoked; {}",
            within()
        )),
        Outcome::Unchanged => Ok(format!("portico: client {id} is already disabled")),
        Outcome::NotFound => Err(no_such(id)),
    }
}

/// `portico client enable ID`.
pub async fn enable_client(p: &Provider, id: &str) -> Result<String, String> {
    match clients::enable(p, id, &Actor::Cli, "enabled with portico client enable")
        .await
        .map_err(|e| e.to_string())?
    {
        Outcome::Done { .. } => Ok(format!(
            "portico: client {id} enabled (its old grants stay revoked); {}",
            within()
        )),
        Outcome::Unchanged => Ok(format!("portico: client {id} is already enabled")),
        Outcome::NotFound => Err(no_such(id)),
    }
}

/// `portico client delete ID`.
pub async fn delete_client(p: &Provider, id: &str) -> Result<String, String> {
    match clients::delete(p, id, &Actor::Cli, "deleted with portico client delete")
        .await
        .map_err(|e| e.to_string())?
    {
        Outcome::Done { grants_revoked } => Ok(format!(
            "portico: client {id} deleted, {grants_revoked} grant(s) revoked; {}",
            within()
        )),
        Outcome::Unchanged | Outcome::NotFound => Err(no_such(id)),
    }
}

/// `portico keys`: the signing keys (see `services::keys` for their life).
#[derive(Debug, clap::Subcommand)]
pub enum KeysCommand {
    /// List the signing keys: kid, alg, state (next, signing, verifying
    /// until a time, retired), created.
    List,
    /// Rotate in a new key. It is published at once and signs after 6
    /// minutes, so every cache of the JWKS knows it first; the old key
    /// keeps verifying until every token it signed has expired.
    Rotate {
        /// Only this algorithm (default: both).
        #[arg(long, value_parser = ["ES256", "RS256"])]
        alg: Option<String>,
        /// Sign with the new key at once (a suspected compromise; then
        /// `portico keys retire` the old one).
        #[arg(long)]
        now: bool,
    },
    /// Retire a key at once: gone from the JWKS, tokens it signed stop
    /// verifying. Refused for the key that signs now (rotate --now first);
    /// a key waiting to sign is cancelled.
    Retire {
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
}

fn utc(t: i64) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}

fn key_state(k: &KeyInfo) -> String {
    match k.state {
        KeyState::Next => format!("next (signs from {})", utc(k.signs_from)),
        KeyState::Verifying { until } => format!("verifying until {}", utc(until)),
        s => s.as_str().to_owned(),
    }
}

/// One key as a line: kid, alg, state, created, tab-separated.
pub fn key_line(k: &KeyInfo) -> String {
    format!(
        "{}\t{}\t{}\t{}",
        k.kid,
        k.alg.as_str(),
        key_state(k),
        utc(k.created_at)
    )
}

/// Run a `portico keys` command on `p` and return what to print.
pub async fn keys_command(p: &Provider, cmd: KeysCommand) -> Result<Vec<String>, String> {
    match cmd {
        KeysCommand::List => Ok(keys::list(p)
            .await
            .map_err(|e| e.to_string())?
            .iter()
            .map(key_line)
            .collect()),
        KeysCommand::Rotate { alg, now } => {
            let alg = alg
                .map(|a| SigningAlg::parse(&a).ok_or(format!("unknown algorithm {a}")))
                .transpose()?;
            let new = keys::rotate(p, alg, now, &Actor::Cli)
                .await
                .map_err(|e| e.to_string())?;
            let mut out: Vec<String> = new
                .iter()
                .map(|k| {
                    let when = if k.signs_from <= p.now() {
                        "signs now".to_owned()
                    } else {
                        format!("signs from {}", utc(k.signs_from))
                    };
                    format!("portico: new {} key {} {when}", k.alg.as_str(), k.kid)
                })
                .collect();
            out.push(format!(
                "portico: running servers use it within {KEY_REFRESH} seconds"
            ));
            Ok(out)
        }
        KeysCommand::Retire { kid } => {
            keys::retire(p, &kid, &Actor::Cli)
                .await
                .map_err(|e| e.to_string())?;
            Ok(vec![format!(
                "portico: key {kid} retired; running servers drop it within {KEY_REFRESH} seconds"
            )])
        }
    }
}

/// A provider for `portico keys`, with the file's token lifetimes: they
/// decide how long an old key keeps verifying.
pub async fn keys_provider(
    store: Arc<dyn Store>,
    file: Option<&crate::config::FileConfig>,
) -> Result<Provider, String> {
    let mut config = ProviderConfig::new("urn:portico:cli");
    if let Some(f) = file {
        f.tokens.apply(&mut config)?;
    }
    Provider::new(config, store, Arc::new(SystemClock), Arc::new(SystemRandom))
        .await
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_lines_say_when() {
        let k = KeyInfo {
            kid: "k1".into(),
            alg: SigningAlg::ES256,
            state: KeyState::Verifying {
                until: 1_700_000_000,
            },
            created_at: 1_699_920_000,
            signs_from: 1_699_920_000,
            signs_until: Some(1_699_990_000),
        };
        assert_eq!(
            key_line(&k),
            "k1\tES256\tverifying until 2023-11-14T22:13:20Z\t2023-11-14T00:00:00Z"
        );
    }

    #[test]
    fn times_parse_in_three_forms() {
        assert_eq!(parse_time("1700000000"), Ok(1_700_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000));
        assert_eq!(parse_time("2023-11-14"), Ok(1_699_920_000));
        assert!(parse_time("yesterday").unwrap_err().contains("not a time"));
        assert!(filter(Filter::default(), None, None, 0).is_err());
    }

    #[test]
    fn lines_show_what_is_known() {
        let r = Record {
            id: 1,
            at: 1_700_000_000,
            event: "login.failed".into(),
            user_id: Some("u1".into()),
            client_id: None,
            ip: Some("192.0.2.1".into()),
            detail: "wrong password".into(),
            actor: None,
        };
        assert_eq!(
            line(&r),
            "2023-11-14T22:13:20Z\tlogin.failed\tuser=u1\tip=192.0.2.1\twrong password"
        );
        assert_eq!(json(&r)["client_id"], serde_json::Value::Null);
    }

    #[test]
    fn client_secrets_carry_256_bits() {
        let a = new_client_secret().unwrap();
        let b = new_client_secret().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}

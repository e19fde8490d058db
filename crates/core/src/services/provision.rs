//! Provisioning: the clients, entrypoints and users an operator declares
//! (the server reads them from `portico.toml`), checked and applied to the
//! store idempotently at every start. Domain rules only; the file format
//! and its other sections are the server's.

use crate::Provider;
use crate::model::{Client, DisabledBy, Entrypoint, User};
use crate::protocol::redirect::check_registrable;
use crate::protocol::scope::DEFAULT_ENTRYPOINT;
use crate::protocol::secret::Secret;
use crate::protocol::types::{ResponseType, SigningAlg};
use crate::services::accounts::{hash_password, normalize_email, validate_email};
use crate::services::audit::{self, Event};
use crate::services::clients;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
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
    /// Every sign-in for this client needs a second factor.
    #[serde(default)]
    pub require_mfa: bool,
    /// Where RP-initiated logout may return the browser (exact match).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// RFC 7662: may call the introspection endpoint (resource servers;
    /// needs a secret). Default false.
    #[serde(default)]
    pub introspection: bool,
}

pub fn default_grants() -> Vec<String> {
    vec!["authorization_code".into(), "refresh_token".into()]
}
pub fn default_response_types() -> Vec<String> {
    vec!["code".into()]
}
pub fn default_scopes() -> Vec<String> {
    ["openid", "profile", "email", "offline_access"]
        .map(String::from)
        .to_vec()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    pub email: String,
    pub name: String,
    pub password: Secret,
    #[serde(default)]
    pub email_verified: bool,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// Roles (`["admin"]`). Absent: the stored roles are left as they are
    /// (given with the CLI or the cockpit); present: exactly these.
    pub roles: Option<Vec<String>>,
}

pub const MIN_CLIENT_SECRET_LEN: usize = 32;

/// A rule a client breaks: the field at fault and a sentence that starts
/// with the client's id (what the config file and the CLI print).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The scope of the admin API's client_credentials tokens (named once,
/// in api-types).
pub use portico_api_types::admin::ADMIN_SCOPE;

/// Longest client id: ids appear in URLs and in the audit log.
pub const MAX_CLIENT_ID: usize = 128;
/// Longest client name (shown on the consent screen).
pub const MAX_CLIENT_NAME: usize = 200;

/// The record a spec makes, checked ([`check_client`]).
pub fn client_record(p: &Provider, c: &ClientSpec) -> Result<Client, Problem> {
    check_client(c, c.secret.is_some())?;
    Ok(record(p, c))
}

/// The record an edit of `before` makes, checked: the secret, the state
/// (disabled, the tokens that died with a disable) and where the client
/// came from are kept; the spec's secret is ignored.
pub fn edited_client_record(
    p: &Provider,
    c: &ClientSpec,
    before: &Client,
) -> Result<Client, Problem> {
    check_client(c, before.secret_hash.is_some())?;
    Ok(Client {
        secret_hash: before.secret_hash.clone(),
        disabled: before.disabled,
        tokens_not_before: before.tokens_not_before,
        from_config: before.from_config,
        ..record(p, c)
    })
}

/// Check what the store would not: ids, redirect URIs, algorithms,
/// secrets, and who may hold the admin scope. The config file, the CLI and
/// the admin API all come here, so their rules are one. `has_secret`: the
/// client is confidential (its secret may be stored rather than given).
pub fn check_client(c: &ClientSpec, has_secret: bool) -> Result<(), Problem> {
    let problem = |field: &'static str, why: String| Problem {
        field,
        message: format!("client {}: {why}", c.id),
    };
    if c.id.is_empty() {
        return Err(Problem {
            field: "id",
            message: "a client has an empty id".into(),
        });
    }
    if c.id.chars().count() > MAX_CLIENT_ID
        || c.id.chars().any(|ch| ch.is_control() || ch.is_whitespace())
    {
        return Err(problem(
            "id",
            format!("the id must have at most {MAX_CLIENT_ID} characters and no spaces"),
        ));
    }
    if c.name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_CLIENT_NAME)
    {
        return Err(problem(
            "name",
            format!("the name must have at most {MAX_CLIENT_NAME} characters"),
        ));
    }
    let grants = [
        "authorization_code",
        "implicit",
        "refresh_token",
        "client_credentials",
        "password",
        crate::protocol::types::GRANT_DEVICE_CODE,
    ];
    if let Some(bad) = c.grant_types.iter().find(|g| !grants.contains(&g.as_str())) {
        return Err(problem(
            "grant_types",
            format!("unknown grant type {bad} (known: {})", grants.join(", ")),
        ));
    }
    if let Some(bad) = c
        .response_types
        .iter()
        .find(|r| ResponseType::parse(r).is_none())
    {
        return Err(problem(
            "response_types",
            format!(
                "unknown response type \"{bad}\" (known: {})",
                ResponseType::ALL.map(ResponseType::as_str).join(", ")
            ),
        ));
    }
    let redirects = c
        .grant_types
        .iter()
        .any(|g| g == "authorization_code" || g == "implicit");
    if c.redirect_uris.is_empty() && redirects {
        return Err(problem("redirect_uris", "redirect_uris is empty".into()));
    }
    for (field, uris) in [
        ("redirect_uris", &c.redirect_uris),
        ("post_logout_redirect_uris", &c.post_logout_redirect_uris),
    ] {
        for uri in uris {
            check_registrable(uri)
                .map_err(|why| problem(field, format!("redirect URI {uri} {why}")))?;
        }
    }
    if let Some(alg) = &c.id_token_signed_response_alg
        && SigningAlg::parse(alg).is_none()
    {
        return Err(problem(
            "id_token_signed_response_alg",
            format!(
                "id_token_signed_response_alg must be one of {}",
                SigningAlg::ALL.map(SigningAlg::as_str).join(", ")
            ),
        ));
    }
    if let Some(s) = &c.secret
        && s.expose().len() < MIN_CLIENT_SECRET_LEN
    {
        return Err(problem(
            "secret",
            format!("the secret must have at least {MIN_CLIENT_SECRET_LEN} characters"),
        ));
    }
    if c.introspection && !has_secret {
        return Err(problem(
            "introspection",
            "introspection = true needs a secret (public clients cannot introspect)".into(),
        ));
    }
    // The admin scope is for machines acting for themselves: a token a
    // user's sign-in could carry would make every user of the client an
    // administrator.
    if c.scopes.iter().any(|s| s == ADMIN_SCOPE)
        && (!has_secret || c.grant_types != ["client_credentials"])
    {
        return Err(problem(
            "scopes",
            format!(
                "the scope {ADMIN_SCOPE} needs a secret and grant_types = [\"client_credentials\"] only"
            ),
        ));
    }
    Ok(())
}

fn record(p: &Provider, c: &ClientSpec) -> Client {
    Client {
        id: c.id.clone(),
        name: c.name.clone().unwrap_or_else(|| c.id.clone()),
        secret_hash: c.secret.as_ref().map(|s| p.client_secrets.hash(s.expose())),
        redirect_uris: c.redirect_uris.clone(),
        grant_types: c.grant_types.clone(),
        response_types: c
            .response_types
            .iter()
            .filter_map(|r| ResponseType::parse(r))
            .collect(),
        scopes: c.scopes.clone(),
        first_party: c.first_party,
        id_token_signed_response_alg: c
            .id_token_signed_response_alg
            .as_deref()
            .and_then(SigningAlg::parse),
        require_pushed_authorization_requests: c.require_pushed_authorization_requests,
        require_mfa: c.require_mfa,
        post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
        introspection: c.introspection,
        from_config: true,
        disabled: None,
        tokens_not_before: 0,
    }
}

/// Apply what the operator declared to the store. Safe to run at every
/// start: nothing is written where nothing changed.
pub async fn apply(
    p: &Provider,
    entrypoints: &[Entrypoint],
    client_specs: &[ClientSpec],
    users: &[UserSpec],
) -> Result<(), String> {
    // Check them all before saving any, so a bad file changes nothing.
    for e in entrypoints {
        crate::services::entrypoint::check(e)?;
    }
    for u in users {
        for r in u.roles.iter().flatten() {
            crate::services::roles::parse(r).map_err(|e| format!("user {}: {e}", u.email))?;
        }
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
    for e in entrypoints {
        p.store
            .upsert_entrypoint(e)
            .await
            .map_err(|e| e.to_string())?;
    }
    let records = client_specs
        .iter()
        .map(|c| client_record(p, c).map_err(|e| e.message))
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
            let e = event
                .entry()
                .client(&rec.id)
                .actor(&audit::Actor::Config)
                .detail("from the config file");
            audit::record(p, e).await.map_err(|e| e.to_string())?;
        }
        if rec.disabled == Some(DisabledBy::Config) {
            clients::enable(
                p,
                &rec.id,
                &audit::Actor::Config,
                "listed in the config file again",
            )
            .await
            .map_err(|e| e.to_string())?;
            tracing::warn!(client_id = %rec.id, "client listed in the config file again: enabled");
        }
    }
    for u in users {
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
            && crate::services::accounts::reclaim_self_registered(p, x)
                .await
                .map_err(|e| e.to_string())?
        {
            existing = None;
        }
        let same = match &existing {
            Some(x) => crate::infra::password::verify(u.password.clone(), x.password_hash.clone())
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
            disabled_at: None,
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
        let id = p
            .store
            .upsert_user_by_email(&user)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(roles) = &u.roles {
            apply_roles(p, &id, roles)
                .await
                .map_err(|e| format!("user {}: {e}", u.email))?;
        }
    }
    Ok(())
}

/// Make the user's roles exactly `roles`.
async fn apply_roles(p: &Provider, user_id: &str, roles: &[String]) -> Result<(), String> {
    use crate::services::roles;
    let wanted = roles
        .iter()
        .map(|r| roles::parse(r))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let held = p
        .store
        .user_roles(user_id)
        .await
        .map_err(|e| e.to_string())?;
    let actor = audit::Actor::Config;
    for role in roles::ALL {
        let on = wanted.contains(&role);
        if on != held.iter().any(|h| h == role) {
            roles::set(p, user_id, role, on, &actor)
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// Disable every client the file created that it no longer lists (a warning
/// in the log and an entry in the audit log each). Disabled, not deleted:
/// its grants are revoked, and `portico client delete` removes it for good.
/// Run only when a config file was read: a server started without one (a
/// wrong working directory) must not disable every configured client.
pub async fn disable_unlisted_clients(p: &Provider, listed: &[ClientSpec]) -> Result<(), String> {
    let listed: std::collections::HashSet<&str> = listed.iter().map(|c| c.id.as_str()).collect();
    for c in p.store.clients().await.map_err(|e| e.to_string())? {
        if !c.from_config || c.is_disabled() || listed.contains(c.id.as_str()) {
            continue;
        }
        let done = clients::disable(
            p,
            &c.id,
            DisabledBy::Config,
            &audit::Actor::Config,
            "no longer in the config file",
        )
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

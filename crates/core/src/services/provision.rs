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
}

pub const MIN_CLIENT_SECRET_LEN: usize = 32;

/// Check what the store would not: redirect URIs, algorithms, secrets.
pub fn client_record(p: &Provider, c: &ClientSpec) -> Result<Client, String> {
    if c.id.is_empty() {
        return Err("a client has an empty id".into());
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
        return Err(format!(
            "client {}: unknown grant type {bad} (known: {})",
            c.id,
            grants.join(", ")
        ));
    }
    if let Some(bad) = c
        .response_types
        .iter()
        .find(|r| ResponseType::parse(r).is_none())
    {
        return Err(format!(
            "client {}: unknown response type \"{bad}\" (known: {})",
            c.id,
            ResponseType::ALL.map(ResponseType::as_str).join(", ")
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
        && SigningAlg::parse(alg).is_none()
    {
        return Err(format!(
            "client {}: id_token_signed_response_alg must be one of {}",
            c.id,
            SigningAlg::ALL.map(SigningAlg::as_str).join(", ")
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
    })
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
pub async fn disable_unlisted_clients(p: &Provider, listed: &[ClientSpec]) -> Result<(), String> {
    let listed: std::collections::HashSet<&str> = listed.iter().map(|c| c.id.as_str()).collect();
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

//! The user's side of the device flow (RFC 8628 §3.3): user codes, and the
//! device page's lookup and decision. Wrong codes lock the signed-in user
//! and the client address out for a while ([`lockout`]), and a code is
//! decided at most once.

use crate::infra::provider::Provider;
use crate::infra::store::StoreError;
use crate::model::{Client, DeviceApproval, DeviceAuthorization, DeviceStatus, Grant, Session};
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::scope::scope_infos;
use crate::services::audit::{self, Event};
use crate::services::entrypoint::entrypoint_info;
use crate::services::lockout;
use crate::services::user_codes::{display_user_code, normalize_user_code, user_code_hash};
use portico_api_types::DeviceInfo;
use std::net::IpAddr;

/// Why a typed code does not lead to a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeError {
    /// Too many wrong codes from this user or address: retry after this
    /// many seconds.
    Throttled(i64),
    /// No device has this code (or it is not a code at all).
    Invalid,
    Expired,
    /// The code was already allowed or refused.
    Used,
    Server(OAuthError),
}

impl From<OAuthError> for CodeError {
    fn from(e: OAuthError) -> Self {
        Self::Server(e)
    }
}

impl From<StoreError> for CodeError {
    fn from(e: StoreError) -> Self {
        Self::Server(e.into())
    }
}

/// Who is trying a code: the signed-in browser and its address.
#[derive(Debug, Clone, Copy)]
pub struct Attempt<'a> {
    pub session: &'a Session,
    pub ip: Option<IpAddr>,
}

struct Pending {
    device: DeviceAuthorization,
    client: Client,
    code: String,
    hash: String,
}

/// Find the pending device behind a typed code, unless the user or the
/// address is locked out. A code that leads nowhere counts as a failure;
/// one that exists (even if used or expired) does not, since it was not a
/// guess.
async fn pending(p: &Provider, who: Attempt<'_>, typed: &str) -> Result<Pending, CodeError> {
    let keys = lockout::user_code(&who.session.user_id, who.ip);
    let attempt = match lockout::begin(p, keys).await? {
        lockout::Begin::Go(a) => a,
        lockout::Begin::Locked(wait) => {
            p.refusals.count(Event::LockedOut, who.ip);
            return Err(CodeError::Throttled(wait));
        }
    };
    match find(p, typed).await {
        Err(CodeError::Invalid) => {
            tracing::info!(user_id = %who.session.user_id, "a user code that matches no device");
            match attempt.failed(p).await? {
                Some(wait) => {
                    let e = Event::LockedOut
                        .entry()
                        .user(&who.session.user_id)
                        .ip(who.ip)
                        .detail(format!("device user codes locked for {wait} s"));
                    audit::record(p, e).await?;
                    p.metrics.lockout("device_code");
                    Err(CodeError::Throttled(wait))
                }
                None => Err(CodeError::Invalid),
            }
        }
        other => {
            // Not a guess: given back, but it clears nothing (a known code
            // between guesses must not reset the count).
            attempt.abandon(p).await?;
            other
        }
    }
}

/// The pending device behind a typed code.
async fn find(p: &Provider, typed: &str) -> Result<Pending, CodeError> {
    let code = normalize_user_code(typed).ok_or(CodeError::Invalid)?;
    let hash = user_code_hash(p, &code);
    let device = p
        .store
        .device_by_user_code(&hash)
        .await?
        .ok_or(CodeError::Invalid)?;
    if device.status != DeviceStatus::Pending {
        return Err(CodeError::Used);
    }
    if device.expires_at <= p.now() {
        return Err(CodeError::Expired);
    }
    let client = p
        .client(&device.client_id)
        .await?
        .ok_or(CodeError::Invalid)?;
    Ok(Pending {
        device,
        client,
        code,
        hash,
    })
}

/// The device page's "Continue": what the confirmation screen shows.
pub async fn lookup(p: &Provider, who: Attempt<'_>, typed: &str) -> Result<DeviceInfo, CodeError> {
    let found = pending(p, who, typed).await?;
    Ok(DeviceInfo {
        user_code: display_user_code(&found.code),
        entrypoint: entrypoint_info(p, &found.device.entrypoint, &found.client).await?,
        // First-party clients skip the list, never the confirmation.
        scopes: if found.client.first_party {
            Vec::new()
        } else {
            scope_infos(&found.device.scopes)
        },
        client_name: found.client.name,
    })
}

/// "Allow" or "Don't allow". Allowing creates the grant the device's tokens
/// will belong to. Returns `allow` once the decision is recorded.
pub async fn decide(
    p: &Provider,
    who: Attempt<'_>,
    typed: &str,
    allow: bool,
) -> Result<bool, CodeError> {
    let found = pending(p, who, typed).await?;
    let now = p.now();
    let approval = if allow {
        let grant = Grant {
            id: p.random.token(16)?,
            client_id: found.client.id.clone(),
            user_id: who.session.user_id.clone(),
            scopes: found.device.scopes.clone(),
            created_at: now,
            revoked_at: None,
            session_id_hash: Some(who.session.id_hash.clone()),
        };
        p.store.create_grant(&grant).await?;
        // "1" when the user typed their credentials after the device asked
        // (for this flow); otherwise an existing SSO session ("0").
        let acr = crate::protocol::types::amr::acr(
            &who.session.amr,
            who.session.auth_time >= found.device.created_at,
        );
        Some(DeviceApproval {
            user_id: who.session.user_id.clone(),
            grant_id: grant.id,
            auth_time: who.session.auth_time,
            acr: Some(acr.to_owned()),
            amr: who.session.amr.clone(),
        })
    } else {
        None
    };
    if !p
        .store
        .decide_device(&found.hash, approval.as_ref(), now)
        .await?
    {
        // Another tab decided first, or it expired in between.
        return Err(CodeError::Used);
    }
    tracing::info!(client_id = %found.client.id, allow, "device decided");
    let event = if allow {
        Event::ConsentGiven
    } else {
        Event::ConsentDenied
    };
    let e = event
        .entry()
        .user(&who.session.user_id)
        .client(&found.client.id)
        .ip(who.ip)
        .detail(format!("device: {}", found.device.scopes.join(" ")));
    audit::record(p, e).await?;
    p.metrics.consent(allow);
    Ok(allow)
}

//! Signing-key rotation (issue 19): list the keys, rotate a new one in,
//! retire one early. Shared by `portico keys` and the admin API.
//!
//! A key's life is decided by time alone, so instances need only agree on
//! the clock, not talk to each other:
//! - *next*: stored and published in the JWKS, not signing yet. A rotated-in
//!   key waits [`PREPUBLISH`] seconds, longer than a JWKS cache lives and
//!   than any instance goes without reloading its keys, so relying parties
//!   that cache the JWKS (and do not refetch on an unknown kid, as OIDC Core
//!   §10.1.1 asks them to) already know it when the first token arrives.
//! - *signing*: from `signs_from` until its successor starts.
//! - *verifying*: no longer signing, still published and verifying until
//!   every token it signed has expired and JWKS caches have let it go
//!   ([`crate::ProviderConfig::key_verify_grace`], from the current config).
//! - *retired*: gone from the JWKS and from verification. The sweeper then
//!   erases its private bytes for good ([`retire_expired`]).
//!
//! Refresh tokens, codes, device codes and sessions are opaque values kept
//! in the store, so no key change touches them.

use crate::infra::jose::{JWKS_MAX_AGE, KEY_REFRESH, SigningKey};
use crate::infra::provider::Provider;
use crate::model::{SigningKeyRecord, UnixTime};
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::types::SigningAlg;
use crate::services::audit::{self, Actor, Event};

/// Seconds a rotated-in key is published before it signs: one JWKS cache
/// lifetime plus one reload period of every instance.
pub const PREPUBLISH: i64 = JWKS_MAX_AGE + KEY_REFRESH;

/// Where a key is in its life, at the time asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, signing from its `signs_from`.
    Next,
    Signing,
    /// Published and verifying until `until`, signing no more.
    Verifying {
        until: UnixTime,
    },
    Retired,
}

impl KeyState {
    /// The state's word (`next`, `signing`, `verifying`, `retired`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Signing => "signing",
            Self::Verifying { .. } => "verifying",
            Self::Retired => "retired",
        }
    }
}

/// A signing key as the CLI and the admin API show it: never its private
/// half.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: SigningAlg,
    pub state: KeyState,
    pub created_at: UnixTime,
    pub signs_from: UnixTime,
    pub signs_until: Option<UnixTime>,
}

/// Why a key change was refused.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// A key of this algorithm is waiting to sign (or a concurrent rotation
    /// just made one): rotate again once it signs, or retire it first.
    #[error(
        "a rotation of the {} key is pending: wait until the next key signs, or retire it first",
        .0.as_str()
    )]
    RotationPending(SigningAlg),
    #[error("there is no signing key {0}")]
    NotFound(String),
    /// Retiring this key now would leave its algorithm without a key to
    /// sign with, or other instances signing with a retired one.
    #[error("{0}")]
    InUse(String),
    #[error(transparent)]
    Other(#[from] OAuthError),
}

impl KeyError {
    /// A stable code for answers: `rotation_pending` (HTTP 409),
    /// `not_found` (404), `key_in_use` (409), `server_error` (500).
    pub fn code(&self) -> &'static str {
        match self {
            Self::RotationPending(_) => "rotation_pending",
            Self::NotFound(_) => "not_found",
            Self::InUse(_) => "key_in_use",
            Self::Other(_) => "server_error",
        }
    }
}

impl From<crate::infra::store::StoreError> for KeyError {
    fn from(e: crate::infra::store::StoreError) -> Self {
        Self::Other(e.into())
    }
}

fn state_of(r: &SigningKeyRecord, now: UnixTime, grace: i64) -> KeyState {
    if r.retired_at.is_some() {
        return KeyState::Retired;
    }
    if r.signs_from > now {
        return KeyState::Next;
    }
    match r.signs_until {
        None => KeyState::Signing,
        Some(u) if now < u => KeyState::Signing,
        Some(u) if now < u.saturating_add(grace) => KeyState::Verifying {
            until: u.saturating_add(grace),
        },
        Some(_) => KeyState::Retired,
    }
}

fn info(r: &SigningKeyRecord, now: UnixTime, grace: i64) -> Result<KeyInfo> {
    Ok(KeyInfo {
        kid: r.kid.clone(),
        alg: SigningAlg::parse(&r.alg)
            .ok_or_else(|| OAuthError::server_error("unknown key algorithm in store"))?,
        state: state_of(r, now, grace),
        created_at: r.created_at,
        signs_from: r.signs_from,
        signs_until: r.signs_until,
    })
}

/// Every key in the store, retired ones included, by alg then age. Read
/// from the store, not this instance's key set, so it shows what another
/// instance or the CLI did a moment ago.
pub async fn list(p: &Provider) -> Result<Vec<KeyInfo>> {
    let (now, grace) = (p.now(), p.config.key_verify_grace());
    p.store
        .signing_keys()
        .await?
        .iter()
        .map(|r| info(r, now, grace))
        .collect()
}

/// Rotate in a new key for `alg` (both algorithms when `None`). It signs
/// after [`PREPUBLISH`], or at once when `immediately` (a suspected
/// compromise: then `retire` the old key to stop trusting its tokens).
/// Refused with [`KeyError::RotationPending`] while a key of that alg waits
/// to sign, `immediately` included; with `None`, nothing is rotated then.
/// Returns the new keys. This instance uses them at once; the others
/// within [`KEY_REFRESH`].
pub async fn rotate(
    p: &Provider,
    alg: Option<SigningAlg>,
    immediately: bool,
    actor: &Actor,
) -> std::result::Result<Vec<KeyInfo>, KeyError> {
    let now = p.now();
    let algs = alg.map_or_else(|| SigningAlg::ALL.to_vec(), |a| vec![a]);
    let records = p.store.signing_keys().await?;
    let mut current = Vec::new();
    for a in algs {
        let cur = records
            .iter()
            .find(|r| r.alg == a.as_str() && r.signs_until.is_none() && r.retired_at.is_none())
            .ok_or_else(|| OAuthError::server_error("no current signing key"))?;
        if cur.signs_from > now {
            return Err(KeyError::RotationPending(a));
        }
        current.push((a, cur.kid.clone()));
    }
    let signs_from = if immediately { now } else { now + PREPUBLISH };
    let mut rotated = Vec::new();
    for (a, old) in current {
        let new = SigningKeyRecord {
            signs_from,
            ..SigningKey::generate(a, now)?
        };
        if !p
            .store
            .rotate_signing_key(a.as_str(), &old, &new, now)
            .await?
        {
            // Another rotation got there first; show its key here too.
            p.reload_keys().await?;
            return Err(KeyError::RotationPending(a));
        }
        let what = format!(
            "{} key {} replaces {old}, signing from {signs_from}",
            a.as_str(),
            new.kid
        );
        audit_key(p, Event::KeyRotated, Some(actor), what).await?;
        rotated.push(new.kid);
    }
    p.reload_keys().await?;
    Ok(list(p)
        .await?
        .into_iter()
        .filter(|k| rotated.contains(&k.kid))
        .collect())
}

/// Retire the key `kid` now (an emergency: tokens it signed stop verifying
/// here at once, on other instances within [`KEY_REFRESH`]). A key that
/// signs now is refused: rotate with `immediately` first. A key waiting to
/// sign can be retired, which cancels its rotation, unless it starts within
/// [`KEY_REFRESH`] (an instance that has not reloaded would sign with it).
/// Retiring a retired key changes nothing.
pub async fn retire(
    p: &Provider,
    kid: &str,
    actor: &Actor,
) -> std::result::Result<KeyInfo, KeyError> {
    let (now, grace) = (p.now(), p.config.key_verify_grace());
    let records = p.store.signing_keys().await?;
    let r = records
        .iter()
        .find(|r| r.kid == kid)
        .ok_or_else(|| KeyError::NotFound(kid.to_owned()))?;
    if r.retired_at.is_some() {
        return Ok(info(r, now, grace)?);
    }
    if r.signs_until.is_none() && r.signs_from > now && r.signs_from - now < KEY_REFRESH {
        return Err(KeyError::InUse(format!(
            "{kid} starts signing in under {KEY_REFRESH} seconds: too late to cancel, rotate it out once it signs"
        )));
    }
    if !p.store.retire_signing_key(kid, now).await? {
        return Err(KeyError::InUse(format!(
            "{kid} signs now: rotate with --now first, then retire it"
        )));
    }
    let what = match state_of(r, now, grace) {
        KeyState::Next => format!("{} key {kid} retired before it signed", r.alg),
        _ => format!("{} key {kid} retired early", r.alg),
    };
    audit_key(p, Event::KeyRetired, Some(actor), what).await?;
    p.reload_keys().await?;
    let retired = p
        .store
        .signing_keys()
        .await?
        .into_iter()
        .find(|r| r.kid == kid)
        .ok_or_else(|| KeyError::NotFound(kid.to_owned()))?;
    Ok(info(&retired, now, grace)?)
}

/// The sweeper's part: retire (erase) every key whose verification window
/// has passed. Returns how many.
pub async fn retire_expired(p: &Provider) -> Result<u64> {
    let now = p.now();
    let n = p
        .store
        .retire_signing_keys(now - p.config.key_verify_grace(), now)
        .await?;
    if n > 0 {
        let what = format!("{n} key(s) past their verification window retired");
        audit_key(p, Event::KeyRetired, None, what).await?;
        p.reload_keys().await?;
    }
    Ok(n)
}

/// The one place key changes are written to the audit log; `None`: the
/// sweeper, retiring a key whose time is up.
async fn audit_key(p: &Provider, event: Event, actor: Option<&Actor>, what: String) -> Result<()> {
    let mut e = event.entry().detail(what);
    e.actor = actor.cloned();
    audit::record(p, e).await
}

#[cfg(test)]
mod tests;

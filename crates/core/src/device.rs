//! The user's side of the device flow (RFC 8628 §3.3): user codes, and the
//! device page's lookup and decision. Wrong codes lock the signed-in user
//! and the client address out for a while ([`lockout`]), and a code is
//! decided at most once.

use crate::audit::{self, Event};
use crate::entrypoint::entrypoint_info;
use crate::error::{OAuthError, Result};
use crate::lockout;
use crate::model::{Client, DeviceApproval, DeviceAuthorization, DeviceStatus, Grant, Session};
use crate::provider::Provider;
use crate::random::Random;
use crate::scope::scope_infos;
use crate::store::StoreError;
use portico_api_types::DeviceInfo;
use std::net::IpAddr;

/// RFC 8628 §6.1: consonants only (no vowels, so no words; no look-alike
/// digits), upper case, 8 characters: 20^8 ≈ 2^34.6 codes.
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
pub const USER_CODE_LEN: usize = 8;

/// A fresh user code, uniformly drawn (rejection sampling: bytes ≥ 240
/// would bias `% 20`).
pub fn generate_user_code(random: &dyn Random) -> Result<String> {
    let mut out = String::with_capacity(USER_CODE_LEN);
    let mut buf = [0u8; 16];
    while out.len() < USER_CODE_LEN {
        random.fill(&mut buf)?;
        for b in buf {
            if b < 240 && out.len() < USER_CODE_LEN {
                out.push(char::from(USER_CODE_ALPHABET[usize::from(b % 20)]));
            }
        }
    }
    Ok(out)
}

/// The code as typed, made canonical: case-insensitive, dashes and spaces
/// ignored. `None` when it cannot be a user code.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    if typed.len() > 64 {
        return None;
    }
    let code: String = typed
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let valid =
        code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
    valid.then_some(code)
}

/// `XXXX-XXXX`, as devices show it.
pub fn display_user_code(code: &str) -> String {
    match (code.get(..4), code.get(4..)) {
        (Some(a), Some(b)) => format!("{a}-{b}"),
        _ => code.to_owned(),
    }
}

/// How a canonical user code is stored: a keyed hash under the
/// installation secret. A plain hash of ~35 bits would be reversed from a
/// database dump in seconds.
pub fn user_code_hash(p: &Provider, code: &str) -> String {
    p.client_secrets.hash(&format!("user_code:{code}"))
}

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
        let acr = if who.session.auth_time >= found.device.created_at {
            "1"
        } else {
            "0"
        };
        Some(DeviceApproval {
            user_id: who.session.user_id.clone(),
            grant_id: grant.id,
            auth_time: who.session.auth_time,
            acr: Some(acr.to_owned()),
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
    Ok(allow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SequenceRandom;
    use proptest::prelude::*;

    fn alphabet_char() -> impl Strategy<Value = char> {
        proptest::sample::select(USER_CODE_ALPHABET.to_vec()).prop_map(char::from)
    }

    proptest! {
        /// Whatever is typed, the result is either nothing or a canonical
        /// code, and normalising is idempotent.
        #[test]
        fn normalising_gives_a_canonical_code_or_nothing(typed in "\\PC{0,80}") {
            if let Some(code) = normalize_user_code(&typed) {
                prop_assert_eq!(code.len(), USER_CODE_LEN);
                prop_assert!(code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)));
                prop_assert_eq!(normalize_user_code(&code), Some(code.clone()));
                prop_assert_eq!(normalize_user_code(&display_user_code(&code)), Some(code));
            }
        }

        /// Case, dashes and spaces never change which code is meant.
        #[test]
        fn case_dashes_and_spaces_do_not_matter(
            chars in proptest::collection::vec(alphabet_char(), USER_CODE_LEN),
            lower in proptest::collection::vec(any::<bool>(), USER_CODE_LEN),
            seps in proptest::collection::vec(proptest::sample::select(vec!["", "", "-", " ", "\t"]), USER_CODE_LEN + 1),
        ) {
            let code: String = chars.iter().collect();
            let mut typed = String::from(seps[0]);
            for (i, c) in chars.iter().enumerate() {
                typed.push(if lower[i] { c.to_ascii_lowercase() } else { *c });
                typed.push_str(seps[i + 1]);
            }
            prop_assert_eq!(normalize_user_code(&typed), Some(code));
        }

        /// A code with one character outside the alphabet never matches.
        #[test]
        fn foreign_characters_are_refused(
            chars in proptest::collection::vec(alphabet_char(), USER_CODE_LEN - 1),
            bad in "[AEIOUY0-9!@#$%^&*()_+=;:,.?/]",
            at in 0..USER_CODE_LEN,
        ) {
            let mut code: String = chars.iter().collect();
            code.insert_str(at, &bad);
            prop_assert_eq!(normalize_user_code(&code), None);
        }
    }

    #[test]
    fn user_codes_use_the_alphabet_and_vary() {
        let r = SequenceRandom::default();
        let a = generate_user_code(&r).unwrap();
        let b = generate_user_code(&r).unwrap();
        assert_eq!(a.len(), 8);
        assert!(a.bytes().all(|c| USER_CODE_ALPHABET.contains(&c)), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn typed_codes_are_normalised() {
        assert_eq!(
            normalize_user_code("wdjb-mjht").as_deref(),
            Some("WDJBMJHT")
        );
        assert_eq!(
            normalize_user_code(" WDJB MJHT ").as_deref(),
            Some("WDJBMJHT")
        );
        assert_eq!(normalize_user_code("WDJBMJHT").as_deref(), Some("WDJBMJHT"));
        assert_eq!(normalize_user_code("WDJB-MJH"), None, "too short");
        assert_eq!(normalize_user_code("WDJB-MJHA"), None, "a vowel");
        assert_eq!(normalize_user_code("WDJB-MJH1"), None, "a digit");
        assert_eq!(normalize_user_code(&"-".repeat(100)), None);
        assert_eq!(display_user_code("WDJBMJHT"), "WDJB-MJHT");
    }
}
